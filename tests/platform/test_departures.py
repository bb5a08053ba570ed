"""The owner's departure (issue 13 item 1): the form checked field by field, the next departure
(once or on chosen days, across a clock change), the energy a charge target needs, and the
plan's promise in words: "Expected 40 kWh (80 %) by 06:10, about £3.20"."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from smartcharge.platform.services.departures import (
    Departure,
    DepartureError,
    energy_needed,
    next_departure,
    parse_departure,
    plan_start,
    promise,
)
from smartcharge.platform.services.planner import plan
from smartcharge.platform.services.tariffs.bands import Band, Tariff
from smartcharge.regulations import default_schedule, intervals

WEEKDAYS = Departure(time(7), (0, 1, 2, 3, 4), None, 7.4, energy_kwh=40)


def test_the_next_departure_skips_days_not_chosen_and_follows_the_uk_clock() -> None:
    friday_evening = datetime(2026, 3, 27, 19, 0, tzinfo=UTC)
    # the next is Monday 30 March 07:00 BST (06:00 UTC), not Saturday
    assert next_departure(WEEKDAYS, friday_evening) == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)
    monday_early = datetime(2026, 1, 5, 6, 59, tzinfo=UTC)
    assert next_departure(WEEKDAYS, monday_early) == datetime(2026, 1, 5, 7, 0, tzinfo=UTC)
    once = Departure(time(9, 15), (), date(2026, 1, 10), 7.4, energy_kwh=10)
    assert next_departure(once, monday_early) == datetime(2026, 1, 10, 9, 15, tzinfo=UTC)
    assert next_departure(once, datetime(2026, 1, 11, tzinfo=UTC)) is None


def test_a_repeating_plan_governs_only_the_day_before_a_departure() -> None:
    """A car plugged in on Saturday morning for a Monday plan is not held back all weekend."""
    saturday = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
    monday = next_departure(WEEKDAYS, saturday)
    assert monday == datetime(2026, 1, 12, 7, 0, tzinfo=UTC)
    assert plan_start(monday, saturday) == monday - timedelta(hours=24)
    late = datetime(2026, 1, 11, 22, 0, tzinfo=UTC)
    assert plan_start(monday, late) == late


def test_a_charge_target_needs_the_cars_charge_or_allows_for_empty() -> None:
    soc = Departure(time(7), (0,), None, 7.4, target_soc=80, battery_kwh=60)
    assert energy_needed(soc, 30.0) == (pytest.approx(30.0), None)
    assert energy_needed(soc, 95.0) == (0.0, None)
    kwh, note = energy_needed(soc, None)
    assert kwh == pytest.approx(48.0) and note is not None and "empty" in note
    assert energy_needed(WEEKDAYS, None) == (40, None)


def test_the_promise_in_words_and_the_warning_with_its_reason() -> None:
    now = datetime(2026, 1, 5, 19, 0, tzinfo=UTC)
    departure = datetime(2026, 1, 6, 7, 0, tzinfo=UTC)
    tariff = Tariff(24.0, (Band(time(0, 30), time(4, 30), 7.5),))
    p = plan(
        start=now,
        departure=departure,
        energy_kwh=40,
        power_kw=7.4,
        delay_max_s=600,
        allowed=intervals(default_schedule(600), now, departure),
        price_at=tariff.price,
    )
    soc = Departure(time(7), (1,), None, 7.4, target_soc=80, battery_kwh=50)
    words = promise(p, soc, 0.0)
    assert words.startswith("Expected 40 kWh (80 %) by ")
    assert words.endswith(f", about £{p.cost_p / 100:.2f}")
    short = plan(
        start=now,
        departure=now + timedelta(hours=2),
        energy_kwh=40,
        power_kw=7.4,
        delay_max_s=600,
        allowed=None,
        price_at=tariff.price,
    )
    assert promise(short, WEEKDAYS, None).startswith("Will not be ready by 21:00: only about")


def test_the_form_is_refused_field_by_field_in_plain_words() -> None:
    good = {"at": "07:00", "days": ["0", "4"], "on": "", "power_kw": "7.4", "energy_kwh": "40"}
    assert parse_departure(**good).days == (0, 4)  # type: ignore[arg-type]
    for change, field in (
        ({"at": "7"}, "at"),
        ({"at": "25:00"}, "at"),
        ({"days": ["9"]}, "days"),
        ({"days": []}, "days"),
        ({"days": [], "on": "next week"}, "on"),
        ({"power_kw": "lots"}, "power_kw"),
        ({"power_kw": "nan"}, "power_kw"),
        ({"energy_kwh": "0"}, "energy_kwh"),
        ({"energy_kwh": ""}, "energy_kwh"),
        ({"energy_kwh": "", "target_soc": "80.5", "battery_kwh": "60"}, "target_soc"),
        ({"energy_kwh": "", "target_soc": "80", "battery_kwh": ""}, "battery_kwh"),
        ({"target_soc": "80"}, "energy_kwh"),
    ):
        with pytest.raises(DepartureError) as caught:
            parse_departure(**{**good, **change})  # type: ignore[arg-type]
        assert caught.value.field == field, change
        assert "Traceback" not in str(caught.value) and str(caught.value)
    once = parse_departure(**{**good, "days": [], "on": "2026-01-10"})  # type: ignore[arg-type]
    assert once.on == date(2026, 1, 10) and once.days == ()
