"""Off-peak charging (reg 10): R13-R18.

Evening: a car plugged in on a Monday at about 21:45 UK time (peak) must wait for 22:00 and start
within the random delay after it; a second car's owner says "charge now" and charges at once.
Morning: a car charging on a Friday (the last weekday) from about 07:57 must stop before 08:00
(the window ends early by the delay maximum, so even a delayed stop lands before peak). The
owner's first-use answer and later changes go through the org.smartcharge.uk DataTransfers
(docs/ocpp-extensions.md).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from smartcharge.compliance.scenarios.base import (
    FRIDAY_07_56_UK,
    GUARD_S,
    MONDAY_21_45_UK,
    STARVED_REAL_S,
    Context,
    Recorder,
    Scenario,
    ScenarioAborted,
    cannot_here,
    start_session,
    uk,
    uk_check,
    until,
)
from smartcharge.compliance.scenarios.charger_clock import charger_now, latest_stamp, status_times
from smartcharge.compliance.target import Charger, ChargerSpec
from smartcharge.ocpp import uk_extension
from smartcharge.regulations import UK_TZ, WeeklySchedule, intervals, is_peak, peak_windows

# A short maximum keeps the waits short; the delay's own law is the random_delay scenario's.
DELAY_MAX_S = 60
OVERRIDES = ("owner_override", "end_user_override")
SPEED = 40.0
# The morning stop is timed to the second against 08:00: a slow clock, started near it.
MORNING = 5.0
MORNING_STARVED_REAL_S = 1.0


class _TooLate(Exception):
    """The (loaded) machine was too slow for the simulated instant this check needs."""


def _uk(t: datetime) -> str:
    return t.astimezone(UK_TZ).strftime("%a %H:%M:%S")


def _peak_overlap(records: list[dict[str, object]]) -> list[str]:
    """Minutes of one week (Mon 1 June 2026 on) in the windows that are peak hours.

    From the two sets of intervals, not minute by minute: the suite asks this at every offer,
    and 10,080 minutes each read twice cost most of a second of CPU."""
    schedule = WeeklySchedule.from_records(records)
    start = datetime(2026, 6, 1, tzinfo=UK_TZ)  # no clock change in that week
    end = start + timedelta(days=7)
    minute = timedelta(minutes=1)
    bad = []
    for a, b in intervals(schedule, start, end):
        for p, q in peak_windows(a, b):
            # Each whole minute of the week (counted from `start`) in [p, q).
            t = start + -((start - p) // minute) * minute
            while t < q:
                bad.append(t.astimezone(UK_TZ).strftime("%a %H:%M"))
                t += minute
    return bad


def _hours(state: dict[str, Any]) -> dict[str, Any]:
    """The default-hours state in an answer (bare, or under "defaultHours")."""
    inner = state.get("defaultHours", state)
    return inner if isinstance(inner, dict) else {}


async def offer(ch: Charger, ctx: Context, *, fresh: bool = True) -> None:
    """R14 and R15's offer; `fresh`: the charger is known to be in its first use."""
    r14, r15 = ctx.rec("R14"), ctx.rec("R15")
    status, state = await uk(ch, uk_extension.GET_DEFAULT_HOURS, {})
    hours = state.get("defaultHours") or {}
    in_force = hours.get("inForce") or []
    if not fresh and hours.get("answeredAt") is not None:
        r15.cannot(
            "first use: the defaults are offered, not yet answered",
            f"this charger's owner answered already ({hours.get('answeredAt')}): look at the"
            " offer on a charger fresh from the factory (or after a factory reset)",
        )
    else:
        r15.check(
            "first use: the defaults are offered, not yet answered",
            status == "Accepted" and hours.get("answeredAt") is None and bool(in_force),
            f"{status}; answeredAt={hours.get('answeredAt')!r}, {len(in_force)} default windows",
        )
    overlap = _peak_overlap(in_force) if in_force else ["no windows"]
    r14.check(
        "default charging hours are outside peak hours",
        bool(in_force) and not overlap,
        f"{len(in_force)} windows, e.g. {in_force[:2]}"
        + (f"; in peak: {overlap[:3]}" if overlap else "; no minute of them is peak"),
    )
    r14.done()


async def _ready_by(
    ctx: Context, start: datetime, latest: datetime, speed: float = SPEED
) -> Charger:
    """A charger whose clock reads at most `latest` once it is ready. On a loaded machine a
    process may take seconds to start, i.e. many simulated minutes: then it is started again,
    earlier by three times the longest start-up time seen (four tries at most)."""
    lag = timedelta(0)
    for _ in range(4):
        spec = ChargerSpec(start=start, speed=speed, random_delay_max_s=DELAY_MAX_S)
        ch = await ctx.charger(spec)
        identity = ch.identity
        await ch.csms.wait_for(
            lambda: bool(ctx.csms.received(identity, "StatusNotification")),  # noqa: B023
            10,
        )
        now = charger_now(ch)
        if now <= latest:
            return ch
        lag = max(lag, now - start)
        await ctx.target.stop(ch)
        start = latest - 3 * lag
    return ch  # still late: the scenario reports what it could not observe


async def _evening(ctx: Context) -> None:
    r13, r15, r16, r17, r18 = (ctx.rec(r) for r in ("R13", "R15", "R16", "R17", "R18"))
    ch = await _ready_by(ctx, MONDAY_21_45_UK, MONDAY_21_45_UK + timedelta(minutes=8))
    # Both cars at once, then "charge now", before anything else: on a loaded machine every
    # real second is 40 simulated ones. The first-use offer is read after (no owner answer
    # comes in between).
    await asyncio.gather(start_session(ch, 1), start_session(ch, 2))
    plugged = charger_now(ch)
    ten = plugged.astimezone(UK_TZ).replace(hour=22, minute=0, second=0, microsecond=0)
    if plugged >= ten - timedelta(minutes=3):
        # The charger took too long to start (a loaded machine at this speed): the evening
        # can no longer be observed. That is the suite's limit, never a pass.
        why = f"the charger was only ready at {_uk(plugged)}, too late to plug in before 22:00"
        for rec in (r13, r17, r18):
            rec.cannot("evening in peak hours", why)
        await offer(ch, ctx)
        await _owner_answers(ch, r15, r16)
        return

    def until_ten_and_delay(since: datetime) -> float:
        """A guard (real s) for a start due by 22:00 plus the delay, from `since` (its clock):
        a charger started early by a slow machine (`_ready_by`) has more than 30 min to go."""
        return ch.real_seconds((ten - since).total_seconds() + DELAY_MAX_S) + GUARD_S

    # R18: the owner of the second car says "charge now", in peak hours.
    asked = charger_now(ch)
    delays = len(ch.csms.uk_messages(ch.identity, uk_extension.RANDOM_DELAY))
    status, _ = await uk(ch, uk_extension.CHARGE_NOW, {"connectorId": 2})
    await offer(ch, ctx)

    async def charging(n: int) -> bool:
        return bool(status_times(ch, n, "Charging"))

    try:
        if asked >= ten - timedelta(minutes=1):
            raise _TooLate(f"asked only at {_uk(asked)}, too close to 22:00")
        # Until it charges, however late: charging only after 22:00 is the evidence of a
        # "charge now" ignored (is_peak below), never a wait running out.
        await until(
            "Charging on connector 2",
            lambda: charging(2),
            timeout=until_ten_and_delay(asked),
        )
        t = status_times(ch, 2, "Charging")[0]
        late = (t - asked).total_seconds()
        # A delay for the override itself (not one of plug-in that was already running).
        delayed = [
            d
            for _, d in ch.csms.uk_messages(ch.identity, uk_extension.RANDOM_DELAY)[delays:]
            if d.get("connectorId") == 2 and d.get("cause") in OVERRIDES
        ]
        r18.check(
            "charge now: charging starts at once in peak hours, with no random delay",
            status == "Accepted" and is_peak(t) and not delayed,
            f"{status}; asked {_uk(asked)}, Charging at {_uk(t)} ({late:.0f} s later);"
            f" delays announced: {delayed or 'none'}",
        )
    except _TooLate as exc:
        r18.cannot("charge now in peak hours", str(exc))
    except ScenarioAborted as exc:
        r18.cannot("charge now: charging starts at once in peak hours", f"{status}; {exc}")
    r18.done()
    # R13, R17: connector 1 waits for 22:00 and starts within the delay after it.
    await until(
        "Charging on connector 1 after 22:00",
        lambda: charging(1),
        timeout=until_ten_and_delay(plugged),
    )
    first = status_times(ch, 1, "Charging")[0]
    early = (ten - first).total_seconds()
    r13.check(
        "no charging by default in weekday peak hours (Monday evening before 22:00)",
        early <= 0,
        f"plugged in {_uk(plugged)}, first Charging {_uk(first)}",
    )
    after = -early
    r17.check(
        "evening: charging starts at 22:00 + a delay of at most the maximum",
        0 <= after <= DELAY_MAX_S + 5 + ch.sim_seconds(STARVED_REAL_S),
        f"plugged in {_uk(plugged)}, Charging from {_uk(first)} ({after:.0f} s after 22:00,"
        f" maximum {DELAY_MAX_S} s)",
    )
    r17.evidence.timings["evening start after 22:00 (s)"] = after
    await _owner_answers(ch, r15, r16)


async def _owner_answers(ch: Charger, r15: Recorder, r16: Recorder) -> None:
    """R15, R16: the owner's answers are recorded with their time; changed later at will."""
    status, state = await uk(ch, uk_extension.SET_DEFAULT_HOURS, {"mode": "default", "by": "owner"})
    hours = _hours(state)
    r15.check(
        "the owner accepts the defaults; answer and time recorded",
        status == "Accepted" and bool(hours.get("answeredAt")) and hours.get("mode") == "default",
        f"{status}; mode={hours.get('mode')!r}, answeredAt={hours.get('answeredAt')!r},"
        f" by={hours.get('answeredBy')!r}",
    )
    custom = [{"weekday": d, "start": "00:30", "end": "05:30"} for d in range(7)]
    status, state = await uk(
        ch, uk_extension.SET_DEFAULT_HOURS, {"mode": "custom", "windows": custom, "by": "owner"}
    )
    in_force = _hours(state).get("inForce") or []
    r16.check(
        "later: the owner sets different hours",
        status == "Accepted" and len(in_force) == 7,
        f"{status}; {len(in_force)} windows in force, e.g. {in_force[:1]}",
    )
    status, state = await uk(ch, uk_extension.SET_DEFAULT_HOURS, {"mode": "removed", "by": "owner"})
    hours = _hours(state)
    r16.check(
        "later: the owner removes the default hours",
        status == "Accepted" and hours.get("mode") == "removed" and not hours.get("inForce"),
        f"{status}; mode={hours.get('mode')!r}, inForce={hours.get('inForce')!r}",
    )
    status, state = await uk(ch, uk_extension.SET_DEFAULT_HOURS, {"mode": "default", "by": "owner"})
    r16.check(
        "later: the owner restores the defaults",
        status == "Accepted" and bool(_hours(state).get("inForce")),
        status,
    )
    r15.done()
    r16.done()


async def _offpeak_ocpp(ctx: Context) -> None:
    """Without the simulator: the default hours, the first-use offer and the owner's answers
    over the UK extension; when a car charges is seen with a car plugged in (not run)."""
    ch = await ctx.charger(ChargerSpec(start=MONDAY_21_45_UK, speed=SPEED))
    r14 = ctx.rec("R14")
    if (
        await uk_check(
            r14,
            "default charging hours are outside peak hours",
            ch,
            uk_extension.GET_DEFAULT_HOURS,
            {},
        )
        is None
    ):
        why = "the owner's default hours are set through the charger's own interface"
        cannot_here(ctx, ("R14", "R15", "R16"), "the default hours and the owner's answers", why)
    else:
        await offer(ch, ctx, fresh=False)
        await _owner_answers(ch, ctx.rec("R15"), ctx.rec("R16"))
    cannot_here(
        ctx,
        ("R13", "R17", "R18"),
        "when a car charges",
        "seen on a plugged-in car in and out of peak hours: plug one in at 21:45 on a weekday",
    )


async def _morning(ctx: Context) -> None:
    r13, r17 = ctx.rec("R13"), ctx.rec("R17")
    ch = await _ready_by(ctx, FRIDAY_07_56_UK, FRIDAY_07_56_UK + timedelta(minutes=2), MORNING)
    await start_session(ch, 1)
    # The owner skips the plug-in delay (R25).
    await uk(ch, uk_extension.SKIP_DELAY, {"connectorId": 1})

    async def charging() -> bool:
        return bool(status_times(ch, 1, "Charging"))

    await until("Charging on connector 1", charging, GUARD_S)
    began = status_times(ch, 1, "Charging")[0]
    eight = began.astimezone(UK_TZ).replace(hour=8, minute=0, second=0, microsecond=0)
    window_end = eight - timedelta(seconds=DELAY_MAX_S)
    if began >= window_end - timedelta(seconds=30):
        why = f"the charger was only charging from {_uk(began)}, too late to see the stop"
        for rec in (r13, r17):
            rec.cannot("morning stop before peak hours", why)
            rec.done()
        return

    def stops() -> list[datetime]:
        return [t for t in status_times(ch, 1, "SuspendedEVSE") if t > began]

    # The simulated charger acts on a 1 s tick of its clock, which runs on while a busy machine
    # starves the process of CPU: a stop then lands late on its own clock by the starved time
    # times the speed (0.3-0.5 real seconds were seen under stress-ng). A real-time charger
    # would be late by that real time: one real second is allowed, which the low speed keeps to
    # a few simulated seconds (a stop a minute late, or none, still fails), shown in the evidence.
    jitter = timedelta(seconds=1 + ch.sim_seconds(MORNING_STARVED_REAL_S))

    def past_eight() -> bool:
        stamp = latest_stamp(ch)
        return stamp is not None and stamp > eight + jitter

    # Until it stops, or its own clock has passed 08:00 with no stop: either is the evidence.
    # The guard counts from when it began charging (its clock): a slow machine may have made
    # _ready_by start it minutes early.
    guard = ch.real_seconds((eight - began).total_seconds()) + GUARD_S
    await ch.csms.wait_for(lambda: bool(stops()) or past_eight(), guard)
    if not stops():
        why = f"no stop, and the charger's own clock read {_uk(latest_stamp(ch) or began)}"
        for rec, name in (
            (r13, "charging stops before weekday peak hours (08:00)"),
            (r17, "morning: charging stops after the window's end and before 08:00"),
        ):
            if past_eight():
                rec.check(name, False, f"charging from {_uk(began)}: {why}")
            else:
                rec.cannot(name, f"charging from {_uk(began)}: {why}, not yet 08:00")
            rec.done()
        return
    stop = stops()[0]
    r13.check(
        "charging stops before weekday peak hours (08:00)",
        stop < eight + jitter,
        f"charging from {_uk(began)}, stopped {_uk(stop)} (simulation tick tolerance"
        f" {jitter.total_seconds():.0f} s)",
    )
    r17.check(
        "morning: charging stops after the window's end and before 08:00",
        window_end <= stop < eight + jitter,
        f"window ends {_uk(window_end)} (08:00 less the {DELAY_MAX_S} s maximum delay);"
        f" stopped {_uk(stop)}",
    )
    r13.done()
    r17.done()


SCENARIOS = (
    Scenario(
        "offpeak_evening",
        "Off-peak: Monday evening in peak, first-use offer, charge now",
        ("R13", "R14", "R15", "R16", "R17", "R18"),
        _evening,
        ocpp_only=_offpeak_ocpp,
    ),
    Scenario(
        "offpeak_morning",
        "Off-peak: Friday morning stop",
        ("R13", "R17"),
        _morning,
        physical="a car charging at 07:45 on a weekday must stop before 08:00",
    ),
)
