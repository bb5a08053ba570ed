"""R10: the calendar periods the owner's history (on the charger) and the platform's reports both
count sessions in, from one definition (regulations/calendar.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcharge.regulations.calendar import PERIODS, next_period_start, period_start


def test_R10_a_week_starts_on_monday_and_a_month_on_the_first() -> None:
    sunday = date(2026, 3, 29)  # the clocks go forward: a UK date is a date all the same
    assert period_start(sunday, "day") == sunday
    assert period_start(sunday, "week") == date(2026, 3, 23)
    assert period_start(sunday, "month") == date(2026, 3, 1)
    assert next_period_start(date(2026, 12, 1), "month") == date(2027, 1, 1)
    assert next_period_start(date(2028, 2, 1), "month") == date(2028, 3, 1)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.sampled_from(PERIODS))
def test_R10_every_day_is_in_exactly_the_period_that_starts_at_its_period_start(
    day: date, period: str
) -> None:
    start = period_start(day, period)
    end = next_period_start(start, period)
    assert start <= day < end
    assert period_start(end - timedelta(days=1), period) == start
    assert period_start(end, period) == end


@pytest.mark.parametrize("fn", [period_start, next_period_start])
def test_R10_an_unknown_period_is_refused(fn: object) -> None:
    with pytest.raises(ValueError, match="day, week, month"):
        fn(date(2026, 1, 1), "fortnight")  # type: ignore[operator]
