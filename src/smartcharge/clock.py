"""The `Clock` port. Everything time-based in a process reads one injected `Clock`, never the
globals, so the same code runs on real time in production and on simulated time in the demo,
the compliance suite and the tests (simulated clocks live in `smartcharge.sim.clock`).

`now()` is wall-clock UTC (for timestamps and UK clock rules); `monotonic()` is for delays and
timeouts, and never jumps when the wall clock is set.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware in UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (simulated seconds for simulated clocks)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Sleep `seconds` of this clock's time."""
        ...


def utc(dt: datetime) -> datetime:
    """Return `dt` in UTC; a naive datetime is taken to be UTC already."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


class SystemClock:
    """Real time, for production: wall time from the OS, delays on the monotonic clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))
