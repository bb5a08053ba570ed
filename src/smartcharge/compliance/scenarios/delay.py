"""Randomised delay (reg 11): R21-R26.

The delay is sampled at relevant times the suite makes itself: a charging profile alternating
between 10 A and 16 A on a charging car, on a Saturday (no default-hours wait). Each change is a
relevant time; the charger announces the delay it drew (org.smartcharge.uk RandomDelay, the
owner's countdown) and the suite skips it (the owner's override) before the next change. A change
the charger applies at once is a draw of 0 s. Some delays are also timed end to end on the
simulated clock, so the announced figure is checked against what the charger really did.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from smartcharge.compliance.scenarios.announce import (
    OUTCOME_WAIT_S,
    ZERO_TRIES,
    announcement,
    draws_in_words,
    outcome,
    plug_ins,
    ran_out,
)
from smartcharge.compliance.scenarios.base import (
    SATURDAY_NOON_UK,
    STARVED_REAL_S,
    Context,
    Recorder,
    Scenario,
    ScenarioAborted,
    call_status,
    cannot_here,
    connector,
    flat_profile,
    get_config,
    set_profile,
    stamp_now,
    uk,
    wait_limit,
)
from smartcharge.compliance.scenarios.charger_clock import charger_now, status_stamps
from smartcharge.compliance.statistics import (
    judged_twice,
    looks_uniform,
    needs_second_sample,
    uniformity,
)
from smartcharge.compliance.target import Charger, ChargerSpec
from smartcharge.ocpp import uk_extension

SAMPLES_FAST = 120
SAMPLES_FULL = 400
SAMPLES_AT_1800 = 30
TIMED_MAX_S = 60
PROFILE_ID = 21
# The plug-in's delay is also the one the owner skips (R25): a draw shorter than SKIP_MIN_S may
# leave too little of it by the time the suite skips (the checks between take simulated tens of
# seconds on a busy machine), so the car is plugged in again, up to SKIP_TRIES times (a fair draw
# at 600 s is under 120 s every time once in 16,000 runs). The skip is judged only on a delay of
# SKIP_MIN_S or more, so whether it is judged never depends on how the machine's load fell; with
# under SKIP_LEFT_MIN_S left, the delay may run out while the skip is on its way: not judged.
SKIP_MIN_S = 120
SKIP_TRIES = 6
SKIP_LEFT_MIN_S = 30


async def _draw(ch: Charger, limit: float) -> int:
    """Make one relevant time (the profile to `limit`); the delay drawn for it, in seconds."""
    before = len(ch.csms.uk_messages(ch.identity, uk_extension.RANDOM_DELAY))
    status = await set_profile(ch, 1, flat_profile(PROFILE_ID, limit))
    if status != "Accepted":
        raise ScenarioAborted(f"SetChargingProfile {limit:g} A: {status}")
    value = await outcome(ch, before, limit)
    if value is None:
        raise ScenarioAborted(f"the charger neither applied {limit:g} A nor announced a delay")
    if value > 0:
        await uk(ch, uk_extension.SKIP_DELAY, {"connectorId": 1})
        await wait_limit(ch, 1, limit, timeout=OUTCOME_WAIT_S)
    return value


async def _scheduled_event(ch: Charger, event_id: str) -> tuple[str, int | None, float, float]:
    """A DSR event scheduled for now at 8 A (a relevant time), then opted out of: (its answer,
    the delay drawn, the rate just after it, the rate before it)."""
    before = len(ch.csms.uk_messages(ch.identity, uk_extension.RANDOM_DELAY))
    prior = float((await connector(ch, 1))["limit_a"])
    event = {
        "id": event_id,
        "kind": "scheduled",
        "limitA": 8,
        "start": charger_now(ch).isoformat(),
        "durationS": 3600,
        "alreadyRandomised": False,
    }
    status, _ = await uk(ch, uk_extension.DSR_EVENT, event)
    sched = await outcome(ch, before, 8.0) if status == "Accepted" else 0
    held = float((await connector(ch, 1))["limit_a"])
    if sched and ran_out(ch, before, sched):
        held = prior  # read after the delay ran out: only the announcement shows
    # The opt-out may itself be a relevant time (the rate goes back up): let it be announced or
    # applied before the session's skip, so that its delay is not taken for the next change's.
    before = len(ch.csms.uk_messages(ch.identity, uk_extension.RANDOM_DELAY))
    await uk(ch, uk_extension.DSR_OPT_OUT, {"id": event_id})
    if await outcome(ch, before, prior):
        await uk(ch, uk_extension.SKIP_DELAY, {"connectorId": 1})
    return status, sched, held, prior


async def _sample(ch: Charger, n: int) -> list[int]:
    return [await _draw(ch, 10.0 if i % 2 == 0 else 16.0) for i in range(n)]


async def _set_max(ch: Charger, value: str) -> str:
    return await call_status(
        ch, "ChangeConfiguration", {"key": "RandomisedDelayMaxSeconds", "value": value}
    )


async def _timed(ch: Charger, rec: Recorder, limit: float, label: str) -> None:
    """Time one delay end to end on the charger's own clock (R24): the rate goes between 0 A and
    16 A, so its status (Charging / SuspendedEVSE) changes when the new rate applies, stamped by
    the charger. When the change reached the charger is bracketed on its clock too: it stamps a
    status asked for just before the change is sent, and another asked for just after it was
    accepted. The true delay lies between the end less the second stamp and the end less the
    first: no wall clock of the suite's comes into it, so a busy machine only widens the bracket."""
    name = f"{label}: previous rate held for the drawn delay"
    before = len(ch.csms.uk_messages(ch.identity, uk_extension.RANDOM_DELAY))
    # Energy offered shows as Charging, or SuspendedEV while the car has not yet started drawing.
    offered = ("Charging", "SuspendedEV")
    old_status = offered if limit == 0 else ("SuspendedEVSE",)
    new_status = ("SuspendedEVSE",) if limit == 0 else offered
    earliest = await stamp_now(ch, OUTCOME_WAIT_S)
    since = len(ch.csms.received(ch.identity, "StatusNotification"))
    await set_profile(ch, 1, flat_profile(PROFILE_ID, limit))
    await call_status(
        ch, "TriggerMessage", {"requestedMessage": "StatusNotification", "connectorId": 1}
    )

    def stamps() -> list[tuple[datetime, str]]:
        return status_stamps(ch, since)

    def changed() -> bool:
        return any(s in new_status for _, s in stamps())

    # The announcement comes before the change applies (same connection, in order): once the
    # new status is in, an announcement not seen was never made.
    await ch.csms.wait_for(changed, ch.real_seconds(TIMED_MAX_S) + OUTCOME_WAIT_S)
    announced = announcement(ch, before)
    drawn = 0 if announced is None else announced
    seen = stamps()
    latest = next((t for t, s in seen if s in old_status), None)
    end = next((t for t, s in seen if s in new_status), None)
    if end is None or earliest is None:
        rec.cannot(name, f"no {new_status[0]} status in {TIMED_MAX_S} s of its clock: {seen}")
        return
    # The previous rate must be held for the whole drawn delay: a change applied before it ran
    # out is the violation (up to a tick early: the status follows the rate on the next tick).
    # Applied later than drawn is not one, up to the maximum (with three ticks for the car to
    # start drawing and the status to follow): a simulated charger starved of CPU on a busy
    # machine applies late on its own clock, never early.
    tick, late = 1.5, 3.5
    most = (end - earliest).total_seconds()
    least = (end - latest).total_seconds() if latest is not None else 0.0
    rec.evidence.timings[f"{label}: drawn (s)"] = float(drawn)
    rec.evidence.timings[f"{label}: held at least (s, charger clock)"] = least
    rec.evidence.timings[f"{label}: held at most (s, charger clock)"] = most
    rec.check(
        name,
        drawn <= most + tick and least <= TIMED_MAX_S + late + ch.sim_seconds(STARVED_REAL_S),
        f"drawn {drawn} s; asked at or after {earliest:%H:%M:%S}"
        + (f", {old_status[0]} still at {latest:%H:%M:%S}" if latest else "")
        + f", {new_status[0]} at {end:%H:%M:%S} (charger clock): held {least:.0f}..{most:.0f} s"
        + (" (applied before the delay ran out)" if drawn > most + tick else ""),
    )


async def _skip(ch: Charger, r25: Recorder, drawn: int | None) -> None:
    """The owner skips the delay running since plug-in (R25), judged on the charger's clock: the
    delay left is read after the charger stamped a status, so the delay would end no earlier
    than that stamp plus what was left; a rate applied (its new status stamped) before then was
    applied because of the skip. A starved charger only applies later, never earlier, so a busy
    machine can cost a verdict its evidence but never make an ignored skip pass."""
    name = "the owner skips the delay: the change applies at once"
    if drawn is None or drawn < SKIP_MIN_S:
        r25.cannot(
            name,
            f"the delay drawn at the last of the plug-ins was {drawn} s: under {SKIP_MIN_S} s is"
            " too short to tell a skip from the delay ending",
        )
        return
    earliest = await stamp_now(ch, OUTCOME_WAIT_S)
    left = int((await connector(ch, 1)).get("random_delay_remaining_s") or 0)
    since = len(ch.csms.received(ch.identity, "StatusNotification"))
    status, _ = await uk(ch, uk_extension.SKIP_DELAY, {"connectorId": 1})
    offered = ("Charging", "SuspendedEV")

    def applied() -> datetime | None:
        return next((t for t, st in status_stamps(ch, since) if st in offered), None)

    await ch.csms.wait_for(lambda: applied() is not None, ch.real_seconds(left) + OUTCOME_WAIT_S)
    end = applied()
    tick = 1.5
    if earliest is None or end is None or left < SKIP_LEFT_MIN_S:
        r25.cannot(
            name,
            f"SkipDelay {status}; {left} s of the delay left when skipped"
            + ("" if end else "; no Charging status after it"),
        )
        return
    took = (end - earliest).total_seconds()
    r25.check(
        name,
        status == "Accepted" and took < left - tick,
        f"SkipDelay {status} with {left} s of the delay left; charging offered {took:.0f} s"
        " after it was asked for (charger clock)",
    )


async def _random_delay(ctx: Context) -> None:
    r21, r22, r23, r24, r25 = (ctx.rec(r) for r in ("R21", "R22", "R23", "R24", "R25"))
    ch = await ctx.charger(ChargerSpec(start=SATURDAY_NOON_UK, speed=20, random_delay_max_s=600))
    default = await get_config(ch, "RandomisedDelayMaxSeconds")
    r22.check("default maximum is 600 s", default == "600", f"RandomisedDelayMaxSeconds={default}")
    # Plug-in with charging allowed is a relevant time (R24); a 0 s draw is plugged in again.
    plugs, state, short = await plug_ins(ch, SKIP_MIN_S, SKIP_TRIES)
    plug = plugs[-1]
    name = "plug-in with charging allowed is delayed"
    if plug is None:
        r24.cannot(name, f"no delay announced and no current offered in {OUTCOME_WAIT_S:.0f} s")
        r25.cannot("the owner sees a countdown", "no delay announced nor current offered")
    else:
        r24.check(
            name,
            plug > 0 and (short or float(state["limit_a"]) == 0.0),
            f"announced {plug} s; rate {state['limit_a']} A when read"
            if plug
            else "32 A offered at once, no delay announced",
        )
        r25.check(
            "the owner sees a countdown",
            plug > 0 and (short or int(state.get("random_delay_remaining_s") or 0) > 0),
            f"RandomDelay DataTransfer remainingS={plug}; charger shows"
            f" {state.get('random_delay_remaining_s')} s remaining",
        )
    await _skip(ch, r25, plug)
    # The sample at the default maximum (R21, R22).
    n = SAMPLES_FAST if ctx.fast else SAMPLES_FULL
    samples = await _sample(ch, n)
    # SciPy's import and tests take a second or more of CPU: off the event loop, which keeps
    # reading the chargers' frames (and their clocks) meanwhile.
    summary = await asyncio.to_thread(uniformity, samples, 600)
    ok, verdict = looks_uniform(summary)
    r22.evidence.samples["random delay at max 600 s"] = [float(s) for s in samples]
    r22.evidence.statistics["random delay at max 600 s"] = summary
    if needs_second_sample(summary):
        again = await _sample(ch, n)
        second = await asyncio.to_thread(uniformity, again, 600)
        ok, verdict = judged_twice(summary, second)
        r22.evidence.samples["random delay at max 600 s, second sample"] = [float(s) for s in again]
        r22.evidence.statistics["random delay at max 600 s, second sample"] = second
        samples += again
    r22.check("delays uniform over 0..600 whole seconds", ok, verdict)
    r21.check(
        "delays are whole seconds within 0..max",
        all(isinstance(s, int) and 0 <= s <= 600 for s in samples),
        f"{len(samples)} delays, {min(samples)}..{max(samples)} s",
    )
    await _max_range(r23, ch)
    at_1800 = await _sample(ch, SAMPLES_AT_1800)
    r21.evidence.samples["random delay at max 1800 s"] = [float(s) for s in at_1800]
    r21.check(
        "with the maximum at 1800 s, delays reach beyond 600 s and stay within 1800 s",
        max(at_1800) > 600 and all(0 <= s <= 1800 for s in at_1800),
        f"{len(at_1800)} delays, {min(at_1800)}..{max(at_1800)} s",
    )
    r21.done()
    r22.done()
    # Timed end to end, with a small maximum so it takes a second of real time.
    await _set_max(ch, str(TIMED_MAX_S))
    for i, limit in enumerate((0.0, 16.0, 0.0, 16.0)):
        await _timed(ch, r24, limit, f"profile change {i + 1}")
    # A tariff change (price signal, not DSR) and a scheduled DSR event are relevant times.
    await _set_max(ch, "1800")
    tariff: list[int] = []
    for i in range(ZERO_TRIES):
        await uk(
            ch, uk_extension.PROFILE_FLAGS, {"chargingProfileId": PROFILE_ID, "cause": "tariff"}
        )
        tariff.append(await _draw(ch, 10.0 if i % 2 == 0 else 16.0))  # from the timed 16 A
        if tariff[-1] > 0:
            break
    r24.check("a tariff change is delayed", tariff[-1] > 0, draws_in_words(tariff, 1800))
    for i in range(ZERO_TRIES):
        status, sched, held, prior = await _scheduled_event(ch, f"sched-{i + 1}")
        if sched != 0 or status != "Accepted":
            break
    name = "a DSR event scheduled for a set time is delayed"
    if sched is None:
        r24.cannot(name, f"{status}; no delay announced and 8 A not applied")
    else:
        r24.check(
            name,
            status == "Accepted" and sched > 0 and held == prior,
            f"{status}; announced {sched} s; rate held at {held:g} A"
            f" (event {i + 1} of {ZERO_TRIES} at most: a 0 s draw is sent again)"
            if sched
            else f"{status}; 8 A applied at once, no delay announced, {i + 1} events in a row",
        )
    r24.done()
    # "No delay this session" (R25).
    status, _ = await uk(ch, uk_extension.SKIP_DELAY, {"connectorId": 1, "session": True})
    before = len(ch.csms.uk_messages(ch.identity, uk_extension.RANDOM_DELAY))
    await set_profile(ch, 1, flat_profile(PROFILE_ID, 10.0))
    drawn = await outcome(ch, before, 10.0)
    name = "no delay for the rest of the session"
    if drawn is None:
        r25.cannot(name, f"SkipDelay(session) {status}; 10 A neither applied nor delayed")
    else:
        r25.check(
            name,
            status == "Accepted" and drawn == 0,
            f"SkipDelay(session) {status}; the next change "
            + (f"was delayed {drawn} s" if drawn else "applied with no delay announced"),
        )
    r25.done()
    await _max_persisted(r23, ch)


async def _max_range(r23: Recorder, ch: Charger) -> None:
    """R23: the maximum is changed remotely, within 0..1800."""
    answers = {v: await _set_max(ch, v) for v in ("1801", "-1", "abc", "12.5", "1800")}
    now = await get_config(ch, "RandomisedDelayMaxSeconds")
    r23.check(
        "1800 accepted; 1801, -1, 'abc', '12.5' rejected",
        answers["1800"] == "Accepted"
        and all(answers[v] == "Rejected" for v in ("1801", "-1", "abc", "12.5"))
        and now == "1800",
        f"answers {answers}; now {now}",
    )


async def _max_persisted(r23: Recorder, ch: Charger) -> None:
    """R23: the maximum survives a restart."""
    boots = len(ch.csms.received(ch.identity, "BootNotification"))
    reset = await call_status(ch, "Reset", {"type": "Soft"})
    await ch.csms.wait_booted(ch.identity, 60, after=boots)
    await ch.csms.wait_connected(ch.identity, 10)
    kept = await get_config(ch, "RandomisedDelayMaxSeconds")
    r23.check("the maximum is persisted across a restart", kept == "1800", f"Reset {reset}; {kept}")
    r23.done()


async def _delay_ocpp(ctx: Context) -> None:
    """Without the simulator: the maximum's key (R23), and it is put back as it was. The delays
    themselves happen at relevant times a car plugged in makes (not run)."""
    r23 = ctx.rec("R23")
    ch = await ctx.charger(ChargerSpec(start=SATURDAY_NOON_UK, speed=20))
    was = await get_config(ch, "RandomisedDelayMaxSeconds")
    await _max_range(r23, ch)
    await _max_persisted(r23, ch)
    if was is not None:
        await _set_max(ch, was)
    cannot_here(
        ctx,
        ("R21", "R22", "R24", "R25"),
        "delays drawn at relevant times",
        "a delay is drawn when a plugged-in car's rate would change: plug one in, change its"
        " profile many times and time each start (the simulated target does this)",
    )


SCENARIOS = (
    Scenario(
        "random_delay",
        "Randomised delay: sample, maximum, relevant times, owner override",
        ("R21", "R22", "R23", "R24", "R25"),
        _random_delay,
        ocpp_only=_delay_ocpp,
        physical="the delays are drawn at relevant times that a plugged-in car makes",
        uses_statistics=True,
    ),
)
