"""What a scenario is, what it records, and the helpers every scenario uses.

A scenario drives one or more chargers and records named checks against the requirements it
covers (`Recorder.check`). It never decides an outcome: `results.Result` derives it from the
checks. When a scenario stops early (the charger never did what was asked), every requirement
it had not finished gets a failed check saying where it stopped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from smartcharge.compliance.csms import CentralSystem
from smartcharge.compliance.results import Check, Evidence
from smartcharge.compliance.scenarios.charger_clock import (
    charger_now,
    latest_stamp,
    status_stamps,
    upper_bound,
)
from smartcharge.compliance.target import Charger, ChargerSpec, Target
from smartcharge.ocpp import uk_extension
from smartcharge.ocpp.errors import CallError, OcppError
from smartcharge.ocpp.times import format_time, parse_time

# Instants the scenarios start their charger at (UK clock time; June is BST, UTC+1).
SATURDAY_NOON_UK = datetime(2026, 6, 6, 11, 0, tzinfo=UTC)
MONDAY_21_45_UK = datetime(2026, 6, 1, 20, 45, tzinfo=UTC)
# Friday: the last weekday, so a charger that takes it for the weekend is caught.
FRIDAY_07_56_UK = datetime(2026, 6, 5, 6, 56, tzinfo=UTC)


# Generous: a wait ends as soon as the charger shows what it does.
SETTLE_WAIT_S = 60.0
# A rate change (no random delay) shows in the charger's samples within a minute of its clock.
GRACE_S = 60.0
# A simulated charger's clock runs on while a busy machine starves it of CPU, so it may act up
# to this many real seconds late on its own clock (many simulated seconds at 20-40x). Only a
# lateness bound allows for it; acting early is never excused.
STARVED_REAL_S = 2.0


class ScenarioAborted(Exception):
    """The charger did not do what the scenario waited for; the message says what."""


@dataclass
class Recorder:
    requirement: str
    checks: list[Check] = field(default_factory=list)
    evidence: Evidence = field(default_factory=Evidence)
    finished: bool = False

    def check(self, name: str, ok: bool | None, detail: str) -> bool:
        self.checks.append(Check(name, ok, detail))
        return bool(ok)

    def cannot(self, name: str, why: str) -> None:
        """A check that could not be made against this target (never a pass)."""
        self.checks.append(Check(name, None, why))

    def done(self) -> None:
        self.finished = True


@dataclass
class Context:
    target: Target
    csms: CentralSystem
    out_dir: Path
    fast: bool
    recorders: dict[str, Recorder] = field(default_factory=dict)
    chargers: list[Charger] = field(default_factory=list)
    extra_csms: list[CentralSystem] = field(default_factory=list)

    def rec(self, requirement: str) -> Recorder:
        return self.recorders.setdefault(requirement, Recorder(requirement))

    async def charger(self, spec: ChargerSpec, csms: CentralSystem | None = None) -> Charger:
        ch = await self.target.start(spec, csms or self.csms)
        self.chargers.append(ch)
        return ch


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    requirements: tuple[str, ...]
    run: Callable[[Context], Awaitable[None]]
    needs_simulator: bool = True
    # Without the simulator (a charger under test over --listen): what can be checked over OCPP
    # alone, or None. It records "not run" itself, with why, for each check that needs a
    # physical action.
    ocpp_only: Callable[[Context], Awaitable[None]] | None = None
    # About our own charger only (it as shipped): not run at all against another charger.
    ours_only: bool = False
    # Only with a charging session on a charger under test (`--listen --session`).
    session_only: bool = False
    # It judges a sample with SciPy's tests (statistics.py): the run loads SciPy before it
    # starts any charger (see `statistics.load`).
    uses_statistics: bool = False
    # Why the scenario (or the rest of it) needs the simulated hardware.
    physical: str = (
        "it plugs an EV in, presents cards or pulls the network through the simulator's control"
        " API, which a charger under test does not have; run it by hand on the real charger"
    )


# --- helpers ------------------------------------------------------------------------------------


async def stamp_now(ch: Charger, wait_s: float = 30.0) -> datetime | None:
    """The charger's clock now, as it stamps a StatusNotification it is asked for: a time it had
    reached once everything sent before was answered (None: it sent none)."""
    since = len(ch.csms.received(ch.identity, "StatusNotification"))
    await call_status(
        ch, "TriggerMessage", {"requestedMessage": "StatusNotification", "connectorId": 1}
    )
    await ch.csms.wait_for(lambda: bool(status_stamps(ch, since)), wait_s)
    got = status_stamps(ch, since)
    return got[0][0] if got else None


async def uk(ch: Charger, message_id: str, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """An org.smartcharge.uk DataTransfer (docs/ocpp-extensions.md): (status, data)."""
    res = await ch.call("DataTransfer", uk_extension.data_transfer(message_id, data))
    try:
        body = orjson.loads(res.get("data") or "{}")
    except orjson.JSONDecodeError:
        body = {"unparsable": res.get("data")}
    return str(res["status"]), body if isinstance(body, dict) else {"data": body}


async def call_status(ch: Charger, action: str, payload: dict[str, Any]) -> str:
    """The `status` of the answer, or "CALLERROR <code>" when the charger refused the call."""
    try:
        res = await ch.call(action, payload)
    except CallError as err:
        return f"CALLERROR {err.code}"
    except OcppError as err:
        return f"invalid answer ({err.description})"
    return str(res.get("status"))


async def get_config(ch: Charger, key: str) -> str | None:
    res = await ch.call("GetConfiguration", {"key": [key]})
    for item in res.get("configurationKey") or []:
        if str(item.get("key", "")).casefold() == key.casefold():
            value = item.get("value")
            return None if value is None else str(value)
    return None


# How long a scenario waits, in real seconds, for the charger's own evidence of a step it needs
# (a status, a transaction, a rate) before it stops as "not run". Only a charger that never shows
# it waits this long, so it is generous: on a machine busy with other work a charger at 10-20x
# real time was seen to need more than 10 s to report Charging after a skip.
GUARD_S = 60.0


async def until(
    what: str, predicate: Callable[[], Awaitable[bool]], timeout: float, poll: float = 0.02
) -> float:
    """Poll `predicate` until it holds; the real seconds it took, or ScenarioAborted."""
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    while True:
        if await predicate():
            return loop.time() - t0
        if loop.time() - t0 > timeout:
            raise ScenarioAborted(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(poll)


async def connector(ch: Charger, n: int) -> dict[str, Any]:
    assert ch.sim is not None
    return await ch.sim.connector(n)


async def wait_limit(ch: Charger, n: int, amps: float, timeout: float = GUARD_S) -> float:
    async def ok() -> bool:
        return abs(float((await connector(ch, n)).get("limit_a") or 0.0) - amps) < 0.05

    return await until(f"connector {n} limit {amps} A", ok, timeout)


def meter_samples(ch: Charger, n: int, measurand: str) -> list[tuple[datetime, list[float]]]:
    """(charger time, values) of connector `n`'s samples of `measurand`, one entry per
    meterValue (a value per phase when it reports phases; kW and kWh as W and Wh)."""
    out = []
    for m in ch.csms.received(ch.identity, "MeterValues"):
        if m.payload.get("connectorId") != n:
            continue
        for mv in m.payload.get("meterValue") or []:
            values = [
                float(sv["value"]) * (1000.0 if sv.get("unit") in ("kW", "kWh") else 1.0)
                for sv in mv.get("sampledValue") or []
                if sv.get("measurand", "Energy.Active.Import.Register") == measurand
            ]
            if values and isinstance(mv.get("timestamp"), str):
                out.append((parse_time(mv["timestamp"]), values))
    return out


def offered_samples(ch: Charger, n: int) -> list[tuple[datetime, float]]:
    """(charger time, amps) of connector `n`'s Current.Offered samples (any phase layout)."""
    return [(t, max(values)) for t, values in meter_samples(ch, n, "Current.Offered")]


async def settles(
    ch: Charger, n: int, amps: float, grace_s: float, timeout: float = SETTLE_WAIT_S
) -> bool | None:
    """After a change that must take connector `n` to `amps` within `grace_s` seconds of the
    charger's clock: True once it offers `amps`; False when the charger's own samples, stamped
    `grace_s` after the change, still offer something else (its clock proves it was late);
    None when neither shows within `timeout` real seconds."""
    verdict: bool | None = None
    first = latest_stamp(ch) or charger_now(ch)  # no later than the change reached it
    taken: datetime | None = None  # a time on its clock after the change reached it

    def late(after: datetime) -> bool:
        since = after + timedelta(seconds=grace_s)
        return any(t >= since and abs(v - amps) >= 0.5 for t, v in offered_samples(ch, n))

    async def decided() -> bool:
        nonlocal verdict, taken
        if abs(float((await connector(ch, n)).get("limit_a") or 0.0) - amps) < 0.05:
            verdict = True
        elif late(first) or taken is not None:
            # Its samples may queue far behind (a busy machine): only a stamp it made once the
            # change had reached it, asked for now, dates a sample as late.
            if taken is None:
                taken = await stamp_now(ch) or upper_bound(ch)
            if late(taken):
                verdict = False
        return verdict is not None

    try:
        await until(f"connector {n} at {amps:g} A", decided, timeout, poll=0.05)
    except ScenarioAborted:
        return None
    return verdict


async def start_session(ch: Charger, n: int, id_tag: str | None = None) -> None:
    """Plug an EV into connector `n` and start a transaction remotely."""
    assert ch.sim is not None
    await ch.sim.plug(n)
    status = await call_status(
        ch, "RemoteStartTransaction", {"idTag": id_tag or f"COMPL{n}", "connectorId": n}
    )
    if status != "Accepted":
        raise ScenarioAborted(f"RemoteStartTransaction on connector {n}: {status}")

    async def started() -> bool:
        return (await connector(ch, n)).get("transaction_id") is not None

    await until(f"a transaction on connector {n}", started, GUARD_S)


async def stop_session(ch: Charger, n: int) -> None:
    """Stop connector `n`'s transaction remotely (if any) and unplug the EV."""
    assert ch.sim is not None
    tx = (await connector(ch, n)).get("transaction_id")
    if tx is not None:
        await ch.call("RemoteStopTransaction", {"transactionId": tx})

        async def stopped() -> bool:
            return (await connector(ch, n)).get("transaction_id") is None

        await until(f"the session on connector {n} to stop", stopped, GUARD_S)
    await ch.sim.unplug(n)


def flat_profile(
    profile_id: int,
    limit_a: float,
    *,
    purpose: str = "TxDefaultProfile",
    stack: int = 1,
    start: datetime | None = None,
    periods: list[tuple[int, float]] | None = None,
) -> dict[str, Any]:
    """An absolute charging profile in amps (camelCase, as sent)."""
    begin = start or datetime(2026, 1, 1, tzinfo=UTC)
    return {
        "chargingProfileId": profile_id,
        "stackLevel": stack,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {
            "startSchedule": format_time(begin, "auto"),
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [
                {"startPeriod": s, "limit": a} for s, a in (periods or [(0, limit_a)])
            ],
        },
    }


async def set_profile(ch: Charger, connector_id: int, profile: dict[str, Any]) -> str:
    return await call_status(
        ch, "SetChargingProfile", {"connectorId": connector_id, "csChargingProfiles": profile}
    )


async def composite(ch: Charger, n: int, seconds: int) -> list[tuple[int, float]]:
    """The charger's own plan for connector `n` (GetCompositeSchedule, amps): (start s, limit);
    empty when it has none to give."""
    res = await ch.call(
        "GetCompositeSchedule", {"connectorId": n, "duration": seconds, "chargingRateUnit": "A"}
    )
    schedule = res.get("chargingSchedule") or {}
    periods = schedule.get("chargingSchedulePeriod") or []
    return [(int(p["startPeriod"]), float(p["limit"])) for p in periods]


def security_event(ch: Charger, kind: str, since: int) -> bool:
    """Whether a SecurityEventNotification of `kind` came after the first `since` of them."""
    got = ch.csms.received(ch.identity, "SecurityEventNotification")[since:]
    return any(m.payload.get("type") == kind for m in got)


def cannot_here(ctx: Context, requirements: tuple[str, ...], what: str, why: str) -> None:
    """Mark `what` of each requirement "not run" (a physical action is needed) and finish it."""
    for r in requirements:
        rec = ctx.rec(r)
        rec.cannot(what, why)
        rec.done()


async def uk_check(
    rec: Recorder, name: str, ch: Charger, message_id: str, data: dict[str, Any]
) -> tuple[str, dict[str, Any]] | None:
    """`uk(...)`, or None (and the check "not run") when the charger does not implement the
    org.smartcharge.uk extension (a charger of another make)."""
    status, body = await uk(ch, message_id, data)
    if status in ("UnknownVendorId", "UnknownMessageId"):
        rec.cannot(
            name,
            f"{message_id}: {status}: the charger does not implement the UK"
            " extension (docs/ocpp-extensions.md); check this by its own means",
        )
        return None
    return status, body
