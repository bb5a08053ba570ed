"""R14-R16: default charging hours and the owner's own hours as weekly schedules."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from itertools import pairwise

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from smartcharge.regulations import (
    MAX_ALLOWED_S,
    UK_TZ,
    WeeklySchedule,
    Window,
    allowed,
    default_schedule,
    end_before_peak,
    intervals,
    is_peak,
    next_change,
    peak_windows,
)
from smartcharge.regulations.default_hours import DAY_S, WEEK_S

US = timedelta(microseconds=1)

# Aware instants in UTC and in UK time (including the second pass of the repeated hour, fold=1).
instants = st.datetimes(
    min_value=datetime(2020, 1, 1),
    max_value=datetime(2035, 12, 31),
    timezones=st.sampled_from([UTC, UK_TZ]),
    allow_imaginary=False,
)
spans = st.timedeltas(timedelta(0), timedelta(days=21))
delay_max = st.integers(0, MAX_ALLOWED_S)


def uk(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UK_TZ)


def z(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def later(t: datetime, delta: timedelta) -> datetime:
    """``t + delta`` in real time, in ``t``'s zone (plain ``+`` adds wall-clock time)."""
    return (t.astimezone(UTC) + delta).astimezone(t.tzinfo)


def sched(*windows: tuple[int, time, time]) -> WeeklySchedule:
    return WeeklySchedule(tuple(Window(*w) for w in windows))


ALWAYS = sched(*((d, time(0), time(0)) for d in range(7)))


def check_well_formed(ivs: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> None:
    for s, e in ivs:
        assert s.tzinfo is UTC and e.tzinfo is UTC
        assert start <= s < e <= end
    for (_, e1), (s2, _) in pairwise(ivs):
        assert e1 < s2  # sorted, disjoint, and merged where they would touch


# --- the default schedule (R14) -----------------------------------------------------------------


def test_R14_default_schedule_shape() -> None:
    s = default_schedule(600)
    assert str(s).startswith("Mon 00:00-07:50, Mon 11:00-15:50, Mon 22:00-00:00, Tue 00:00-07:50")
    assert str(s).endswith("Fri 22:00-00:00, Sat 00:00-00:00, Sun 00:00-00:00")
    assert len(s.windows) == 17
    assert default_schedule(0) == sched(
        *[(d, a, b) for d in range(5) for a, b in ((time(0), time(8)), (time(11), time(16)))],
        *[(d, time(22), time(0)) for d in range(5)],
        (5, time(0), time(0)),
        (6, time(0), time(0)),
    )


def test_R14_windows_end_early_by_the_delay_maximum() -> None:
    s = default_schedule(1800)
    assert Window(2, time(0), time(7, 30)) in s.windows
    assert Window(2, time(11), time(15, 30)) in s.windows
    assert Window(2, time(22), time(0)) in s.windows  # ends at midnight, not at a peak: untouched
    s = default_schedule(1)
    assert Window(4, time(11), time(15, 59, 59)) in s.windows


@pytest.mark.parametrize("bad", [-1, 1801, 600.5])
def test_R14_R23_default_schedule_rejects_a_bad_maximum(bad: object) -> None:
    with pytest.raises(ValueError, match="random delay maximum"):
        default_schedule(bad)  # type: ignore[arg-type]


def test_R14_R17_allowed_at_the_edges_on_a_gmt_weekday() -> None:
    s = default_schedule(600)
    assert allowed(s, uk(2026, 1, 14, 7, 49))
    assert not allowed(s, uk(2026, 1, 14, 7, 50))
    assert not allowed(s, uk(2026, 1, 14, 10, 59))
    assert allowed(s, uk(2026, 1, 14, 11, 0))
    assert not allowed(s, uk(2026, 1, 14, 15, 50))
    assert not allowed(s, uk(2026, 1, 14, 21, 59))
    assert allowed(s, uk(2026, 1, 14, 22, 0))
    assert allowed(s, uk(2026, 1, 17, 9, 0))  # Saturday


def test_R14_R17_allowed_in_bst_uses_uk_clock() -> None:
    s = default_schedule(600)
    assert allowed(s, z(2026, 7, 15, 6, 49))  # 07:49 BST
    assert not allowed(s, z(2026, 7, 15, 6, 50))  # 07:50 BST
    assert allowed(s, z(2026, 7, 15, 21, 0))  # 22:00 BST
    assert not allowed(s, z(2026, 7, 15, 20, 59))


@settings(max_examples=150, deadline=None)
@given(d=delay_max, start=instants, length=spans)
def test_R14_default_hours_plus_delay_never_reach_peak(
    d: int, start: datetime, length: timedelta
) -> None:
    """A stop at the end of any interval, delayed by up to the maximum, is still off-peak."""
    end = later(start, length)
    ivs = intervals(default_schedule(d), start, end)
    check_well_formed(ivs, start, end)
    for s, e in ivs:
        assert peak_windows(s, e + timedelta(seconds=d)) == []


@settings(max_examples=300, deadline=None)
@given(d=delay_max, t=instants)
def test_R14_default_hours_are_all_off_peak_time_but_the_margin(d: int, t: datetime) -> None:
    """Allowed exactly when neither now nor a full delay from now is peak: nothing else is lost."""
    expected = not is_peak(t) and not is_peak(later(t, timedelta(seconds=d)))
    assert allowed(default_schedule(d), t) is expected


@settings(max_examples=100, deadline=None)
@given(d=delay_max, start=instants, length=spans, data=st.data())
def test_R14_allowed_agrees_with_intervals(
    d: int, start: datetime, length: timedelta, data: st.DataObject
) -> None:
    s = default_schedule(d)
    end = later(start, length)
    ivs = intervals(s, start, end)
    for a, b in ivs:
        assert allowed(s, a) and allowed(s, b - US)
    assume(length > timedelta(0))
    for _ in range(10):
        t = later(start, data.draw(st.timedeltas(timedelta(0), length - US)))
        assert allowed(s, t) is any(a <= t < b for a, b in ivs)


@settings(max_examples=100, deadline=None)
@given(d=delay_max, t=instants, data=st.data())
def test_R14_next_change_is_the_next_flip(d: int, t: datetime, data: st.DataObject) -> None:
    s = default_schedule(d)
    n = next_change(s, t)
    assert n is not None and n > t and n.tzinfo is UTC
    now = allowed(s, t)
    assert allowed(s, n) is not now
    assert allowed(s, n - US) is now
    assert allowed(s, later(t, data.draw(st.timedeltas(timedelta(0), n - t - US)))) is now


# --- hand-worked weeks of the clock changes (R14, BST) ------------------------------------------


def test_R14_week_of_the_last_sunday_of_march_2026() -> None:
    """GMT until Sunday 29 March 01:00 UTC, BST (UTC+1) after."""
    got = intervals(default_schedule(600), uk(2026, 3, 23), uk(2026, 3, 31))
    assert got == [
        (z(2026, 3, 23, 0), z(2026, 3, 23, 7, 50)),
        (z(2026, 3, 23, 11), z(2026, 3, 23, 15, 50)),
        (z(2026, 3, 23, 22), z(2026, 3, 24, 7, 50)),
        (z(2026, 3, 24, 11), z(2026, 3, 24, 15, 50)),
        (z(2026, 3, 24, 22), z(2026, 3, 25, 7, 50)),
        (z(2026, 3, 25, 11), z(2026, 3, 25, 15, 50)),
        (z(2026, 3, 25, 22), z(2026, 3, 26, 7, 50)),
        (z(2026, 3, 26, 11), z(2026, 3, 26, 15, 50)),
        (z(2026, 3, 26, 22), z(2026, 3, 27, 7, 50)),
        (z(2026, 3, 27, 11), z(2026, 3, 27, 15, 50)),
        (z(2026, 3, 27, 22), z(2026, 3, 30, 6, 50)),  # Fri 22:00 GMT to Mon 07:50 BST
        (z(2026, 3, 30, 10), z(2026, 3, 30, 14, 50)),  # 11:00-15:50 BST
        (z(2026, 3, 30, 21), z(2026, 3, 30, 23)),  # 22:00 BST to the range's end (00:00 BST)
    ]
    weekend = got[10][1] - got[10][0]
    assert weekend == timedelta(hours=57, minutes=-10)  # 58 wall hours less the skipped one


def test_R14_week_of_the_last_sunday_of_october_2026() -> None:
    """BST until Sunday 25 October 01:00 UTC, GMT after."""
    got = intervals(default_schedule(600), uk(2026, 10, 19), uk(2026, 10, 27))
    assert got == [
        (z(2026, 10, 18, 23), z(2026, 10, 19, 6, 50)),  # Mon 00:00-07:50 BST
        (z(2026, 10, 19, 10), z(2026, 10, 19, 14, 50)),
        (z(2026, 10, 19, 21), z(2026, 10, 20, 6, 50)),
        (z(2026, 10, 20, 10), z(2026, 10, 20, 14, 50)),
        (z(2026, 10, 20, 21), z(2026, 10, 21, 6, 50)),
        (z(2026, 10, 21, 10), z(2026, 10, 21, 14, 50)),
        (z(2026, 10, 21, 21), z(2026, 10, 22, 6, 50)),
        (z(2026, 10, 22, 10), z(2026, 10, 22, 14, 50)),
        (z(2026, 10, 22, 21), z(2026, 10, 23, 6, 50)),
        (z(2026, 10, 23, 10), z(2026, 10, 23, 14, 50)),
        (z(2026, 10, 23, 21), z(2026, 10, 26, 7, 50)),  # Fri 22:00 BST to Mon 07:50 GMT
        (z(2026, 10, 26, 11), z(2026, 10, 26, 15, 50)),  # 11:00-15:50 GMT
        (z(2026, 10, 26, 22), z(2026, 10, 27, 0)),
    ]
    weekend = got[10][1] - got[10][0]
    assert weekend == timedelta(hours=59, minutes=-10)  # 58 wall hours plus the repeated one


@pytest.mark.parametrize(
    ("friday", "monday_utc_end", "hours"),
    [
        (uk(2025, 3, 28, 22), z(2025, 3, 31, 6, 50), 57),  # last Sunday of March 2025: the 30th
        (uk(2025, 10, 24, 22), z(2025, 10, 27, 7, 50), 59),  # last Sunday of October: the 26th
        (uk(2026, 3, 27, 22), z(2026, 3, 30, 6, 50), 57),
        (uk(2026, 10, 23, 22), z(2026, 10, 26, 7, 50), 59),
    ],
)
def test_R14_weekend_across_a_clock_change_2025_2026(
    friday: datetime, monday_utc_end: datetime, hours: int
) -> None:
    got = intervals(default_schedule(600), friday, friday + timedelta(days=3))
    assert got[0] == (friday.astimezone(UTC), monday_utc_end)
    assert got[0][1] - got[0][0] == timedelta(hours=hours, minutes=-10)


@pytest.mark.parametrize(
    ("saturday", "hours"),
    [
        (uk(2025, 3, 29, 12), 9),
        (uk(2025, 10, 25, 12), 11),
        (uk(2026, 3, 28, 12), 9),
        (uk(2026, 10, 24, 12), 11),
        (uk(2026, 6, 13, 12), 10),  # an ordinary summer weekend
    ],
)
def test_R15_R16_night_window_across_a_clock_change(saturday: datetime, hours: int) -> None:
    """An owner's Saturday 22:00-08:00 lasts 9 real hours in March and 11 in October."""
    s = sched((5, time(22), time(8)))
    (got,) = intervals(s, saturday, saturday + timedelta(days=1))
    assert got[1] - got[0] == timedelta(hours=hours)
    assert got[0].astimezone(UK_TZ).time() == time(22)
    assert got[1].astimezone(UK_TZ).time() == time(8)


def test_R16_window_boundary_in_the_skipped_hour_moves_to_the_jump() -> None:
    """29 March 2026: 01:00-02:00 never happens; a boundary there is the jump (01:00 UTC)."""
    start, end = uk(2026, 3, 29), uk(2026, 3, 30)
    assert intervals(sched((6, time(1, 30), time(3))), start, end) == [
        (z(2026, 3, 29, 1), z(2026, 3, 29, 2))  # 02:00-03:00 BST: one real hour
    ]
    assert intervals(sched((6, time(0, 30), time(1, 30))), start, end) == [
        (z(2026, 3, 29, 0, 30), z(2026, 3, 29, 1))  # 00:30 GMT to the jump
    ]
    assert intervals(sched((6, time(1, 10), time(1, 50))), start, end) == []  # never happens
    assert intervals(sched((6, time(1), time(2))), start, end) == []
    # Two windows split by a boundary in the gap meet at the jump and merge.
    two = sched((6, time(0), time(1, 20)), (6, time(1, 40), time(4)))
    assert intervals(two, start, end) == [(z(2026, 3, 29, 0), z(2026, 3, 29, 3))]


def test_R16_window_boundary_in_the_repeated_hour_is_its_first_occurrence() -> None:
    """25 October 2026: 01:00-02:00 happens twice (BST then GMT); a boundary there is the first."""
    start, end = uk(2026, 10, 25), uk(2026, 10, 26)
    assert intervals(sched((6, time(1), time(2))), start, end) == [
        (z(2026, 10, 25, 0), z(2026, 10, 25, 2))  # both passes: two real hours
    ]
    assert intervals(sched((6, time(1, 30), time(1, 45))), start, end) == [
        (z(2026, 10, 25, 0, 30), z(2026, 10, 25, 0, 45))
    ]
    assert intervals(sched((6, time(0), time(1, 30))), start, end) == [
        (z(2026, 10, 24, 23), z(2026, 10, 25, 0, 30))  # ends at the first 01:30 (BST)
    ]


def test_R14_allowed_and_next_change_on_change_days() -> None:
    s = default_schedule(600)
    # Sunday 29 March 2026: weekend all day, then Monday's window ends at 07:50 BST.
    assert next_change(s, uk(2026, 3, 29, 12)) == z(2026, 3, 30, 6, 50)
    assert next_change(s, uk(2026, 10, 25, 12)) == z(2026, 10, 26, 7, 50)
    assert allowed(s, z(2026, 3, 29, 1))  # the jump itself
    assert allowed(s, datetime(2026, 10, 25, 1, 30, fold=1, tzinfo=UK_TZ))  # second 01:30


# --- next_change --------------------------------------------------------------------------------


def test_R14_next_change_examples() -> None:
    s = default_schedule(600)
    assert next_change(s, uk(2026, 1, 16, 12)) == z(2026, 1, 16, 15, 50)  # Fri, allowed
    assert next_change(s, uk(2026, 1, 16, 15, 50)) == z(2026, 1, 16, 22)  # exactly at an end
    assert next_change(s, uk(2026, 1, 16, 22)) == z(2026, 1, 19, 7, 50)  # into the weekend
    assert next_change(ALWAYS, uk(2026, 1, 16)) is None
    assert next_change(WeeklySchedule(), uk(2026, 1, 16)) is None


def test_R16_next_change_looks_past_a_week_whose_window_never_happens() -> None:
    only_in_gap = sched((6, time(1, 10), time(1, 50)))
    # From Monday 23 March 2026: Sunday the 29th has no 01:10, so the next is 5 April (BST).
    assert next_change(only_in_gap, uk(2026, 3, 23)) == z(2026, 4, 5, 0, 10)
    assert next_change(only_in_gap, z(2026, 4, 5, 0, 20)) == z(2026, 4, 5, 0, 50)


def test_naive_or_reversed_ranges_are_rejected() -> None:
    s = default_schedule(600)
    with pytest.raises(ValueError, match="timezone-aware"):
        intervals(s, datetime(2026, 1, 1), z(2026, 1, 2))
    with pytest.raises(ValueError, match="timezone-aware"):
        allowed(s, datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        next_change(s, datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="before start"):
        intervals(s, z(2026, 1, 2), z(2026, 1, 1))
    assert intervals(s, z(2026, 1, 3), z(2026, 1, 3)) == []


# --- end_before_peak ----------------------------------------------------------------------------


def test_R14_shortening_drops_a_window_that_would_vanish_or_invert() -> None:
    s = sched((0, time(7, 50), time(8)), (2, time(15, 50), time(16)))
    assert end_before_peak(s, 600) == WeeklySchedule()
    assert end_before_peak(s, 599) == sched(
        (0, time(7, 50), time(7, 50, 1)), (2, time(15, 50), time(15, 50, 1))
    )


def test_R14_shortening_only_touches_ends_at_a_peak_start() -> None:
    s = sched(
        (6, time(22), time(8)),  # crosses into Monday 08:00: shortened
        (4, time(20), time(16)),  # Friday 20:00 to Saturday 16:00: not a peak day
        (1, time(6), time(9)),  # ends inside peak: the owner's choice, left alone
        (2, time(6), time(8)),  # followed at once by the next window: not really ending
        (2, time(8), time(9)),
    )
    assert end_before_peak(s, 600) == sched(
        (6, time(22), time(7, 50)),
        (4, time(20), time(16)),
        (1, time(6), time(9)),
        (2, time(6), time(8)),
        (2, time(8), time(9)),
    )
    whole_day = sched((0, time(8), time(8)))  # Monday 08:00 to Tuesday 08:00
    assert end_before_peak(whole_day, 600) == sched((0, time(8), time(7, 50)))
    with pytest.raises(ValueError):
        end_before_peak(s, -1)


# --- WeeklySchedule validation and records (R15, R16, R34) --------------------------------------


@pytest.mark.parametrize(
    ("windows", "message"),
    [
        (((0, time(22), time(8)), (1, time(7), time(9))), "overlap"),
        (((6, time(22), time(8)), (0, time(7), time(9))), "overlap"),  # across the week's end
        (((0, time(0), time(0)), (0, time(12), time(13))), "overlap"),
        (((3, time(10), time(12)), (3, time(11), time(11, 30))), "overlap"),
    ],
)
def test_R16_overlapping_windows_are_rejected(
    windows: tuple[tuple[int, time, time], ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        sched(*windows)


def test_R16_adjacent_windows_are_fine_and_merge() -> None:
    s = sched((6, time(22), time(0)), (0, time(0), time(6)), (0, time(6), time(7)))
    assert intervals(s, uk(2026, 1, 11), uk(2026, 1, 13)) == [
        (z(2026, 1, 11, 22), z(2026, 1, 12, 7))
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((7, time(1), time(2)), "weekday"),
        ((-1, time(1), time(2)), "weekday"),
        ((True, time(1), time(2)), "weekday"),
        ((0, "01:00", time(2)), "start must be a datetime.time"),
        ((0, time(1), time(2, tzinfo=UTC)), "naive"),
        ((0, time(1, 0, 0, 5), time(2)), "whole seconds"),
    ],
)
def test_R34_bad_window_is_rejected(args: tuple[object, object, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Window(*args)  # type: ignore[arg-type]


def test_R34_schedule_holds_only_windows() -> None:
    with pytest.raises(ValueError, match="holds Windows"):
        WeeklySchedule(((0, time(1), time(2)),))  # type: ignore[arg-type]


def test_R15_records_round_trip() -> None:
    s = default_schedule(600)
    assert WeeklySchedule.from_records(s.to_records()) == s
    records: list[dict[str, object]] = [
        {"weekday": "sat", "start": "22:00", "end": "08:00"},
        {"weekday": 0, "start": "11:00:30", "end": "24:00"},
        {"weekday": "Tuesday", "start": "00:00", "end": "00:00"},
    ]
    got = WeeklySchedule.from_records(records)
    assert got == sched(
        (5, time(22), time(8)), (0, time(11, 0, 30), time(0)), (1, time(0), time(0))
    )
    assert got.to_records()[0] == {"weekday": "Mon", "start": "11:00:30", "end": "00:00"}


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"weekday": "Funday", "start": "22:00", "end": "08:00"}, r"windows\[0\]: weekday"),
        ({"weekday": 9, "start": "22:00", "end": "08:00"}, r"windows\[0\]: weekday"),
        ({"weekday": "Mon", "start": "25:00", "end": "08:00"}, r"windows\[0\]: start"),
        ({"weekday": "Mon", "start": "24:00", "end": "08:00"}, r"windows\[0\]: start"),
        ({"weekday": "Mon", "start": "7:00", "end": "08:00"}, r"windows\[0\]: start"),
        ({"weekday": "Mon", "start": "22:00"}, r"windows\[0\]: end"),
        ({"weekday": "Mon", "start": "22:00", "end": "08:00", "x": 1}, "unknown field"),
    ],
)
def test_R34_bad_records_are_rejected_naming_the_field(
    record: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        WeeklySchedule.from_records([record])


# --- any schedule: properties against a wall-clock oracle (R15, R16) ----------------------------


@st.composite
def schedules(draw: st.DrawFn) -> WeeklySchedule:
    """Random valid schedules: sorted distinct points on the week, paired into windows."""
    n = draw(st.integers(0, 6))
    points = sorted(draw(st.sets(st.integers(0, WEEK_S // 60 - 1), min_size=2 * n, max_size=2 * n)))
    rotate = draw(st.booleans())  # so that some window crosses the end of the week
    if rotate and points:
        points = [*points[1:], points[0] + WEEK_S // 60]
    windows = []
    for a, b in zip(points[::2], points[1::2], strict=True):
        a_s, b_s = a * 60, b * 60
        b_s = min(b_s, a_s + DAY_S)  # a window lasts at most a day
        t = lambda s: time(s % DAY_S // 3600, s % 3600 // 60)  # noqa: E731
        windows.append(Window(a_s // DAY_S % 7, t(a_s), t(b_s)))
    return WeeklySchedule(tuple(windows))


def wall_oracle(schedule: WeeklySchedule, t: datetime) -> bool:
    local = t.astimezone(UK_TZ)
    x = local.weekday() * DAY_S + local.hour * 3600 + local.minute * 60 + local.second
    for w in schedule.windows:
        s, e = w.week_span
        if s <= x < e or s <= x + WEEK_S < e:
            return True
    return False


def ambiguous(t: datetime) -> bool:
    local = t.astimezone(UK_TZ).replace(tzinfo=None)
    return (
        local.replace(tzinfo=UK_TZ, fold=0).utcoffset()
        != local.replace(tzinfo=UK_TZ, fold=1).utcoffset()
    )


@settings(max_examples=300, deadline=None)
@given(s=schedules(), t=instants)
def test_R16_allowed_matches_the_wall_clock(s: WeeklySchedule, t: datetime) -> None:
    assume(not ambiguous(t))  # the repeated hour is decided by rule, not by the wall clock
    assert allowed(s, t) is wall_oracle(s, t)


@settings(max_examples=100, deadline=None)
@given(s=schedules(), start=instants, length=spans, data=st.data())
def test_R16_intervals_are_well_formed_and_agree_with_allowed(
    s: WeeklySchedule, start: datetime, length: timedelta, data: st.DataObject
) -> None:
    end = later(start, length)
    ivs = intervals(s, start, end)
    check_well_formed(ivs, start, end)
    assume(length > timedelta(0))
    for _ in range(10):
        t = later(start, data.draw(st.timedeltas(timedelta(0), length - US)))
        assert allowed(s, t) is any(a <= t < b for a, b in ivs)


@settings(max_examples=100, deadline=None)
@given(s=schedules(), t=instants)
def test_R16_next_change_on_any_schedule(s: WeeklySchedule, t: datetime) -> None:
    n = next_change(s, t)
    if n is None:
        horizon = later(t, timedelta(days=15))
        ivs = intervals(s, t, horizon)
        assert ivs == [] or ivs == [(t, horizon)]
    else:
        assert n > t
        assert allowed(s, n) is not allowed(s, t)
        assert allowed(s, n - US) is allowed(s, t)


@settings(max_examples=200, deadline=None)
@given(
    a=st.tuples(st.integers(0, 6), st.integers(0, 1439), st.integers(1, 1440)),
    b=st.tuples(st.integers(0, 6), st.integers(0, 1439), st.integers(1, 1440)),
)
def test_R16_overlap_validation_matches_minute_sets(
    a: tuple[int, int, int], b: tuple[int, int, int]
) -> None:
    def window(day: int, start_min: int, length: int) -> tuple[Window, set[int]]:
        end_min = (start_min + length) % 1440
        w = Window(day, time(start_min // 60, start_min % 60), time(end_min // 60, end_min % 60))
        first = day * 1440 + start_min
        return w, {(first + i) % (7 * 1440) for i in range(length)}

    (wa, ma), (wb, mb) = window(*a), window(*b)
    if ma & mb:
        with pytest.raises(ValueError, match="overlap"):
            WeeklySchedule((wa, wb))
    else:
        assert WeeklySchedule((wa, wb)).windows == tuple(sorted((wa, wb)))
