"""The web app's pure parts: plain words for a connector's state, the weekly windows the owner
types, tariffs and costs — with garbage that must be refused whole."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcharge.platform.services import charger_status
from smartcharge.platform.services.tariffs.bands import Tariff, TariffError, parse_tariff
from smartcharge.platform.services.tariffs.cost import session_cost_p
from smartcharge.platform.web import about, plain_words, week
from smartcharge.platform.web.settings import WebSettings
from smartcharge.regulations import default_schedule


def test_plain_words_say_what_and_why() -> None:
    waiting = {
        "limit_cause": "default_hours",
        "limit_reason": "waiting for the default charging hours: charging starts at Mon 22:00",
        "random_delay_remaining_s": 0,
    }
    words = plain_words.describe("SuspendedEVSE", waiting, None)
    assert words.headline == "Waiting for your charging hours: charging starts at Mon 22:00"
    delay = {"limit_cause": "plug_in", "random_delay_remaining_s": 252}
    assert plain_words.describe("SuspendedEVSE", delay, None).headline == (
        "Random delay: 4 min 12 s left"
    )
    charging = {"limit_cause": "plug_in", "limit_reason": "charging at the 32 A limit"}
    assert plain_words.describe("Charging", charging, 7200.0).headline == "Charging at 7.2 kW"
    until = datetime(2026, 7, 1, 17, 30, tzinfo=UTC)  # 18:30 BST
    dsr = {"limit_cause": "dsr", "limit_reason": "reduced by a grid event until 18:30"}
    assert plain_words.describe("Charging", dsr, 1400.0, until).headline == (
        "Charging at 1.4 kW, reduced by a grid event until 18:30"
    )
    assert plain_words.describe("Faulted", None, None).tone == "alert"
    assert plain_words.describe(None, None, None).headline.startswith("No news")


def test_windows_round_trip_and_refusals() -> None:
    parsed = week.parse("Mon 22:00-07:00\n\n  sat 10:00 - 14:30 ")
    assert parsed == [
        {"weekday": 0, "start": "22:00", "end": "07:00"},
        {"weekday": 5, "start": "10:00", "end": "14:30"},
    ]
    for bad, where in (("Mon 25:00-07:00", "Line 1"), ("Mon 22:00-07:00\nxyz", "Line 2")):
        with pytest.raises(week.WindowsError, match=where):
            week.parse(bad)
    windows = week.windows_from_charger(default_schedule(600).to_records())
    assert week.parse(week.to_text(windows))  # what the page shows parses back
    assert week.windows_from_charger("nonsense") == []
    # A window past midnight is drawn as two bars; the peak hours as ten.
    bars = week.bars(week.windows_from_charger([{"weekday": 6, "start": "22:00", "end": "02:00"}]))
    assert [(b.day, b.start_h, b.end_h) for b in bars] == [(6, 22.0, 24.0), (0, 0.0, 2.0)]
    assert len(week.peak_bars()) == 10


@given(st.text(max_size=200))
def test_any_text_is_windows_or_a_clear_refusal(text: str) -> None:
    try:
        parsed = week.parse(text)
    except week.WindowsError as exc:
        assert str(exc)
        return
    for w in parsed:
        assert 0 <= w["weekday"] <= 6 and len(w["start"]) == len(w["end"]) == 5


@given(st.text(max_size=20), st.text(max_size=100))
def test_any_tariff_text_is_a_tariff_or_a_clear_refusal(base: str, bands: str) -> None:
    try:
        tariff = parse_tariff(base, bands)
    except TariffError as exc:
        assert str(exc)
        return
    assert 0 <= tariff.base_p <= 1000
    assert all(0 <= b.price_p <= 1000 for b in tariff.bands)


def test_tariff_prices_and_session_cost() -> None:
    tariff = parse_tariff("30", "00:30-04:30 7.5\n23:00-00:30 15")
    assert tariff.kind == "time_of_use"
    assert tariff.price_at(time(1)) == 7.5
    assert tariff.price_at(time(23, 30)) == 15 and tariff.price_at(time(0, 10)) == 15
    assert tariff.price_at(time(12)) == 30
    # 10 kWh spread over 00:00-02:00 UK (winter): half at 15 p, three quarters... per half hour
    start = datetime(2026, 1, 15, 0, 0, tzinfo=UTC)
    cost = session_cost_p(tariff.price, start, start.replace(hour=2), 10_000)
    assert cost == pytest.approx(2.5 * 15 + 7.5 * 7.5)
    assert session_cost_p(Tariff(20.0).price, start, None, 1000) == pytest.approx(20)
    with pytest.raises(TariffError, match="base price"):
        parse_tariff("-1", "")
    with pytest.raises(TariffError, match="band line 1"):
        parse_tariff("10", "00:30-04:30")


def test_an_alert_stands_until_the_event_that_ends_it() -> None:
    from smartcharge.platform.web.security import alerts

    def log(*types: str) -> list[dict[str, str]]:  # newest first, as the store lists them
        return [{"type": t} for t in types]

    assert alerts(log("TamperDetectionActivated")) == [{"type": "TamperDetectionActivated"}]
    assert alerts(log("TamperCleared", "TamperDetectionActivated", "ManualTamperReport")) == []
    assert alerts(log("TamperDetectionActivated", "TamperCleared", "BootIntegrityFailed")) == [
        {"type": "TamperDetectionActivated"},
        {"type": "BootIntegrityFailed"},
    ]
    assert alerts(log("BootIntegrityRestored", "BootIntegrityFailed", "StartupOfTheDevice")) == []


OPERATOR = WebSettings(date(2031, 12, 31), "security@example.com")


@given(
    st.one_of(
        st.none(),
        st.dictionaries(
            st.sampled_from(["supportUntil", "vulnerabilityContact"]),
            st.none() | st.integers() | st.text(max_size=300) | st.lists(st.text(), max_size=2),
        ),
    )
)
def test_about_takes_only_what_a_charger_sends_that_makes_sense(reported: Any) -> None:
    """Whatever a charger answers, the page shows a date it could read or the operator's."""
    support = about._support(reported, OPERATOR, date(2027, 1, 1))
    assert support.value is not None and support.source in (about.FROM_CHARGER, about.FROM_OPERATOR)
    contact = about._contact(reported, OPERATOR)
    assert contact.value is not None and len(contact.value) <= 200
    if contact.link is not None:
        assert contact.link.startswith(("https://", "mailto:"))


def test_about_says_when_support_ended_and_links_the_contact() -> None:
    charger = {"supportUntil": "2026-05-31", "vulnerabilityContact": "javascript:alert(1)"}
    ended = about._support(charger, OPERATOR, date(2026, 6, 1))
    assert (ended.value, ended.source) == ("ended on 31 May 2026", about.FROM_CHARGER)
    assert about._contact(charger, OPERATOR).link is None  # shown as text, never a link
    assert about._contact(None, OPERATOR).link == "mailto:security@example.com"
    assert about._support({"supportUntil": "2030-02-30"}, WebSettings(), date(2026, 1, 1)) == (
        about.Fact(None)
    )


def test_grid_events_as_the_charger_reports_them() -> None:
    """The live page's grid events come from the charger's report: in force now only, the one
    it follows first, opted out of last; anything not an event is left out."""
    now = datetime(2026, 11, 23, 21, 50, tzinfo=UTC)
    state = {
        "dsrEvents": [
            {
                "id": "a",
                "limitA": 10,
                "start": "2026-11-23T21:40:00Z",
                "end": "2026-11-23T22:10:00Z",
            },
            {
                "id": "b",
                "limitA": 6,
                "start": "2026-11-23T21:45:00Z",
                "end": "2026-11-23T22:20:00Z",
            },
            {
                "id": "c",
                "limitA": 1,
                "start": "2026-11-23T21:00:00Z",
                "end": "2026-11-23T21:30:00Z",
            },
            {
                "id": "d",
                "limitA": 0,
                "start": "2026-11-23T21:00:00Z",
                "end": "2026-11-23T23:00:00Z",
                "optedOut": True,
            },
            {"id": "e", "limitA": "lots", "start": "x", "end": "y"},
            "not an event",
        ]
    }
    found = charger_status.reported_grid_events(state, now)
    assert found is not None
    assert [(e.id, e.opted_out) for e in found] == [("b", False), ("a", False), ("d", True)]
    assert found[0].until == datetime(2026, 11, 23, 22, 20, tzinfo=UTC)
    assert charger_status.reported_grid_events({}, now) is None  # an older charger: our records
