"""The warnings before saving charging hours (issue 13 item 4): peak hours (R13) and days left
with no charging, whatever windows are typed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from smartcharge.platform.web.hours_check import warnings
from smartcharge.regulations import default_schedule


def _w(day: int, start: str, end: str) -> dict[str, object]:
    return {"weekday": day, "start": start, "end": end}


def test_r13_r14_the_default_hours_need_no_warning() -> None:
    records = default_schedule(600).to_records()
    days = {"Mon": 0, "Tue": 1, "Wed": 2, "Thu": 3, "Fri": 4, "Sat": 5, "Sun": 6}
    windows = [_w(days[r["weekday"]], r["start"], r["end"]) for r in records]
    assert warnings(windows) == []


def test_r13_a_single_window_in_peak_hours_warns_twice() -> None:
    """The walk-through's case: one window inside peak hours, six days with no charging."""
    said = warnings([_w(0, "17:00", "19:00")])
    assert len(said) == 2
    assert "peak hours on Mon" in said[0]
    assert "No charging at all on Tue, Wed, Thu, Fri, Sat, Sun" in said[1]


def test_a_window_past_midnight_counts_for_the_next_day() -> None:
    said = warnings([_w(d, "22:00", "07:00") for d in range(7)])
    assert said == []
    friday_night = warnings([_w(4, "22:00", "08:30")])  # into Saturday: not a peak day
    assert not any("peak" in s for s in friday_night)


@settings(deadline=None)  # a whole week of minutes per example: slow on a busy machine
@given(
    st.lists(st.tuples(st.integers(0, 6), st.integers(0, 1439), st.integers(0, 1439)), max_size=6)
)
def test_every_day_without_a_minute_of_charging_is_named(spans: list[tuple[int, int, int]]) -> None:
    windows = [
        _w(d, f"{s // 60:02d}:{s % 60:02d}", f"{e // 60:02d}:{e % 60:02d}") for d, s, e in spans
    ]
    said = " ".join(warnings(windows))
    if not windows:
        assert "No charging at all on Mon, Tue, Wed, Thu, Fri, Sat, Sun" in said
