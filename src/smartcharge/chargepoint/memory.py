"""Low memory, the other half of MemoryExhaustion: the charger looks at the kernel's estimate of
available memory (`MemAvailable` in /proc/meminfo) now and then, and records MemoryExhaustion
once when it falls below `[security] min_free_memory_mb`; the episode ends when it is back above
a quarter more than that (so a value hovering at the line is not an episode a minute)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("smartcharge.chargepoint.memory")

MEMINFO = Path("/proc/meminfo")
HYSTERESIS = 1.25


def available_mb(meminfo: Path = MEMINFO) -> float | None:
    """Available memory in MB, or None where the kernel does not say (not Linux)."""
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024  # kB
    except (OSError, ValueError, IndexError):
        return None
    return None


class LowMemory:
    def __init__(self, min_free_mb: float, record: Callable[[str, str], object]) -> None:
        self.min_free_mb = min_free_mb  # 0: not watched
        self._record = record
        self.low = False

    def check(self) -> None:
        free = available_mb()
        if free is None or self.min_free_mb <= 0:
            return
        if not self.low and free < self.min_free_mb:
            self.low = True
            log.error("low memory: %.0f MB available", free)
            self._record(
                "MemoryExhaustion",
                f"memory: {free:.0f} MB available, below {self.min_free_mb:g} MB",
            )
        elif self.low and free >= self.min_free_mb * HYSTERESIS:
            self.low = False
            log.warning("memory back to %.0f MB available", free)
