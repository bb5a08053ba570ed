"""A charging session on a charger under test (`--listen --session`): R2, R3, R8, R9, R11, R12
measured from its own MeterValues, stamped by its own clock.

The suite asks the operator to plug a car into connector 1 (and starts the transaction
remotely; a charger that needs a card has the operator present one), then sets the sampling it
needs (put back afterwards) and changes the rate by charging profiles for the transaction:

- R11: Power.Active.Import every second (the median interval of the charger's timestamps);
- R2: 10 A then 16 A, each seen in the charger's Current.Offered samples;
- R8: 100 A (above any home charger's limit) offered at most as much as before it, or refused
  (a negative setpoint is judged without a car, by the charger's plan: scenarios/inputs.py);
- R3: 0 A now and 16 A 60 s later (the charger's clock): no current offered before, offered after;
- R9: the session's energy and times (Start/StopTransaction) and each rate change sampled;
- R12: the energy register agrees within 10 % with the power it reports over the same time
  (accuracy against a reference meter needs one: not run).

Every wait ends when the charger's own samples show the outcome; one that shows neither is
"not run". Without `--session` these requirements are judged from the charger's plans only
(scenarios/smart.py, inputs.py).
"""

from __future__ import annotations

import itertools
import statistics
from datetime import datetime, timedelta

from smartcharge.compliance.scenarios.base import (
    GRACE_S,
    Context,
    Recorder,
    Scenario,
    ScenarioAborted,
    call_status,
    flat_profile,
    meter_samples,
    offered_samples,
    set_profile,
)
from smartcharge.compliance.scenarios.charger_clock import latest_stamp
from smartcharge.compliance.target import Charger, ChargerSpec
from smartcharge.ocpp.times import parse_time
from smartcharge.regulations import is_peak
from smartcharge.regulations.calendar import to_uk

PLUG_WAIT_S = 300.0  # the operator walks to the charger
SAMPLE_WAIT_S = 120.0  # ends at the charger's first sample that shows the outcome
SAMPLED = "Energy.Active.Import.Register,Power.Active.Import,Current.Offered"
REQUIREMENTS = ("R2", "R3", "R8", "R9", "R11", "R12")
HOLD_FROM, HOLD_UNTIL = timedelta(seconds=5), timedelta(seconds=55)  # R3: the hold, its clock


def _samples(ch: Charger, n: int, measurand: str, after: datetime) -> list[tuple[datetime, float]]:
    """Summed over phases, after `after`."""
    return [(t, sum(v)) for t, v in meter_samples(ch, n, measurand) if t > after]


async def _offered(
    ch: Charger, n: int, ok: float | None, since: datetime, low: bool
) -> bool | None:
    """Wait for a Current.Offered sample after `since`: True when one is within 0.5 A of `ok`
    (`low`: at most `ok`); False when a sample GRACE_S after `since` still is not; None."""
    verdict: bool | None = None

    def decided() -> bool:
        nonlocal verdict
        for t, v in offered_samples(ch, n):
            if t <= since:
                continue
            good = v <= ok + 0.5 if low and ok is not None else ok is not None and abs(v - ok) < 0.5
            if good:
                verdict = True
                return True
            if t >= since + timedelta(seconds=GRACE_S):
                verdict = False
                return True
        return False

    await ch.csms.wait_for(decided, SAMPLE_WAIT_S)
    return verdict


def hold_verdict(
    samples: list[tuple[datetime, float]], now: datetime, off: bool | None, on: bool | None
) -> tuple[bool | None, str]:
    """R3 from the charger's Current.Offered samples (its clock) of a profile 0 A from `now`, 16 A
    from 60 s later: off and on as _offered found them, and nothing offered from 5 to 55 s. That
    "nothing" needs a sample in between to show it: with none, there is no evidence either way."""
    between = [(t, v) for t, v in samples if now + HOLD_FROM < t < now + HOLD_UNTIL]
    early = [t for t, v in between if v > 0.5]
    if off is None or on is None:
        return None, f"early {early[:2]}"
    if not between:
        return None, "no Current.Offered sample between 5 and 55 s to show the hold"
    return bool(off and on and not early), f"{len(between)} samples between, early {early[:2]}"


def power_energy_wh(power: list[tuple[datetime, float]], start: datetime, end: datetime) -> float:
    """The energy (Wh) the power samples account for from `start` to `end`, each held until the
    next one (the charger's clock): a mean of the samples would weigh a stretch where a busy
    charger sampled late as less than the same time sampled on time."""
    inside = sorted((t, v) for t, v in power if start <= t <= end)
    if not inside:
        return 0.0
    stamps = [start, *(t for t, _ in inside[1:]), end]
    return sum(
        v * (b - a).total_seconds() / 3600
        for (_, v), a, b in zip(inside, stamps[:-1], stamps[1:], strict=True)
    )


def _judge(rec: Recorder, name: str, status: str, verdict: bool | None, what: str) -> None:
    if status != "Accepted" and status != "Rejected":
        rec.cannot(name, f"SetChargingProfile: {status}")
    elif verdict is None:
        rec.cannot(name, f"{status}; no Current.Offered sample showed it in {SAMPLE_WAIT_S:.0f} s")
    else:
        rec.check(name, status == "Accepted" and verdict, f"{status}; {what}")


async def _start(ch: Charger, ctx: Context) -> tuple[int, int, datetime]:
    """(connector, transaction id, its start on the charger's clock)."""
    before = len(ch.csms.received(ch.identity, "StartTransaction"))
    ask = getattr(ctx.target, "ask", None)
    if ask is not None:
        ask("plug a car into connector 1 of the charger under test (or present a card)")
    await call_status(ch, "RemoteStartTransaction", {"idTag": "COMPLIANCE", "connectorId": 1})
    if not await ch.csms.wait_for(
        lambda: len(ch.csms.received(ch.identity, "StartTransaction")) > before, PLUG_WAIT_S
    ):
        raise ScenarioAborted(f"no transaction started in {PLUG_WAIT_S:.0f} s")
    start = ch.csms.received(ch.identity, "StartTransaction")[-1].payload
    tx = ch.csms.transactions[ch.identity][-1]  # the id the suite gave it
    return int(start["connectorId"]), tx, parse_time(str(start["timestamp"]))


def _not_held_by_peak_hours(ch: Charger, n: int, began: datetime) -> None:
    """A charger as shipped does not charge in peak hours (R13, R17): one that held 0 A through
    the first samples of the session with its clock in peak hours is doing right, and the rate
    changes cannot be measured then. Not run, never a fail of R2, R3 or R9."""
    offered = [v for t, v in offered_samples(ch, n) if t > began]
    clock = latest_stamp(ch)
    if offered and max(offered) <= 0.5 and clock is not None and is_peak(clock):
        raise ScenarioAborted(
            f"the charger held the current at 0 A with its clock in peak hours "
            f"({to_uk(clock):%a %H:%M} UK time), when its default hours rightly stop charging "
            "(R13, R17): run the session outside peak hours, or with the owner's charge now"
        )


def _tx_profile(tx: int, profile_id: int, limit: float, **kw: object) -> dict[str, object]:
    profile = flat_profile(profile_id, limit, purpose="TxProfile", **kw)  # type: ignore[arg-type]
    return {**profile, "transactionId": tx}


async def _session(ctx: Context) -> None:
    recs = {r: ctx.rec(r) for r in REQUIREMENTS}
    ch = await ctx.charger(ChargerSpec(start=datetime.now().astimezone()))
    for key, value in (("MeterValueSampleInterval", "1"), ("MeterValuesSampledData", SAMPLED)):
        await call_status(ch, "ChangeConfiguration", {"key": key, "value": value})
    n, tx, began = await _start(ch, ctx)
    # R11: power every second.
    await ch.csms.wait_for(lambda: len(_samples(ch, n, "Power.Active.Import", began)) >= 30, 120)
    power = _samples(ch, n, "Power.Active.Import", began)
    gaps = [(b[0] - a[0]).total_seconds() for a, b in itertools.pairwise(power)]
    if len(power) < 30:
        recs["R11"].cannot("Power.Active.Import every second", f"{len(power)} samples in 120 s")
    else:
        median = statistics.median(gaps)
        recs["R11"].check(
            "Power.Active.Import every second (its own timestamps)",
            abs(median - 1.0) < 0.01,
            f"{len(power)} samples, median interval {median:.3f} s",
        )
    _not_held_by_peak_hours(ch, n, began)
    # R2: lower, then raise.
    for pid, amps in ((81, 10.0), (82, 16.0)):
        since = latest_stamp(ch) or began
        status = await set_profile(ch, n, _tx_profile(tx, pid, amps))
        verdict = await _offered(ch, n, amps, since, low=False)
        _judge(recs["R2"], f"a profile of {amps:g} A is offered", status, verdict, f"{amps:g} A")
    # R8: out of range, refused or clamped.
    most = max((v for _, v in offered_samples(ch, n)), default=None)
    since = latest_stamp(ch) or began
    status = await set_profile(ch, n, _tx_profile(tx, 83, 100.0))
    if status == "Rejected":
        recs["R8"].check("100 A: refused or clamped", True, "refused")
    else:
        verdict = await _offered(ch, n, most, since, low=True) if most is not None else None
        _judge(recs["R8"], "100 A: refused or clamped", status, verdict, f"offered ≤ {most} A")
    await call_status(ch, "ClearChargingProfile", {"id": 83})
    # R3: off now, on 60 s later (its clock).
    now = latest_stamp(ch) or began
    status = await set_profile(
        ch, n, _tx_profile(tx, 85, 0.0, start=now, periods=[(0, 0.0), (60, 16.0)])
    )
    off = await _offered(ch, n, 0.0, now, low=True)
    on = await _offered(ch, n, 16.0, now + timedelta(seconds=59), low=False)
    verdict, what = hold_verdict(offered_samples(ch, n), now, off, on)
    name = "0 A now, 16 A 60 s later (its clock)"
    if verdict is None and off is not None and on is not None and status == "Accepted":
        recs["R3"].cannot(name, what)
    else:
        _judge(recs["R3"], name, status, verdict, what)
    await _stop(ch, recs, n, tx, began)
    for rec in recs.values():
        rec.done()


async def _stop(ch: Charger, recs: dict[str, Recorder], n: int, tx: int, began: datetime) -> None:
    before = len(ch.csms.received(ch.identity, "StopTransaction"))
    await call_status(ch, "RemoteStopTransaction", {"transactionId": tx})
    if not await ch.csms.wait_for(
        lambda: len(ch.csms.received(ch.identity, "StopTransaction")) > before, SAMPLE_WAIT_S
    ):
        recs["R9"].cannot("energy and duration of the session", "no StopTransaction")
        return
    start = ch.csms.received(ch.identity, "StartTransaction")[-1].payload
    end = ch.csms.received(ch.identity, "StopTransaction")[-1].payload
    wh = int(end["meterStop"]) - int(start["meterStart"])
    t1 = parse_time(str(end["timestamp"]))
    recs["R9"].check(
        "energy and duration of the session",
        wh >= 0 and t1 > began,
        f"{wh} Wh over {(t1 - began).total_seconds():.0f} s",
    )
    levels = {round(v) for _, v in offered_samples(ch, n)}
    recs["R9"].check(
        "every change of rate reported with its time (Current.Offered)",
        {10, 16, 0} <= levels,
        f"offered levels seen: {sorted(levels)[:12]}",
    )
    energy = _samples(ch, n, "Energy.Active.Import.Register", began)
    power = _samples(ch, n, "Power.Active.Import", began)
    if len(energy) < 2 or len(power) < 2:
        recs["R12"].cannot("the register agrees with the power", "too few samples")
    else:
        expected = power_energy_wh(power, energy[0][0], energy[-1][0])
        gained = energy[-1][1] - energy[0][1]
        err = (gained - expected) / expected if expected else float("inf")
        recs["R12"].check(
            "the energy register agrees with the power it reports (within 10 %)",
            abs(err) <= 0.10,
            f"register +{gained:.1f} Wh, power x time {expected:.1f} Wh, {err:+.1%}",
        )
    recs["R12"].cannot(
        "accuracy against a reference meter", "needs a reference meter on the circuit"
    )


SCENARIOS = (
    Scenario(
        "session",
        "A charging session (--listen --session)",
        REQUIREMENTS,
        _session,
        ocpp_only=_session,
        session_only=True,
    ),
)
