"""The one module of OCPP time parsing and formatting (smartcharge.ocpp.times)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcharge.ocpp.times import MissingOffset, format_time, parse_time

AT = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-29T00:30:00Z",
        "2026-03-29t00:30:00z",
        "2026-03-29T00:30:00.000Z",
        "2026-03-29T00:30:00.000000000Z",
        "2026-03-29T01:30:00+01:00",
        "2026-03-28T23:30:00-01:00",
        "2026-03-29T00:30:00+0000",
    ],
)
def test_every_rfc3339_spelling_reads_as_one_utc_instant(text: str) -> None:
    when = parse_time(text)
    assert when == AT and when.tzinfo is UTC


def test_a_leap_second_is_the_instant_after_23_59_59() -> None:
    assert parse_time("2016-12-31T23:59:60Z") == datetime(2017, 1, 1, tzinfo=UTC)


def test_fractions_keep_microseconds() -> None:
    assert parse_time("2026-03-29T00:30:00.1234567Z").microsecond == 123456


def test_a_time_without_offset_is_refused_by_name() -> None:
    with pytest.raises(MissingOffset, match="needs a UTC offset"):
        parse_time("2026-03-29T00:30:00")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "2026-03-29",
        "2026-13-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-03-29T25:00:00Z",
        "2026-03-29 00:30:00Z",
        "20260329T003000Z",
        "2026-03-29T00:30:00+24:00",
    ],
)
def test_anything_else_is_not_an_rfc3339_date_time(text: str) -> None:
    with pytest.raises(ValueError, match="not an RFC 3339 date-time"):
        parse_time(text)


@given(st.text(max_size=40))
def test_garbage_raises_value_error_only(text: str) -> None:
    try:
        when = parse_time(text)
    except ValueError:
        return
    assert when.tzinfo is UTC


def test_format_writes_utc_with_z_at_the_asked_precision() -> None:
    summer = datetime(2026, 6, 1, 18, 0, 0, 250_000, tzinfo=timezone(timedelta(hours=1)))
    assert format_time(summer) == "2026-06-01T17:00:00.250Z"
    assert format_time(summer, "seconds") == "2026-06-01T17:00:00Z"
    assert format_time(AT, "auto") == "2026-03-29T00:30:00Z"


def test_a_naive_time_is_taken_as_utc() -> None:
    assert format_time(datetime(2026, 3, 29, 0, 30)) == "2026-03-29T00:30:00.000Z"


@given(st.datetimes(timezones=st.just(UTC)))
def test_format_then_parse_is_the_same_instant(when: datetime) -> None:
    assert parse_time(format_time(when, "auto")) == when


@given(st.datetimes(timezones=st.just(UTC)), st.sampled_from([0, 1, 3, 6]))
def test_the_plain_utc_shortcut_reads_as_the_general_path(when: datetime, digits: int) -> None:
    # "...Z" with 0 to 6 fraction digits goes through datetime.fromisoformat; the same instant
    # spelt "+00:00" goes through the RFC 3339 regex: both must read it alike.
    text = when.replace(tzinfo=None).isoformat(timespec="seconds") + (
        f".{when.microsecond:06d}"[: digits + 1] if digits else ""
    )
    fast, general = parse_time(text + "Z"), parse_time(text + "+00:00")
    assert fast == general and fast.tzinfo is UTC and general.tzinfo is UTC


@pytest.mark.parametrize("text", ["2026-02-30T00:00:00Z", "2026-13-01T00:00:00.000Z"])
def test_an_impossible_plain_utc_date_is_refused_as_any_other(text: str) -> None:
    with pytest.raises(ValueError, match="not an RFC 3339 date-time"):
        parse_time(text)
