"""Security events of the running charger: recorded where they happen, notified durably.

`record` appends to the hash-chained security log (durable on return) and hands every entry the
central system must hear about to the store's outbox as a SecurityEventNotification, so it is
delivered like transaction data: in order, after BootNotification was accepted, and never lost
by a kill -9 or a power cut.

The hand-over crosses two SQLite files, so it is made idempotent rather than atomic: the outbox
message id is derived from the entry (`sev-<seq>-<digest>`), the entry's pending mark in the log
is removed only after the outbox holds the message, and at start the log's pending entries are
handed over again unless the outbox already has their id. A crash between the two commits
therefore neither loses nor duplicates a notification.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from smartcharge.chargepoint.security.security_log import Entry, PendingNotification, SecurityLog
from smartcharge.chargepoint.storage import storage_full
from smartcharge.chargepoint.store import Store
from smartcharge.clock import Clock

log = logging.getLogger("smartcharge.chargepoint.security")

ACTION = "SecurityEventNotification"
THROTTLE_PER_WINDOW = 10  # entries an hour per throttled event type
THROTTLE_WINDOW_S = 3600.0
UNWRITTEN_KEPT = 1000  # security events kept in memory while storage is full
PROBE_KEY = "storage.probe"  # written only during a storage-full episode, to see it end


def message_id(p: PendingNotification) -> str:
    """The notification's OCPP message id: the same for the same entry, at most 36 characters."""
    digest = hashlib.sha256(
        f"{p.seq}|{p.timestamp.isoformat()}|{p.event}|{p.tech_info}".encode()
    ).hexdigest()
    return f"sev-{p.seq}-{digest[:16]}"


class SecurityEvents:
    def __init__(
        self,
        security_log: SecurityLog,
        outbox: Store,
        clock: Clock,
        wake: Callable[[], None] | None = None,
    ) -> None:
        self.log = security_log
        self._outbox = outbox
        self._clock = clock
        self.wake = wake  # the link's outbox, once it exists
        self._throttles: dict[str, _Throttle] = {}
        # Events the log could not take (storage full), oldest first, with their own time.
        self._unwritten: deque[_Unwritten] = deque()
        self.lost = 0  # beyond UNWRITTEN_KEPT: counted, and the count logged when space returns
        self.full_since: str | None = None  # the storage-full episode: where it was first seen

    def record(
        self, event: str, tech_info: str = "", *, notify: bool | None = None
    ) -> Entry | None:
        """Append `event`; if it is to be notified, queue its SecurityEventNotification.
        None while storage is full: the event is kept in memory and written when space returns
        (`probe`), with the time it happened."""
        self._keep(_Unwritten(event, tech_info, self._clock.now(), notify))
        written = self._write_unwritten()
        return written[-1] if written and not self._unwritten else None

    def _keep(self, item: _Unwritten) -> None:
        if len(self._unwritten) >= UNWRITTEN_KEPT:
            self._unwritten.popleft()  # the oldest go first: the newest say most about now
            self.lost += 1
        self._unwritten.append(item)

    def _write_unwritten(self) -> list[Entry]:
        written: list[Entry] = []
        while self._unwritten:
            item = self._unwritten[0]
            try:
                entry = self.log.append(item.event, item.tech_info, item.at, notify=item.notify)
            except sqlite3.Error as exc:
                if not storage_full(exc):
                    raise
                self._episode("security log", exc)
                break
            self._unwritten.popleft()
            # The type only: techInfo may name a file or a peer, never goes to a plain log line.
            log.info("security event %s (seq %s)", item.event, entry.seq)
            written.append(entry)
        if any(e.notify for e in written):
            self.forward()
        return written

    def forward(self) -> int:
        """Hand pending notifications to the outbox; how many were handed over."""
        moved = 0
        try:
            for p in self.log.pending_notifications():
                uid = message_id(p)
                if not self._outbox.outbox_has(uid):
                    self._outbox.enqueue(ACTION, p.payload(), now=self._clock.now(), unique_id=uid)
                self.log.mark_notified(p.seq)
                moved += 1
        except sqlite3.Error as exc:
            if not storage_full(exc):
                raise
            # Still pending in the log: handed over by `probe` once space returns.
            if self._episode("store", exc):
                self._write_unwritten()  # MemoryExhaustion, into the log (which may have room)
        if moved and self.wake is not None:
            self.wake()
        return moved

    # --- storage full (MemoryExhaustion) -------------------------------------------------------

    def storage_failed(self, where: str, exc: BaseException) -> bool:
        """A write of `where` failed. True when for lack of space (MemoryExhaustion, once per
        episode; the caller carries on without that write); False for any other fault."""
        if not storage_full(exc):
            return False
        if self._episode(where, exc):
            self._write_unwritten()
        return True

    def _episode(self, where: str, exc: BaseException) -> bool:
        if self.full_since is not None:
            return False
        self.full_since = where
        log.error("storage full (%s): %s; charging continues", where, exc)
        self._keep(_Unwritten("MemoryExhaustion", f"{where}: {exc}", self._clock.now(), None))
        return True

    def probe(self) -> bool:
        """During a storage-full episode (call it now and then): write what was kept, hand over
        pending notifications, and end the episode once the store takes a write again. True
        when storage is (again) fine."""
        if self.full_since is None:
            return True
        self._write_unwritten()
        try:
            self._outbox.save_setting(PROBE_KEY, self._clock.now().isoformat())
        except sqlite3.Error as exc:
            if not storage_full(exc):
                raise
            return False
        if self._unwritten:
            return False
        lost, self.lost, self.full_since = self.lost, 0, None
        # One MemoryExhaustion per episode: what could not be kept is only counted here.
        log.warning("storage writable again; %s security events could not be kept", lost)
        self.forward()
        return True

    def invalid_message(self, what: str) -> None:
        """InvalidMessages, at most THROTTLE_PER_WINDOW an hour: a peer that floods us with
        garbage must not flood the security log (the rest are counted in one entry)."""
        self._throttled("InvalidMessages", what)

    def attempted_replay(self, what: str) -> None:
        """AttemptedReplayAttacks (security/replay.py), throttled as InvalidMessages."""
        self._throttled("AttemptedReplayAttacks", what)

    def _throttled(self, event: str, what: str) -> None:
        t = self._throttles.setdefault(event, _Throttle(self._clock.monotonic()))
        now = self._clock.monotonic()
        if now - t.window_start >= THROTTLE_WINDOW_S:
            if t.suppressed:
                self.record(event, f"{t.suppressed} more not logged one by one")
            t.window_start, t.in_window, t.suppressed = now, 0, 0
        if t.in_window < THROTTLE_PER_WINDOW:
            t.in_window += 1
            self.record(event, what)
        else:
            t.suppressed += 1


@dataclass(frozen=True)
class _Unwritten:
    event: str
    tech_info: str
    at: datetime
    notify: bool | None


@dataclass
class _Throttle:
    window_start: float
    in_window: int = 0
    suppressed: int = 0
