"""What every handler of one connected charger needs."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from smartcharge.platform.store import Store


@dataclass(frozen=True, slots=True)
class ChargerContext:
    store: Store
    charger_id: int
    identity: str
    heartbeat_interval: int
    now: Callable[[], datetime]  # aware UTC


_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[tT](\d\d):(\d\d):(\d\d)(?:\.(\d+))?"
    r"(?:([zZ])|([+-])(\d\d):?(\d\d))"
)


def parse_time(text: str) -> datetime:
    """An RFC 3339 timestamp (as the schemas accept it: `t`/`z` in any case, any number of
    fraction digits, a leap second) as an aware UTC datetime."""
    m = _RFC3339.fullmatch(text)
    if m is None:
        raise ValueError("not an RFC 3339 date-time")
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    micro = int((m.group(7) or "0")[:6].ljust(6, "0"))
    offset = timedelta(0)
    if m.group(9):
        offset = timedelta(hours=int(m.group(10)), minutes=int(m.group(11)))
        offset = -offset if m.group(9) == "-" else offset
    leap = second == 60  # 23:59:60 is stored as the instant after 23:59:59
    at = datetime(year, month, day, hour, minute, 59 if leap else second, micro, timezone(offset))
    return (at + timedelta(seconds=1 if leap else 0)).astimezone(UTC)


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
