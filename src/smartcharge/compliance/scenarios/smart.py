"""Smart functionality and measuring (reg 5, reg 9): R1, R2, R3, R9, R11, R12.

One charger on a Saturday (no default-hours wait), random delay maximum 0 so that rate changes
show at once (the delay has its own scenarios), MeterValues every second.
"""

from __future__ import annotations

import contextlib
import itertools
import statistics
from datetime import datetime, timedelta
from typing import Any

from smartcharge.compliance.scenarios.base import (
    SATURDAY_NOON_UK,
    Context,
    Recorder,
    Scenario,
    ScenarioAborted,
    call_status,
    charger_now,
    composite,
    connector,
    flat_profile,
    set_profile,
    start_session,
    until,
    wait_limit,
)
from smartcharge.compliance.target import Charger, ChargerSpec
from smartcharge.ocpp.times import parse_time

ACCURACY = 0.10  # R12: within 10 % of the true value
# Every wait ends on the charger's own evidence (a sample, a status, its limit); these guards
# only turn a charger that never shows it into "not run", so they are generous enough for a
# busy machine that starves the charger and the suite alike.
SAMPLE_WAIT_S = 120.0
LIMIT_WAIT_S = 60.0
STEADY_S = 40  # R12 compares power and energy over this much of the charger's clock
OFF_S = 120  # R3 holds the current off this long: a charger sampling every 60 s still shows it


def _sampled(ch: Charger, measurand: str) -> list[tuple[datetime, float]]:
    """(charger time, value) of every sampled `measurand` the charger sent, summed over phases.
    The waits below ask again every few milliseconds while hundreds of samples arrive: what was
    already read is kept on the charger (its messages are only ever appended)."""
    seen_before, out = ch.memo.get(("sampled", measurand), (0, []))
    messages = ch.csms.received(ch.identity, "MeterValues")
    out = list(out) if len(messages) >= seen_before else []
    seen_before = min(seen_before, len(messages))
    for m in messages[seen_before:]:
        for mv in m.payload.get("meterValue") or []:
            total, seen = 0.0, False
            for sv in mv.get("sampledValue") or []:
                if sv.get("measurand", "Energy.Active.Import.Register") != measurand:
                    continue
                if sv.get("context", "Sample.Periodic") != "Sample.Periodic":
                    continue
                value = float(sv["value"]) * (1000.0 if sv.get("unit") in ("kW", "kWh") else 1.0)
                total, seen = total + value, True
            if seen:
                stamp = parse_time(str(mv["timestamp"]))
                out.append((stamp, total))
    ch.memo[("sampled", measurand)] = (len(messages), out)
    return list(out)


async def _smart_signals(ctx: Context) -> None:
    r1, r2, r3, r9, r11, r12 = (ctx.rec(r) for r in ("R1", "R2", "R3", "R9", "R11", "R12"))
    ch = await ctx.charger(ChargerSpec(start=SATURDAY_NOON_UK, speed=10, random_delay_max_s=0))
    await _network(r1, r11, ch)

    await start_session(ch, 1)
    await wait_limit(ch, 1, 32.0, timeout=LIMIT_WAIT_S)
    # R2: lower, then raise, by charging profile.
    for limit in (10.0, 20.0):
        status = await set_profile(ch, 1, flat_profile(11, limit))
        try:
            took = await wait_limit(ch, 1, limit, timeout=LIMIT_WAIT_S)

            async def pilot_follows(limit: float = limit) -> bool:
                return abs(float((await connector(ch, 1))["offered_current_a"]) - limit) < 0.05

            # The pilot follows the charger's limit within one poll of its controller board
            # (at once on the simulator); a pilot that never follows fails below.
            with contextlib.suppress(ScenarioAborted):
                await until("the pilot to offer the new limit", pilot_follows, LIMIT_WAIT_S)
            offered = float((await connector(ch, 1))["offered_current_a"])
            r2.check(
                f"TxDefaultProfile {limit:g} A",
                status == "Accepted" and abs(offered - limit) < 0.05,
                f"{status}; offered {offered:g} A after {ch.sim_seconds(took):.1f} s",
            )
            r2.evidence.timings[f"to {limit:g} A (s, charger time)"] = ch.sim_seconds(took)
            # R9 looks for this rate among the charger's samples: wait until it sent one.
            await ch.csms.wait_for(lambda: _offered(ch, limit), SAMPLE_WAIT_S)  # noqa: B023
        except ScenarioAborted as exc:
            r2.cannot(f"TxDefaultProfile {limit:g} A", f"{status}; {exc}")
    await call_status(ch, "ClearChargingProfile", {"id": 11})
    await wait_limit(ch, 1, 32.0, timeout=LIMIT_WAIT_S)
    r2.done()

    # R3: a schedule that holds charging off now and lets it flow OFF_S s later (charger time).
    since = len(ch.csms.received(ch.identity, "StatusNotification"))
    begin = charger_now(ch) - timedelta(seconds=30)
    planned = begin + timedelta(seconds=30 + OFF_S)
    profile = flat_profile(
        12, 0, purpose="TxDefaultProfile", start=begin, periods=[(0, 0.0), (30 + OFF_S, 32.0)]
    )
    status = await set_profile(ch, 1, profile)
    try:
        await wait_limit(ch, 1, 0.0, timeout=SAMPLE_WAIT_S)
        # R9 looks for the 0 A among the charger's samples: it sends one while the current is off.
        await ch.csms.wait_for(lambda: _offered(ch, 0.0), SAMPLE_WAIT_S)
        took = await wait_limit(ch, 1, 32.0, timeout=ch.real_seconds(OFF_S) + SAMPLE_WAIT_S)

        def flowing() -> list[datetime]:
            return [
                parse_time(m.payload["timestamp"])
                for m in ch.csms.received(ch.identity, "StatusNotification")[since:]
                if m.payload.get("connectorId") == 1 and m.payload.get("status") == "Charging"
            ]

        await ch.csms.wait_for(lambda: bool(flowing()), SAMPLE_WAIT_S)
        flowed = flowing()[0] if flowing() else None
        name = "electricity flows at the scheduled time, not before"
        if flowed is None:
            r3.cannot(name, f"{status}; no Charging status after the schedule")
        else:
            early = (planned - flowed).total_seconds()
            r3.check(
                name,
                status == "Accepted" and -early >= -5,
                f"{status}; scheduled {planned:%H:%M:%S}Z, Charging from"
                f" {flowed:%H:%M:%S}Z (charger clock; waited {ch.sim_seconds(took):.0f} s)",
            )
            r3.evidence.timings["scheduled start to flow (s)"] = -early
    except ScenarioAborted as exc:
        r3.cannot("electricity flows at the scheduled time, not before", str(exc))
    await call_status(ch, "ClearChargingProfile", {"id": 12})
    r3.done()

    # R12: reported power and energy against the simulator's true values.
    # Only samples the charger took after each step count: MeterValues may queue up behind.
    await _accuracy(ch, r12, "true meter", expect_ok=True, after=ch.clock_upper_bound())
    assert ch.sim is not None
    await ch.sim.meter_error(1, 0.15)
    changed = ch.clock_upper_bound()
    caught = await _accuracy(ch, None, "meter reading 15 % high", expect_ok=False, after=changed)
    name = "the check catches a meter reading 15 % high (simulator error knob)"
    if caught is None:
        r12.cannot(name, "no steady power samples with the meter set 15 % high")
    else:
        r12.check(name, caught, "flagged" if caught else "the 15 % error went unnoticed")
    await ch.sim.meter_error(1, 0.0)
    r12.done()

    # R11: power every second, on request too.
    trig = await call_status(
        ch, "TriggerMessage", {"requestedMessage": "MeterValues", "connectorId": 1}
    )
    power = _sampled(ch, "Power.Active.Import")
    gaps = [(b[0] - a[0]).total_seconds() for a, b in itertools.pairwise(power)]
    median = statistics.median(gaps) if gaps else float("nan")
    r11.evidence.samples["power_w"] = [v for _, v in power[-120:]]
    r11.evidence.timings["median seconds between power samples"] = median
    r11.check(
        "Power.Active.Import (W) sent every second",
        len(power) >= 30 and abs(median - 1.0) < 0.01,
        f"{len(power)} samples, median interval {median:.3f} s",
    )
    r11.check("TriggerMessage MeterValues accepted", trig == "Accepted", trig)
    r11.done()

    # R9: start, stop, energy, and every change of rate with its time.
    offers = _sampled(ch, "Current.Offered")
    levels = sorted({round(v) for _, v in offers})
    stop = await call_status(ch, "RemoteStopTransaction", {"transactionId": await _tx(ch, 1)})

    async def stopped() -> bool:
        return bool(ch.csms.received(ch.identity, "StopTransaction"))

    await until("StopTransaction", stopped, SAMPLE_WAIT_S)
    start = ch.csms.received(ch.identity, "StartTransaction")[-1].payload
    end = ch.csms.received(ch.identity, "StopTransaction")[-1].payload
    wh = int(end["meterStop"]) - int(start["meterStart"])
    t0 = parse_time(str(start["timestamp"]))
    t1 = parse_time(str(end["timestamp"]))
    r9.check(
        "energy and duration of the session",
        stop == "Accepted" and wh > 0 and t1 > t0,
        f"{wh} Wh over {(t1 - t0).total_seconds():.0f} s ({t0:%H:%M:%S}Z to {t1:%H:%M:%S}Z)",
    )
    r9.check(
        "every change of rate reported with its time (Current.Offered)",
        any(abs(v - 10) < 0.5 for v in _per_phase(offers))
        and any(abs(v - 20) < 0.5 for v in _per_phase(offers))
        and any(v < 0.5 for v in _per_phase(offers)),
        f"offered levels seen: {levels[:12]}",
    )
    r9.evidence.timings["session energy (Wh)"] = float(wh)
    r9.done()


async def _network(r1: Recorder, r11: Recorder, ch: Charger) -> None:
    boot = ch.csms.received(ch.identity, "BootNotification")
    r1.check("sends: BootNotification", bool(boot), f"{len(boot)} BootNotification, valid")
    interval = await call_status(
        ch, "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "1"}
    )
    r1.check("receives: ChangeConfiguration answered", interval == "Accepted", interval)
    r11.check("MeterValueSampleInterval 1 s accepted", interval == "Accepted", interval)
    r1.done()


_EMPTY_PLAN = (
    "the profile was accepted but the charger's composite schedule is empty: what it does is"
    " seen on a charging car (--session, or by hand)"
)


async def _smart_ocpp(ctx: Context) -> None:
    """Without the simulator: the rate and time signals as the charger's own composite
    schedule states them; measuring needs a car drawing current (not run)."""
    r1, r2, r3, r9, r11, r12 = (ctx.rec(r) for r in ("R1", "R2", "R3", "R9", "R11", "R12"))
    ch = await ctx.charger(ChargerSpec(start=SATURDAY_NOON_UK, speed=10, random_delay_max_s=0))
    await _network(r1, r11, ch)
    for limit in (10.0, 20.0):
        status = await set_profile(ch, 1, flat_profile(11, limit))
        plan = await composite(ch, 1, 300)
        name = f"TxDefaultProfile {limit:g} A: the charger plans {limit:g} A (GetCompositeSchedule)"
        if status == "Accepted" and not plan:
            r2.cannot(name, _EMPTY_PLAN)
            continue
        r2.check(
            name,
            status == "Accepted" and abs(plan[0][1] - limit) < 0.05,
            f"{status}; composite schedule {plan[:4]}",
        )
    await call_status(ch, "ClearChargingProfile", {"id": 11})
    r2.done()
    begin = charger_now(ch) - timedelta(seconds=30)
    profile = flat_profile(12, 0, start=begin, periods=[(0, 0.0), (90, 16.0)])
    status = await set_profile(ch, 1, profile)
    plan = await composite(ch, 1, 300)
    later = [start for start, limit in plan if abs(limit - 16.0) < 0.05]
    name = "a schedule holds the current off now and lets it flow 60 s later (GetCompositeSchedule)"
    if status == "Accepted" and not plan:
        r3.cannot(name, _EMPTY_PLAN)
    else:
        r3.check(
            name,
            status == "Accepted"
            and bool(plan)
            and plan[0][1] < 0.05
            and bool(later)
            and 40 <= later[0] <= 80,
            f"{status}; composite schedule {plan[:4]}",
        )
    await call_status(ch, "ClearChargingProfile", {"id": 12})
    r3.done()
    why = "measuring needs a car drawing current: plug one in and watch MeterValues"
    for rec in (r9, r11, r12):
        rec.cannot("measurements of a session", why)
        rec.done()


def _offered(ch: Charger, limit: float) -> bool:
    return any(abs(v - limit) < 0.5 for v in _per_phase(_sampled(ch, "Current.Offered")))


def _per_phase(samples: list[tuple[datetime, float]]) -> list[float]:
    # Current.Offered is one value per connector; a charger that sends it per phase sums to 3x.
    return [v for _, v in samples] + [v / 3 for _, v in samples]


async def _tx(ch: Charger, n: int) -> int:
    return int((await connector(ch, n))["transaction_id"])


async def _steady_power(ch: Charger, after: datetime) -> list[tuple[datetime, float]]:
    """The power samples stamped after `after` that span STEADY_S s of the charger's clock while
    the car draws (all of them above 0 W): a tick running late on a loaded machine then weighs
    little. Their span is the charger's, so a charger that samples seldom gives fewer of them
    over a longer wait, never none; only a charger that sends none is "not run"."""

    def window() -> list[tuple[datetime, float]]:
        got = [(t, v) for t, v in _sampled(ch, "Power.Active.Import") if t > after]
        for i in range(len(got) - 1, -1, -1):
            if got[i][1] <= 0:
                return []
            if (got[-1][0] - got[i][0]).total_seconds() >= STEADY_S:
                return got[i:]
        return []

    async def enough() -> bool:
        return bool(window())

    await until("steady power samples", enough, timeout=ch.real_seconds(STEADY_S) + SAMPLE_WAIT_S)
    return window()


async def _accuracy(
    ch: Charger, rec: Any, label: str, *, expect_ok: bool, after: datetime
) -> bool | None:
    """Compare reported power (samples after the first `after`) with the true power; True when
    within ACCURACY (or, for `expect_ok=False`, True when the error was caught); None when there
    was nothing to compare."""
    try:
        steady = await _steady_power(ch, after)
    except ScenarioAborted as exc:
        if rec is not None:
            rec.cannot(f"power within 10 % ({label})", str(exc))
        return None
    state = await connector(ch, 1)
    true_w = float(state["true_power_w"])
    if true_w <= 0:
        if rec is not None:
            rec.cannot(f"power within 10 % ({label})", "no current flows")
        return None
    reported = statistics.mean(v for _, v in steady)
    err = (reported - true_w) / true_w
    within = abs(err) <= ACCURACY
    if rec is not None:
        rec.evidence.timings[f"power error ({label}), fraction"] = err
        rec.check(
            f"power within 10 % ({label})",
            within,
            f"reported {reported:.0f} W (mean of {len(steady)} samples), true {true_w:.0f} W,"
            f" error {err:+.1%}",
        )
        # Energy: what the register gained between the first and last steady sample, against
        # what the true power delivers in that (charger-clock) time.
        first, last = steady[0][0], steady[-1][0]
        registers = [
            (t, v) for t, v in _sampled(ch, "Energy.Active.Import.Register") if first <= t <= last
        ]
        if len(registers) >= 2:
            (t0, e0), (t1, e1) = registers[0], registers[-1]
            hours = (t1 - t0).total_seconds() / 3600
            e_true = true_w * hours
            e_err = ((e1 - e0) - e_true) / e_true if e_true else 1.0
            rec.check(
                f"energy register within 10 % ({label})",
                abs(e_err) <= ACCURACY,
                f"register +{e1 - e0:.1f} Wh in {hours * 3600:.0f} s, true {e_true:.1f} Wh,"
                f" error {e_err:+.1%}",
            )
        else:
            rec.cannot(f"energy register within 10 % ({label})", "no register samples")
    return within if expect_ok else not within


SCENARIOS = (
    Scenario(
        "smart_signals",
        "Network, rate and time signals, measuring",
        ("R1", "R2", "R3", "R9", "R11", "R12"),
        _smart_signals,
        ocpp_only=_smart_ocpp,
    ),
)
