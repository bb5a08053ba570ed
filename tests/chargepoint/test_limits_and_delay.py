"""Properties of the per-tick limit decision (R8, load balancing) and of the delay (R24-R26)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from smartcharge.chargepoint.charging import (
    IDLE,
    ConnectorInput,
    Decision,
    DelayedRate,
    DsrEvent,
    decide,
)
from smartcharge.regulations import Cause, RandomDelay, WeeklySchedule, default_schedule

T0 = datetime(2026, 10, 19, 0, 0, tzinfo=UTC)  # a Monday, the week before the clocks go back
amps = st.floats(min_value=0, max_value=80, allow_nan=False)


@given(
    when=st.integers(0, 14 * 86400).map(lambda s: T0 + timedelta(seconds=s)),
    hw=st.floats(min_value=6, max_value=80),
    profiles=st.lists(st.none() | amps, min_size=1, max_size=4),
    cap=st.none() | st.floats(min_value=0, max_value=120),
    site=st.none() | st.floats(min_value=6, max_value=120),
    dsr=st.none() | amps,
    default_hours=st.booleans(),
)
@example(  # found by hypothesis: 7.05 A kept unrounded next to 7.0 A under a 14 A site limit
    when=T0 + timedelta(days=3, hours=4),
    hw=8.0,
    profiles=[7.0, 7.05, 7.0],
    cap=None,
    site=14.0,
    dsr=None,
    default_hours=True,
)
def test_R8_never_above_the_hardware_limit_and_shares_never_above_the_cap(
    when: datetime,
    hw: float,
    profiles: list[float | None],
    cap: float | None,
    site: float | None,
    dsr: float | None,
    default_hours: bool,
) -> None:
    events = () if dsr is None else (DsrEvent("e", "response", dsr, T0, T0 + timedelta(days=30)),)
    inputs = {
        n + 1: ConnectorInput(charging=True, hardware_max_a=hw, profile_limit_a=p)
        for n, p in enumerate(profiles)
    }
    out = decide(
        when,
        inputs,
        default_hours=default_schedule(600) if default_hours else None,
        dsr_events=events,
        charge_point_cap_a=cap,
        site_limit_a=site,
    )
    assert all(0 <= d.limit_a <= hw for d in out.values())
    caps = [c for c in (cap, site) if c is not None]
    if caps:
        assert sum(d.limit_a for d in out.values()) <= min(caps) + 1e-6


def test_not_charging_means_zero() -> None:
    out = decide(T0, {1: ConnectorInput(charging=False, hardware_max_a=32)}, default_hours=None)
    assert out[1] == IDLE


@given(
    steps=st.lists(
        st.tuples(
            st.floats(min_value=0, max_value=32),
            st.sampled_from([Cause.DEFAULT_HOURS, Cause.CSMS_PROFILE, Cause.TARIFF]),
            st.floats(min_value=0.5, max_value=300),
        ),
        min_size=1,
        max_size=15,
    ),
    seed=st.integers(0, 2**32),
)
def test_R24_the_previous_rate_is_held_until_the_delay_ends(
    steps: list[tuple[float, Cause, float]], seed: int
) -> None:
    rate = DelayedRate(Decision(0.0, Cause.PLUG_IN, "start"))
    delay = RandomDelay(600, random.Random(seed))
    mono = 0.0
    for limit, cause, dt in steps:
        before = rate.applied.limit_a
        deadline_before = rate.deadline
        changed = rate.step(Decision(limit, cause, "x"), mono, delay)
        if changed:
            # A delayed change only lands once its deadline has passed (no new draw meanwhile).
            assert rate.deadline is None
            if abs(limit - before) >= 0.1 and deadline_before is not None:
                assert mono >= deadline_before
        else:
            assert rate.applied.limit_a == before
        assert 0 <= rate.remaining_s(mono) <= 600
        mono += dt


def test_R26_response_dsr_decrease_is_at_once() -> None:
    rate = DelayedRate(Decision(32.0, Cause.DEFAULT_HOURS, "x"))
    dsr = Decision(6.0, Cause.DSR, "grid", dsr_kind="response")
    assert rate.step(dsr, 0.0, RandomDelay(1800, random.Random(1)))
    assert rate.applied.limit_a == 6.0


def test_load_balancing_decrease_is_at_once_but_its_increase_waits() -> None:
    delay = RandomDelay(1800, random.Random(3))
    rate = DelayedRate(Decision(32.0, Cause.DEFAULT_HOURS, "x"))
    assert rate.step(Decision(16.0, Cause.LOAD_BALANCING, "share"), 0.0, delay)
    assert not rate.step(Decision(32.0, Cause.LOAD_BALANCING, "share"), 1.0, delay)
    assert rate.applied.limit_a == 16.0 and rate.remaining_s(1.0) > 0


class _Plan:
    """An owner's schedule as `decide` reads it (owner_controls.UserSchedule in the charger)."""

    def __init__(self, windows: list[dict[str, str]], limit_a: float | None = None) -> None:
        self.windows = WeeklySchedule.from_records(windows)
        self.limit_a = limit_a


# Saturday 24 October 2026, BST: 02:00Z is 03:00 UK time.
SATURDAY_03_UK = datetime(2026, 10, 24, 2, 0, tzinfo=UTC)


def test_user_schedule_narrows_the_default_hours_and_charge_now_overrides_it() -> None:
    plan = _Plan([{"weekday": "Sat", "start": "04:00", "end": "06:00"}], limit_a=16)
    one = {1: ConnectorInput(charging=True, hardware_max_a=32)}
    waiting = decide(SATURDAY_03_UK, one, default_hours=default_schedule(600), user_schedule=plan)
    assert waiting[1].limit_a == 0 and waiting[1].cause is Cause.USER_SCHEDULE
    assert "charging starts at Sat 04:00" in waiting[1].reason
    inside = decide(
        SATURDAY_03_UK + timedelta(hours=1),
        one,
        default_hours=default_schedule(600),
        user_schedule=plan,
    )
    assert inside[1] == Decision(16, Cause.USER_SCHEDULE, "limited to 16 A by your schedule")
    now = {1: ConnectorInput(charging=True, hardware_max_a=32, charge_now=True)}
    assert decide(SATURDAY_03_UK, now, default_hours=None, user_schedule=plan)[1].limit_a == 32


@given(
    when=st.integers(0, 14 * 86400).map(lambda s: T0 + timedelta(seconds=s)),
    start_h=st.integers(0, 23),
    hours=st.integers(1, 12),
    limit=st.none() | st.floats(min_value=0, max_value=80),
)
def test_user_schedule_never_allows_more_than_the_default_hours(
    when: datetime, start_h: int, hours: int, limit: float | None
) -> None:
    end_h = (start_h + hours) % 24
    windows = [
        {"weekday": d, "start": f"{start_h:02d}:00", "end": f"{end_h:02d}:00"} for d in range(7)
    ]
    one = {1: ConnectorInput(charging=True, hardware_max_a=32)}
    without = decide(when, one, default_hours=default_schedule(600))[1]
    with_plan = decide(
        when, one, default_hours=default_schedule(600), user_schedule=_Plan(windows, limit)
    )[1]
    assert with_plan.limit_a <= without.limit_a
    if without.limit_a == 0:
        assert with_plan == without  # waiting for the default hours says so, whatever the plan


def test_clock_aligned_values_carry_the_boundary_not_the_late_tick() -> None:
    from smartcharge.chargepoint.metering import aligned_start

    late = datetime(2026, 6, 1, 10, 15, 2, 500000, tzinfo=UTC)
    assert aligned_start(late, 900) == datetime(2026, 6, 1, 10, 15, tzinfo=UTC)
    assert aligned_start(late, 60) == datetime(2026, 6, 1, 10, 15, tzinfo=UTC)
    assert aligned_start(late, 7) == datetime(2026, 6, 1, 10, 15, 2, tzinfo=UTC) - timedelta(
        seconds=(10 * 3600 + 15 * 60 + 2) % 7
    )


def test_R18_R26_charge_now_carries_who_overrode() -> None:
    peak = datetime(2026, 10, 19, 17, 0, tzinfo=UTC)  # Monday 18:00 UK time
    mine = ConnectorInput(charging=True, hardware_max_a=32, charge_now=True)
    theirs = ConnectorInput(
        charging=True, hardware_max_a=32, charge_now=True, override_cause=Cause.END_USER_OVERRIDE
    )
    out = decide(peak, {1: mine, 2: theirs}, default_hours=default_schedule(600))
    assert out[1] == Decision(32, Cause.OWNER_OVERRIDE, "charging now: owner override")
    assert out[2] == Decision(32, Cause.END_USER_OVERRIDE, "charging now: user override")
