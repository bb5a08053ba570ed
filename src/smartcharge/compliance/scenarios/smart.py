"""Smart functionality and measuring (reg 5, reg 9): R1, R2, R3, R9, R11, R12.

One charger on a Saturday (no default-hours wait), random delay maximum 0 so that rate changes
show at once (the delay has its own scenarios), MeterValues every second.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import statistics
from datetime import datetime, timedelta

from smartcharge.compliance.scenarios.base import (
    GRACE_S,
    SATURDAY_NOON_UK,
    Context,
    Recorder,
    Scenario,
    ScenarioAborted,
    call_status,
    composite,
    connector,
    flat_profile,
    set_profile,
    settles,
    stamp_now,
    start_session,
    until,
    wait_limit,
)
from smartcharge.compliance.scenarios.charger_clock import charger_now, status_stamps, upper_bound
from smartcharge.compliance.scenarios.smart_samples import SAMPLE_WAIT_S, accuracy, sampled
from smartcharge.compliance.target import Charger, ChargerSpec
from smartcharge.ocpp.times import parse_time

# Every wait ends on the charger's own evidence (a sample, a status, its limit); these guards
# only turn a charger that never shows it into "not run", so they are generous enough for a
# busy machine that starves the charger and the suite alike.
LIMIT_WAIT_S = 60.0
# R3 holds the current off this long (its clock): a minute's grace after the charger took the
# profile still leaves a hold long enough for a charger sampling every 60 s to show it.
OFF_S = 180


async def _smart_signals(ctx: Context) -> None:
    r1, r2, r3, r9, r11, r12 = (ctx.rec(r) for r in ("R1", "R2", "R3", "R9", "R11", "R12"))
    ch = await ctx.charger(ChargerSpec(start=SATURDAY_NOON_UK, speed=10, random_delay_max_s=0))
    await _network(r1, r11, ch)

    await start_session(ch, 1)
    await wait_limit(ch, 1, 32.0, timeout=LIMIT_WAIT_S)
    applied: dict[float, datetime] = {}  # R9: each rate the charger took, from when (its clock)
    # R2: lower, then raise, by charging profile.
    for limit in (10.0, 20.0):
        name = f"TxDefaultProfile {limit:g} A"
        loop = asyncio.get_running_loop()
        began = loop.time()
        status = await set_profile(ch, 1, flat_profile(11, limit))
        # Its own samples a minute (its clock) on still at the old rate fail it: a charger that
        # ignores the profile is caught, not left to time out.
        settled = await settles(ch, 1, limit, GRACE_S, timeout=LIMIT_WAIT_S)
        if settled is None:
            r2.cannot(name, f"{status}; neither {limit:g} A nor a sample {GRACE_S:.0f} s later")
            continue
        if not settled:
            last = sampled(ch, "Current.Offered")[-1]
            r2.check(
                name,
                False,
                f"{status}; still offered {last[1]:g} A at {last[0]:%H:%M:%S}Z (its samples,"
                f" {GRACE_S:.0f} s after the profile)",
            )
            continue
        took = loop.time() - began
        applied[limit] = charger_now(ch)

        async def pilot_follows(limit: float = limit) -> bool:
            return abs(float((await connector(ch, 1))["offered_current_a"]) - limit) < 0.05

        # The pilot follows the charger's limit within one poll of its controller board
        # (at once on the simulator); a pilot that never follows fails below.
        with contextlib.suppress(ScenarioAborted):
            await until("the pilot to offer the new limit", pilot_follows, LIMIT_WAIT_S)
        offered = float((await connector(ch, 1))["offered_current_a"])
        r2.check(
            name,
            status == "Accepted" and abs(offered - limit) < 0.05,
            f"{status}; offered {offered:g} A after {ch.sim_seconds(took):.1f} s",
        )
        r2.evidence.timings[f"to {limit:g} A (s, charger time)"] = ch.sim_seconds(took)
        await _reported(ch, limit, applied[limit])
    await call_status(ch, "ClearChargingProfile", {"id": 11})
    await wait_limit(ch, 1, 32.0, timeout=LIMIT_WAIT_S)
    r2.done()

    # R3: a schedule that holds charging off now and lets it flow OFF_S s later (charger time).
    # Both ends of the hold are read off the charger's own clock: it stamps a status asked for
    # just before the profile is sent (the schedule is laid out from it) and another asked for
    # once the profile was accepted (the hold is judged from a minute after that). Its samples
    # may queue behind on a busy machine; the suite's estimate would lag with them.
    t0 = await stamp_now(ch) or charger_now(ch)
    begin = t0 - timedelta(seconds=30)
    planned = t0 + timedelta(seconds=OFF_S)
    profile = flat_profile(
        12, 0, purpose="TxDefaultProfile", start=begin, periods=[(0, 0.0), (30 + OFF_S, 32.0)]
    )
    name = "electricity flows at the scheduled time, not before"
    status = await set_profile(ch, 1, profile)
    since = len(ch.csms.received(ch.identity, "StatusNotification"))
    taken = await stamp_now(ch) or upper_bound(ch)
    hold_from = taken + timedelta(seconds=GRACE_S)
    hold_until = planned - timedelta(seconds=5)

    def in_hold() -> list[tuple[datetime, float]]:
        """Its samples offering current in the hold: from a minute after the profile (its clock)
        to a moment before the schedule lets it flow."""
        return [(t, v) for t, v in sampled(ch, "Current.Offered") if hold_from < t < hold_until]

    async def off_or_offered() -> bool:
        on = any(v > 0.5 for _, v in in_hold())
        return on or abs(float((await connector(ch, 1)).get("limit_a") or 0.0)) < 0.05

    try:
        if hold_from >= hold_until:
            raise ScenarioAborted(
                f"{status}; the charger took the profile at {taken:%H:%M:%S}Z on its clock, too"
                f" late to see it hold the current off before {planned:%H:%M:%S}Z"
            )
        await until("the current off, or offered in the hold", off_or_offered, SAMPLE_WAIT_S)
        offered_early = [(t, v) for t, v in in_hold() if v > 0.5]
        if offered_early:
            t, v = offered_early[0]
            raise _Early(
                f"{status}; offered {v:g} A at {t:%H:%M:%S}Z, scheduled {planned:%H:%M:%S}Z"
            )
        applied[0.0] = charger_now(ch)
        # R9 looks for the 0 A among the charger's samples: it sends one while the current is off.
        await _reported(ch, 0.0, applied[0.0])
        took = await wait_limit(ch, 1, 32.0, timeout=ch.real_seconds(OFF_S) + SAMPLE_WAIT_S)

        def flowing() -> list[datetime]:  # after the status it stamped when asked (at `taken`)
            return [t for t, st in status_stamps(ch, since) if st == "Charging" and t > taken]

        def covered() -> bool:  # every sample of the hold is in: its samples arrive in order
            power = sampled(ch, "Power.Active.Import")
            return bool(flowing()) and bool(power) and power[-1][0] >= hold_until

        await ch.csms.wait_for(covered, SAMPLE_WAIT_S)
        flowed = flowing()[0] if flowing() else None
        offered_early = [(t, v) for t, v in in_hold() if v > 0.5]
        if flowed is None:
            r3.cannot(name, f"{status}; no Charging status after the schedule")
        elif not covered():
            r3.cannot(name, f"{status}; its samples never reached {hold_until:%H:%M:%S}Z")
        else:
            early = (planned - flowed).total_seconds()
            r3.check(
                name,
                status == "Accepted" and -early >= -5 and not offered_early,
                f"{status}; scheduled {planned:%H:%M:%S}Z, Charging from"
                f" {flowed:%H:%M:%S}Z (charger clock; waited {ch.sim_seconds(took):.0f} s)"
                + (
                    f"; offered {offered_early[0][1]:g} A at {offered_early[0][0]:%H:%M:%S}Z"
                    if offered_early
                    else ""
                ),
            )
            r3.evidence.timings["scheduled start to flow (s)"] = -early
    except _Early as exc:
        r3.check(name, False, str(exc))
    except ScenarioAborted as exc:
        r3.cannot(name, str(exc))
    await call_status(ch, "ClearChargingProfile", {"id": 12})
    r3.done()

    # R12: reported power and energy against the simulator's true values.
    # Only samples the charger took after each step count: MeterValues may queue up behind.
    await accuracy(ch, r12, "true meter", expect_ok=True, after=ch.clock_upper_bound())
    assert ch.sim is not None
    await ch.sim.meter_error(1, 0.15)
    changed = ch.clock_upper_bound()
    caught = await accuracy(ch, None, "meter reading 15 % high", expect_ok=False, after=changed)
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
    power = sampled(ch, "Power.Active.Import")
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
    offers = sampled(ch, "Current.Offered")
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
    # Each rate the charger took must show in its samples; one it never took is R2's or R3's
    # failure, not a report missing.
    missing = [f"{a:g} A" for a in sorted(applied) if not _offered(ch, a)]
    name = "every change of rate reported with its time (Current.Offered)"
    seen = f"offered levels seen: {levels[:12]}"
    if not applied:
        r9.cannot(name, f"the charger took none of the rates set; {seen}")
    else:
        r9.check(
            name,
            not missing,
            f"{seen}" + (f"; taken but never reported: {', '.join(missing)}" if missing else ""),
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


class _Early(Exception):
    """R3: the charger's own samples offered current while the schedule held it off."""


async def _reported(ch: Charger, amps: float, since: datetime) -> None:
    """Wait for R9's evidence of a rate the charger took at `since` (its clock): a Current.Offered
    sample at it, or a power sample stamped GRACE_S later (then the rate went unreported)."""

    def shown() -> bool:
        power = sampled(ch, "Power.Active.Import")
        late = bool(power) and power[-1][0] >= since + timedelta(seconds=GRACE_S)
        return _offered(ch, amps) or late

    await ch.csms.wait_for(shown, SAMPLE_WAIT_S)


def _offered(ch: Charger, limit: float) -> bool:
    return any(abs(v - limit) < 0.5 for v in _per_phase(sampled(ch, "Current.Offered")))


def _per_phase(samples: list[tuple[datetime, float]]) -> list[float]:
    # Current.Offered is one value per connector; a charger that sends it per phase sums to 3x.
    return [v for _, v in samples] + [v / 3 for _, v in samples]


async def _tx(ch: Charger, n: int) -> int:
    return int((await connector(ch, n))["transaction_id"])


SCENARIOS = (
    Scenario(
        "smart_signals",
        "Network, rate and time signals, measuring",
        ("R1", "R2", "R3", "R9", "R11", "R12"),
        _smart_signals,
        ocpp_only=_smart_ocpp,
    ),
)
