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
from typing import Any

from smartcharge.compliance.scenarios.base import (
    SATURDAY_NOON_UK,
    Context,
    Recorder,
    Scenario,
    ScenarioAborted,
    call_status,
    cannot_here,
    charger_now,
    connector,
    flat_profile,
    get_config,
    set_profile,
    start_session,
    uk,
    wait_limit,
)
from smartcharge.compliance.statistics import looks_uniform, uniformity
from smartcharge.compliance.target import Charger, ChargerSpec
from smartcharge.ocpp.times import parse_time

SAMPLES_FAST = 120
SAMPLES_FULL = 400
SAMPLES_AT_1800 = 30
TIMED_MAX_S = 60
PROFILE_ID = 21


async def _announced(ch: Charger, before: int, timeout: float) -> int | None:
    """The next delay the charger announces after the first `before`, or None."""

    def count() -> int:
        return len(ch.csms.uk_messages(ch.identity, "RandomDelay"))

    ok = await ch.csms.wait_for(lambda: count() > before, timeout)
    if not ok:
        return None
    _, data = ch.csms.uk_messages(ch.identity, "RandomDelay")[before]
    value = data.get("remainingS")
    return int(value) if isinstance(value, int | float) else None


async def _draw(ch: Charger, limit: float) -> int:
    """Make one relevant time (the profile to `limit`); the delay drawn for it, in seconds."""
    before = len(ch.csms.uk_messages(ch.identity, "RandomDelay"))
    status = await set_profile(ch, 1, flat_profile(PROFILE_ID, limit))
    if status != "Accepted":
        raise ScenarioAborted(f"SetChargingProfile {limit:g} A: {status}")
    applied = asyncio.ensure_future(wait_limit(ch, 1, limit, timeout=5))
    announced = asyncio.ensure_future(_announced(ch, before, timeout=5))
    done, _ = await asyncio.wait({applied, announced}, return_when=asyncio.FIRST_COMPLETED)
    if announced in done and announced.result() is not None:
        applied.cancel()
        value = announced.result()
        assert value is not None
        await uk(ch, "SkipDelay", {"connectorId": 1})
        await wait_limit(ch, 1, limit, timeout=5)
        return value
    announced.cancel()
    await asyncio.gather(applied, announced, return_exceptions=True)
    if applied.done() and applied.exception() is None:
        # Applied without an announcement. A charger that announces its delays drew 0 s here.
        return 0
    raise ScenarioAborted(f"the charger neither applied {limit:g} A nor announced a delay")


async def _sample(ch: Charger, n: int) -> list[int]:
    return [await _draw(ch, 10.0 if i % 2 == 0 else 16.0) for i in range(n)]


async def _set_max(ch: Charger, value: str) -> str:
    return await call_status(
        ch, "ChangeConfiguration", {"key": "RandomisedDelayMaxSeconds", "value": value}
    )


def _status_stamps(ch: Charger, since: int) -> list[tuple[datetime, str]]:
    """(charger time, status) of connector 1's StatusNotifications after the first `since`."""
    out = []
    for m in ch.csms.received(ch.identity, "StatusNotification")[since:]:
        if m.payload.get("connectorId") == 1 and isinstance(m.payload.get("timestamp"), str):
            stamp = parse_time(m.payload["timestamp"])
            out.append((stamp, str(m.payload["status"])))
    return out


async def _timed(ch: Charger, rec: Recorder, limit: float, label: str) -> None:
    """Time one delay end to end on the charger's own clock (R24): the rate goes between 0 A and
    16 A, so its status (Charging / SuspendedEVSE) changes when the new rate applies, stamped by
    the charger. The start is stamped too: right after the change is accepted the suite asks the
    charger for its status (TriggerMessage), so the measured delay is short of the true one by at
    most the round trip of that request."""
    before = len(ch.csms.uk_messages(ch.identity, "RandomDelay"))
    since = len(ch.csms.received(ch.identity, "StatusNotification"))
    # Energy offered shows as Charging, or SuspendedEV while the car has not yet started drawing.
    offered = ("Charging", "SuspendedEV")
    old_status = offered if limit == 0 else ("SuspendedEVSE",)
    new_status = ("SuspendedEVSE",) if limit == 0 else offered
    loop = asyncio.get_running_loop()
    await set_profile(ch, 1, flat_profile(PROFILE_ID, limit))
    t0 = loop.time()
    await call_status(
        ch, "TriggerMessage", {"requestedMessage": "StatusNotification", "connectorId": 1}
    )
    rtt = loop.time() - t0
    announced = await _announced(ch, before, timeout=1.0)
    drawn = 0 if announced is None else announced

    def stamps() -> list[tuple[datetime, str]]:
        return _status_stamps(ch, since)

    await ch.csms.wait_for(
        lambda: any(s in new_status for _, s in stamps()), ch.real_seconds(TIMED_MAX_S) + 5
    )
    seen = stamps()
    start = next((t for t, s in seen if s in old_status), None)
    end = next((t for t, s in seen if s in new_status), None)
    slack = ch.sim_seconds(rtt) + 1.5
    if start is None and end is not None:
        # The delay ran out before the charger answered the trigger: only a short draw fits.
        rec.check(
            f"{label}: previous rate held for the drawn delay",
            drawn <= slack + 3.5,
            f"drawn {drawn} s; already {seen[0][1]} when asked, {slack:.1f} s after the change",
        )
        return
    if start is None or end is None:
        rec.check(f"{label}: previous rate held for the drawn delay", False, f"statuses {seen}")
        return
    measured = (end - start).total_seconds()
    # Short by up to the trigger's round trip and a tick (slack); long by up to three ticks (the
    # car starts drawing, and the status follows, on the ticks after the rate applies).
    late = 3.5
    rec.evidence.timings[f"{label}: drawn (s)"] = float(drawn)
    rec.evidence.timings[f"{label}: measured (s, charger clock)"] = measured
    rec.check(
        f"{label}: previous rate held for the drawn delay",
        drawn - slack <= measured <= drawn + late,
        f"drawn {drawn} s; {old_status[0]} at {start:%H:%M:%S}, {new_status[0]} at {end:%H:%M:%S}"
        f" (charger clock): {measured:.0f} s (allowed {drawn - slack:.0f}..{drawn + late:.0f})",
    )


async def _random_delay(ctx: Context) -> None:
    r21, r22, r23, r24, r25 = (ctx.rec(r) for r in ("R21", "R22", "R23", "R24", "R25"))
    ch = await ctx.charger(ChargerSpec(start=SATURDAY_NOON_UK, speed=20, random_delay_max_s=600))
    default = await get_config(ch, "RandomisedDelayMaxSeconds")
    r22.check("default maximum is 600 s", default == "600", f"RandomisedDelayMaxSeconds={default}")
    # Plug-in with charging allowed is a relevant time (R24).
    before = len(ch.csms.uk_messages(ch.identity, "RandomDelay"))
    await start_session(ch, 1)
    plug = await _announced(ch, before, timeout=5)
    state = await connector(ch, 1)
    # A very short draw may be over before the suite looks: then only the announcement shows.
    short = plug is not None and plug < ch.sim_seconds(2.0)
    r24.check(
        "plug-in with charging allowed is delayed",
        plug is not None and plug > 0 and (short or float(state["limit_a"]) == 0.0),
        f"announced {plug} s; rate {state['limit_a']} A when read",
    )
    r25.check(
        "the owner sees a countdown",
        plug is not None and (short or int(state.get("random_delay_remaining_s") or 0) > 0),
        f"RandomDelay DataTransfer remainingS={plug}; charger shows"
        f" {state.get('random_delay_remaining_s')} s remaining",
    )
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    status, _ = await uk(ch, "SkipDelay", {"connectorId": 1})
    try:
        await wait_limit(ch, 1, 32.0, timeout=5)
        skipped = ch.sim_seconds(loop.time() - t0)
        r25.check(
            "the owner skips the delay: the change applies at once",
            status == "Accepted" and skipped < 60,
            f"SkipDelay {status}; 32 A after {skipped:.1f} s",
        )
    except ScenarioAborted as exc:
        r25.check("the owner skips the delay: the change applies at once", False, str(exc))
    # The sample at the default maximum (R21, R22).
    n = SAMPLES_FAST if ctx.fast else SAMPLES_FULL
    samples = await _sample(ch, n)
    summary = uniformity(samples, 600)
    ok, verdict = looks_uniform(summary)
    r22.evidence.samples["random delay at max 600 s"] = [float(s) for s in samples]
    r22.evidence.statistics["random delay at max 600 s"] = summary
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
    await uk(ch, "ProfileFlags", {"chargingProfileId": PROFILE_ID, "cause": "tariff"})
    tariff = await _draw(ch, 10.0)  # from the 16 A the timed changes ended at
    r24.check("a tariff change is delayed", tariff > 0, f"drawn {tariff} s")
    before = len(ch.csms.uk_messages(ch.identity, "RandomDelay"))
    prior = float((await connector(ch, 1))["limit_a"])
    event = {
        "id": "sched-1",
        "kind": "scheduled",
        "limitA": 8,
        "start": charger_now(ch).isoformat(),
        "durationS": 3600,
        "alreadyRandomised": False,
    }
    status, _ = await uk(ch, "DsrEvent", event)
    sched = await _announced(ch, before, timeout=5)
    held = float((await connector(ch, 1))["limit_a"])
    r24.check(
        "a DSR event scheduled for a set time is delayed",
        status == "Accepted" and sched is not None and sched > 0 and held == prior,
        f"{status}; announced {sched} s; rate held at {held:g} A",
    )
    await uk(ch, "DsrOptOut", {"id": "sched-1"})
    r24.done()
    # "No delay this session" (R25).
    status, _ = await uk(ch, "SkipDelay", {"connectorId": 1, "session": True})
    before = len(ch.csms.uk_messages(ch.identity, "RandomDelay"))
    await set_profile(ch, 1, flat_profile(PROFILE_ID, 10.0))
    try:
        took = await wait_limit(ch, 1, 10.0, timeout=3)
        announced = len(ch.csms.uk_messages(ch.identity, "RandomDelay")) - before
        r25.check(
            "no delay for the rest of the session",
            status == "Accepted" and ch.sim_seconds(took) < 60 and announced == 0,
            f"SkipDelay(session) {status}; next change applied after"
            f" {ch.sim_seconds(took):.1f} s, {announced} delays announced",
        )
    except ScenarioAborted as exc:
        r25.check("no delay for the rest of the session", False, str(exc))
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


async def _at_once(ch: Charger, limit: float, send: Any) -> tuple[str, float, int]:
    """Send something that must apply with no delay; (status, charger seconds, announcements)."""
    before = len(ch.csms.uk_messages(ch.identity, "RandomDelay"))
    status = await send()
    try:
        took = ch.sim_seconds(await wait_limit(ch, 1, limit, timeout=ch.real_seconds(60)))
    except ScenarioAborted:
        took = float("inf")
    announced = len(ch.csms.uk_messages(ch.identity, "RandomDelay")) - before
    return status, took, announced


async def _exemptions(ctx: Context) -> None:
    r26 = ctx.rec("R26")
    ch = await ctx.charger(ChargerSpec(start=SATURDAY_NOON_UK, speed=20, random_delay_max_s=1800))
    await start_session(ch, 1)
    await uk(ch, "SkipDelay", {"connectorId": 1})
    await wait_limit(ch, 1, 32.0)
    now = charger_now(ch)

    async def response() -> str:
        event = {
            "id": "fr-1",
            "kind": "response",
            "limitA": 6,
            "start": now.isoformat(),
            "durationS": 3600,
        }
        return (await uk(ch, "DsrEvent", event))[0]

    status, took, announced = await _at_once(ch, 6.0, response)
    r26.check(
        "response DSR: no delay",
        status == "Accepted" and took < 60 and announced == 0,
        f"{status}; 6 A after {took:.1f} s; {announced} delays announced",
    )
    r26.evidence.timings["response DSR to effect (s)"] = took

    async def opt_out() -> str:
        return (await uk(ch, "DsrOptOut", {"id": "fr-1"}))[0]

    # The owner's opt-out raises the rate: a relevant time; skip it to start from 32 A.
    await opt_out()
    await asyncio.sleep(0.2)
    await uk(ch, "SkipDelay", {"connectorId": 1})
    await wait_limit(ch, 1, 32.0)

    async def randomised() -> str:
        await uk(
            ch,
            "ProfileFlags",
            {"chargingProfileId": 31, "cause": "csms_profile", "alreadyRandomised": True},
        )
        return await set_profile(ch, 1, flat_profile(31, 12.0))

    status, took, announced = await _at_once(ch, 12.0, randomised)
    r26.check(
        "a profile already randomised by the central system: no delay",
        status == "Accepted" and took < 60 and announced == 0,
        f"{status}; 12 A after {took:.1f} s; {announced} delays announced",
    )
    r26.done()


SCENARIOS = (
    Scenario(
        "random_delay",
        "Randomised delay: sample, maximum, relevant times, owner override",
        ("R21", "R22", "R23", "R24", "R25"),
        _random_delay,
        ocpp_only=_delay_ocpp,
        physical="the delays are drawn at relevant times that a plugged-in car makes",
    ),
    Scenario(
        "delay_exemptions",
        "Randomised delay: exemptions",
        ("R26",),
        _exemptions,
        physical="whether a change is delayed is seen on a plugged-in car's rate",
    ),
)
