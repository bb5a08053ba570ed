"""Lock-outs after repeated failed logins, and a throttle on repeated attempts (pure: the clock
is injected). The key is the caller's choice: an address, or an address and an identity."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

_MAX_TRACKED = 100_000  # addresses; beyond that the oldest entries are forgotten


class Lockout:
    """`max_failures` failures within `window` seconds lock an address for `duration` seconds."""

    def __init__(
        self,
        *,
        max_failures: int = 5,
        window: float = 60.0,
        duration: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self.duration = duration
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}

    def remaining(self, address: str) -> float:
        """Seconds this address stays locked out (0: not locked)."""
        until = self._locked_until.get(address)
        if until is None:
            return 0.0
        left = until - self._clock()
        if left <= 0:
            del self._locked_until[address]
            return 0.0
        return left

    def failure(self, address: str) -> bool:
        """Count a failure; True when the address is now locked out."""
        now = self._clock()
        times = self._failures.get(address)
        if times is None:
            if len(self._failures) >= _MAX_TRACKED:
                self._failures.pop(next(iter(self._failures)))
            times = self._failures[address] = deque(maxlen=self.max_failures)
        times.append(now)
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.max_failures:
            self._locked_until[address] = now + self.duration
            del self._failures[address]
            return True
        return False

    def success(self, address: str) -> None:
        self._failures.pop(address, None)


class Throttle:
    """At most `max_events` events per key within `window` seconds (a sliding window)."""

    def __init__(
        self,
        *,
        max_events: int = 60,
        window: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_events = max_events
        self.window = window
        self._clock = clock
        self._events: dict[str, deque[float]] = {}

    def remaining(self, key: str) -> float:
        """Seconds `key` must wait before its next event counts (0: it may go ahead)."""
        times = self._events.get(key)
        if times is None:
            return 0.0
        now = self._clock()
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.max_events:
            return times[0] + self.window - now
        return 0.0

    def record(self, key: str) -> None:
        """Count an event for `key` (one that went ahead)."""
        times = self._events.get(key)
        if times is None:
            if len(self._events) >= _MAX_TRACKED:
                self._events.pop(next(iter(self._events)))
            times = self._events[key] = deque(maxlen=self.max_events)
        times.append(self._clock())
