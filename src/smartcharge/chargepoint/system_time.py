"""The charger's clock, set from the central system's `currentTime` (SettingSystemTime).

BootNotification.conf and Heartbeat.conf carry the central system's time. When it differs from
the charger's by more than `[clock] sync_threshold_s`, the charger adopts it, records
SettingSystemTime (old and new time; notified, a critical event) and keeps the correction.

The correction is an offset over the injected clock (`AdjustedClock`), not a change of the
operating system's clock (that needs root): every part of the charger reads time through the one
injected clock, so all of them move together. `monotonic()` is untouched, so delays, timeouts and
the randomised delay run on as before; what reads `now()` (default hours, the owner's schedule,
timestamps) follows the corrected time from the next tick. The offset is kept in the store and
applied again at the next start: the charger's own clock is as wrong after a restart as before.

A central system's time is refused (plain log line and InvalidMessages, nothing changes) when it
cannot be true: before RELEASED (no charger runs this software earlier: a CSMS clock reset to
1970 must not drag the charger with it) or more than LIFETIME past it.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from smartcharge.chargepoint.storage import storage_full
from smartcharge.chargepoint.store import Store
from smartcharge.clock import Clock
from smartcharge.ocpp.times import format_time, parse_time

log = logging.getLogger("smartcharge.chargepoint.time")

RELEASED = datetime(2026, 1, 1, tzinfo=UTC)  # this software's release: raise it with each release
LIFETIME = timedelta(days=30 * 366)  # a charger's service life, with room to spare
OFFSET_KEY = "clock.offset_s"
MAX_OFFSET_S = (RELEASED + LIFETIME - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()


class AdjustedClock:
    """The injected clock, moved by `offset_s` seconds (wall-clock time only)."""

    def __init__(self, inner: Clock, offset_s: float = 0.0) -> None:
        self.inner = inner
        self.offset_s = offset_s

    def now(self) -> datetime:
        return self.inner.now() + timedelta(seconds=self.offset_s)

    def monotonic(self) -> float:
        return self.inner.monotonic()

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def plausible(when: datetime) -> bool:
    return RELEASED <= when <= RELEASED + LIFETIME


class TimeSync:
    """Adopts the central system's time into `clock` (see the module)."""

    def __init__(
        self,
        clock: AdjustedClock,
        store: Store,
        *,
        record: Callable[[str, str], object],
        invalid: Callable[[str], None],
        threshold_s: float,
        enabled: bool,
        on_plausible: Callable[[], None] = lambda: None,
        authoritative: Callable[[], bool] = lambda: False,
    ) -> None:
        # `on_plausible`: the central system's time was believable (clock_trust.py).
        # `authoritative`: the system clock is kept right by NTP; the central system's time
        # then corrects nothing, and no correction from an earlier boot is applied.
        self._on_plausible = on_plausible
        self._authoritative = authoritative
        self.clock = clock
        self._store = store
        self._record = record
        self._invalid = invalid
        self.threshold_s = threshold_s
        self.enabled = enabled

    def restore(self) -> None:
        """At start: the offset adopted before the restart (0 when none, or sync is off)."""
        saved = self._store.setting(OFFSET_KEY)
        offset = 0.0
        if self.enabled and saved is not None and not self._authoritative():
            try:
                offset = float(saved)
            except ValueError:
                offset = MAX_OFFSET_S  # unreadable: refused below
            if not (abs(offset) < MAX_OFFSET_S and plausible(self.clock.inner.now() + _s(offset))):
                log.warning("stored clock offset ignored: not a plausible correction")
                offset = 0.0
        self.clock.offset_s = offset

    def central_time(self, current_time: object, latency_s: float = 0.0) -> bool:
        """The central system said it is `current_time` (`latency_s` ago, half a round trip).
        True when the charger's clock was set."""
        if not self.enabled:
            return False
        try:
            if not isinstance(current_time, str):
                raise ValueError("not a string")
            theirs = parse_time(current_time) + _s(max(0.0, latency_s))
        except (ValueError, OverflowError):
            self._refuse(f"currentTime {str(current_time)[:40]!r} is not a date and time")
            return False
        if not plausible(theirs):
            self._refuse(
                f"currentTime {format_time(theirs)} refused: outside {RELEASED.year}..+30 years"
            )
            return False
        self._on_plausible()
        old = self.clock.now()
        error = (theirs - old).total_seconds()
        if abs(error) <= self.threshold_s or self._authoritative():
            return False
        self.clock.offset_s += error
        try:
            self._store.save_setting(OFFSET_KEY, repr(self.clock.offset_s))
        except sqlite3.Error as exc:
            if not storage_full(exc):
                raise
            log.warning("clock offset not kept: storage full")  # MemoryExhaustion elsewhere
        new = self.clock.now()
        log.warning(
            "clock set from the central system: %s -> %s", format_time(old), format_time(new)
        )
        self._record(
            "SettingSystemTime", f"{format_time(old)} -> {format_time(new)} (central system time)"
        )
        return True

    def _refuse(self, what: str) -> None:
        log.warning("central system time not adopted: %s", what)
        self._invalid(what)


def _s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)
