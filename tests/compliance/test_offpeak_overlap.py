"""R14: the suite's check that offered default hours avoid peak hours lists the peak minutes
inside them; worked out from intervals, it must list exactly the minutes a minute-by-minute
reading finds (the way it was first written, kept here as the reference)."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from smartcharge.compliance.scenarios.offpeak import _peak_overlap
from smartcharge.regulations import UK_TZ, WeeklySchedule, allowed, is_peak


def minute_by_minute(records: list[dict[str, object]]) -> list[str]:
    schedule = WeeklySchedule.from_records(records)
    start = datetime(2026, 6, 1, tzinfo=UK_TZ)
    return [
        t.strftime("%a %H:%M")
        for t in (start + timedelta(minutes=m) for m in range(7 * 24 * 60))
        if is_peak(t) and allowed(schedule, t)
    ]


DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
clock = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))
window = st.fixed_dictionaries({"weekday": st.sampled_from(DAYS), "start": clock, "end": clock})


def test_R14_the_usual_defaults_and_a_window_across_peak() -> None:
    nights = [{"weekday": d, "start": "22:00", "end": "08:00"} for d in DAYS]
    assert _peak_overlap(nights) == []
    into_peak = [{"weekday": "Fri", "start": "21:58", "end": "08:02"}]
    assert _peak_overlap(into_peak) == ["Fri 21:58", "Fri 21:59"]
    assert minute_by_minute(into_peak) == ["Fri 21:58", "Fri 21:59"]


@settings(max_examples=12, deadline=None)
@given(st.lists(window, min_size=1, max_size=4))
def test_R14_the_peak_minutes_found_are_the_minute_by_minute_ones(
    records: list[dict[str, object]],
) -> None:
    try:
        WeeklySchedule.from_records(records)
    except ValueError:
        assume(False)  # overlapping windows: refused before any check (test_default_hours.py)
    assert _peak_overlap(records) == minute_by_minute(records)
