"""Simulated clocks (the `Clock` port itself and the real clock live in `smartcharge.clock`).

- `SimulatedClock`: starts at a chosen instant and runs `speed` times faster than real time, so a
  day of schedules can run in minutes (the demo, the compliance suite's fast mode, benchmarks).
- `ManualClock`: stands still until a test advances it; sleepers wake in deadline order.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from datetime import UTC, datetime, timedelta

from smartcharge.clock import utc


class SimulatedClock:
    """Real time, shifted to `start` and scaled by `speed` (1.0 = real time)."""

    def __init__(self, start: datetime | None = None, speed: float = 1.0) -> None:
        if not speed > 0:
            raise ValueError("speed must be greater than 0")
        self._start = utc(start) if start is not None else datetime.now(UTC)
        self.speed = speed
        self._real0 = time.monotonic()

    def monotonic(self) -> float:
        return (time.monotonic() - self._real0) * self.speed

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self.monotonic())

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.speed)


class ManualClock:
    """A clock that only moves when told to. Sleepers wake, in order, as `advance` passes them."""

    def __init__(self, start: datetime) -> None:
        self._start = utc(start)
        self._mono = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def monotonic(self) -> float:
        return self._mono

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._mono)

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._mono + seconds, next(self._seq), fut))
        await fut

    async def advance(self, seconds: float) -> None:
        """Move time forward by `seconds`, waking each sleeper at its own deadline."""
        target = self._mono + seconds
        while self._sleepers and self._sleepers[0][0] <= target:
            deadline, _, fut = heapq.heappop(self._sleepers)
            self._mono = max(self._mono, deadline)
            if not fut.done():
                fut.set_result(None)
            await _settle()
        self._mono = target
        await _settle()


async def _settle() -> None:
    # A few loop turns let woken tasks run until they block again.
    for _ in range(5):
        await asyncio.sleep(0)
