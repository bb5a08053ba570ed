"""The one source of status wording (issue 13 item 3): every combination of the charger's cause,
the connector's status, an override or a random delay, the power, a grid event and a plan gives
a card whose lines agree with each other and with what the charger reported."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from smartcharge.platform.web import plain_words
from smartcharge.regulations import Cause

NOW = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)  # Monday 18:00 GMT
STATUSES = [None, *plain_words.STATUS_WORDS]
CAUSES = [None, *(c.value for c in Cause)]
REASONS = {
    "default_hours": "waiting for the default charging hours: charging starts at Mon 22:00",
    "user_schedule": "waiting for your schedule: charging starts at Tue 00:30",
}
WAITING_WORDS = ("Waiting", "Paused", "Random delay:", "Ready", "Finished", "Car plugged in")


def _cards():  # type: ignore[no-untyped-def]
    for status, cause, delay, power_w, grid, promise in itertools.product(
        STATUSES,
        CAUSES,
        (0, 252),  # a random delay running, or none (none also after the owner skipped it)
        (None, 0.0, 7400.0),
        (None, datetime(2026, 12, 7, 19, 30, tzinfo=UTC)),
        (None, "Expected 40 kWh (80 %) by 06:10, about £3.20"),
    ):
        state = {
            "limit_cause": cause,
            "limit_reason": REASONS.get(str(cause), "charging at the 32 A limit"),
            "random_delay_remaining_s": delay,
        }
        words = plain_words.describe(status, state, power_w, grid, NOW)
        yield (status, cause, delay, power_w, grid), words, plain_words.plan_line(promise, words)


def test_no_two_lines_on_a_card_contradict_in_any_combination() -> None:
    count = 0
    for inputs, words, plan in _cards():
        status, cause, delay, power_w, _ = inputs
        lines = [words.headline, words.detail, plan]
        text = " ".join(lines)
        count += 1
        # what the card says about energy agrees with what the charger reported
        if status == "Charging" and power_w:
            assert words.flowing is True, inputs
        if status == "Charging" and power_w is None and cause in plain_words.WHY_WAITING:
            assert words.flowing is False, inputs  # held by its cause, no power reported
        if status in ("SuspendedEV", "SuspendedEVSE", "Available", "Finishing", "Faulted"):
            assert words.flowing is False, inputs
        if words.flowing:
            assert not words.headline.startswith(WAITING_WORDS), inputs
            assert "Outside your charging hours" not in text, inputs
        else:
            assert not words.headline.startswith("Charging"), inputs
            assert "Inside your" not in text and "You chose Charge now" not in text, inputs
        # the law's word is only for the law's hours; the owner's own are "your charging hours"
        assert "off-peak" not in text.lower(), inputs
        # a full car is paused by the car, whatever the hours are
        if status == "SuspendedEV" and not delay:
            assert words.headline.startswith("Paused by the car"), inputs
            assert "Waiting" not in text, inputs
        # an override is only claimed while it is what lets energy flow
        if "Charge now" in words.detail and "Charge now starts" not in words.detail:
            assert cause in plain_words.OVERRIDES and words.flowing, inputs
        # a start time never means "next week" without saying so
        assert " at Mon 22:00" not in text and " at Tue 00:30" not in text, inputs
        # one delay countdown at most, and only while one runs
        assert text.count("waits") + text.count("Random delay") <= 1, inputs
        if not delay:
            assert "Random delay" not in text and "waits" not in text, inputs
    assert count == len(STATUSES) * len(CAUSES) * 2 * 3 * 2 * 2


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("charging starts at Mon 22:00", "today at 22:00"),
        ("charging starts at Tue 00:30", "tomorrow at 00:30"),
        ("charging starts at Mon 17:00", "on Mon 14 Dec at 17:00"),  # passed today: next week
        ("charging starts at Thu 11:00", "on Thu 10 Dec at 11:00"),
        ("no time here", ""),
    ],
)
def test_a_start_time_says_today_tomorrow_or_the_date(reason: str, expected: str) -> None:
    assert plain_words.starts_at(reason, NOW) == expected


def test_power_is_drawn_in_kw_as_the_owner_reads_it() -> None:
    assert plain_words.power(11_000) == "11 kW"
    assert plain_words.power(7_400) == "7.4 kW"
    assert plain_words.power(950) == "0.9 kW"  # rounded to one decimal


def test_a_pushed_fragment_changes_only_when_what_it_says_changes() -> None:
    from smartcharge.platform.web.stream import frame, stable

    tick = '<p><span class="countdown" role="timer" data-left="{}">{}</span> left</p>'
    assert stable(tick.format(252, "4 min 12 s")) == stable(tick.format(250, "4 min 10 s"))
    assert stable(tick.format(252, "4 min 12 s")) != stable("<p>Charging at 7.4 kW</p>")
    assert frame("a\nb") == "event: update\ndata: a\ndata: b\n\n"


def test_the_power_chart_labels_11_kw_as_11_kw_in_uk_time() -> None:
    from datetime import timedelta

    from smartcharge.platform.web.charts import curve

    start = datetime(2026, 7, 1, 17, 0, tzinfo=UTC)  # 18:00 BST
    svg = str(curve([(start, 11_000.0), (start + timedelta(minutes=30), 10_500.0)], "Power"))
    labels = [part.split("<")[0] for part in svg.split('class="tick" text-anchor="end">')[1:]]
    assert "20 kW" in labels and "10 kW" in labels and "0 kW" in labels  # a round top over 11
    assert ">18:00<" in svg and ">18:30<" in svg  # UK clock time, not UTC


def test_owners_read_minutes_and_kw_not_seconds_and_amps() -> None:
    assert plain_words.longest_delay(600) == "10 min"
    assert plain_words.longest_delay(1800) == "30 min"
    assert plain_words.longest_delay(437) == "7 min 17 s"
    assert plain_words.amps(6) == "about 1.4 kW a phase (6 A)"
    assert plain_words.minutes(3900) == "1 h 05 min"


def test_r29_a_refused_install_says_why_and_what_to_do_next() -> None:
    from smartcharge.platform.web.firmware import NEXT_STEP, refusal

    assert refusal({"status": "Accepted"}) is None
    words = refusal({"status": "InvalidCertificate"})
    assert words is not None and "not from your charger's manufacturer" in words
    assert "do not install it" in words
    assert "answered Busy" in (refusal({"status": "Busy"}) or "")
    assert "kept its software" in NEXT_STEP["InvalidSignature"]
