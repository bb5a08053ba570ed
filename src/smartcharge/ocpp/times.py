"""OCPP times: the one place that reads and writes the date-times OCPP messages carry.

OCPP 1.6J dates are RFC 3339 date-times (the schemas check `format: date-time`): a date, a
time and an offset, `t`/`z` in either case, any number of fraction digits, even a leap second.
We read every such form into an aware UTC `datetime` and always write UTC with a `Z`, so the
charger, the platform and the compliance suite agree on one spelling.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Literal

_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[tT](\d\d):(\d\d):(\d\d)(?:\.(\d+))?"
    r"(?:([zZ])|([+-])(\d\d):?(\d\d))?"
)

# The spelling nearly every charger sends, and the one we write: UTC with "Z", at most
# microseconds, hours 00 to 23 and no leap second. `datetime.fromisoformat` (C) reads exactly
# these as `parse_time` below would, five times faster; a message carries one or more times and
# the regex path was about 2 % of the platform's CPU under load (bench/platform.md). Any other
# spelling, and anything fromisoformat refuses (2026-02-30), takes the general path.
_PLAIN_UTC = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?Z"
)

Timespec = Literal["auto", "seconds", "milliseconds"]


class MissingOffset(ValueError):
    """A date and time without a UTC offset: it names no instant."""

    def __init__(self) -> None:
        super().__init__("needs a UTC offset")


def parse_time(text: str) -> datetime:
    """An RFC 3339 timestamp as an aware UTC datetime.

    Raises `MissingOffset` for a date-time without an offset and `ValueError` ("not an RFC
    3339 date-time") for anything else that is not one, so callers can name the field."""
    if _PLAIN_UTC.fullmatch(text):
        try:
            return datetime.fromisoformat(text)
        except ValueError:  # an impossible date: refused below, with our message
            pass
    m = _RFC3339.fullmatch(text)
    if m is None:
        raise ValueError("not an RFC 3339 date-time")
    if not m.group(8) and not m.group(9):
        raise MissingOffset()
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    micro = int((m.group(7) or "0")[:6].ljust(6, "0"))
    offset = timedelta(0)
    if m.group(9):
        offset = timedelta(hours=int(m.group(10)), minutes=int(m.group(11)))
        offset = -offset if m.group(9) == "-" else offset
    leap = second == 60  # 23:59:60 is taken as the instant after 23:59:59
    try:
        at = datetime(
            year, month, day, hour, minute, 59 if leap else second, micro, timezone(offset)
        )
        return (at + timedelta(seconds=1 if leap else 0)).astimezone(UTC)
    except (ValueError, OverflowError):  # 2026-02-30, 25:00, an offset of 24 hours or more
        raise ValueError("not an RFC 3339 date-time") from None


def format_time(at: datetime, timespec: Timespec = "milliseconds") -> str:
    """`at` in UTC with a `Z` ("2026-03-29T00:30:00.000Z"); `timespec` as for isoformat. A naive
    `at` is taken to be UTC already (what SQLite hands back for a stored UTC time)."""
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return at.isoformat(timespec=timespec).replace("+00:00", "Z")
