"""Lock out an address after repeated failed logins (pure: the clock is injected)."""

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
