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
from collections.abc import Callable
from dataclasses import dataclass

from smartcharge.chargepoint.security.security_log import Entry, PendingNotification, SecurityLog
from smartcharge.chargepoint.store import Store
from smartcharge.sim.clock import Clock

log = logging.getLogger("smartcharge.chargepoint.security")

ACTION = "SecurityEventNotification"
THROTTLE_PER_WINDOW = 10  # entries an hour per throttled event type
THROTTLE_WINDOW_S = 3600.0


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

    def record(self, event: str, tech_info: str = "", *, notify: bool | None = None) -> Entry:
        """Append `event`; if it is to be notified, queue its SecurityEventNotification."""
        entry = self.log.append(event, tech_info, self._clock.now(), notify=notify)
        # The type only: techInfo may name a file or a peer, but never goes to a plain log line.
        log.info("security event %s (seq %s)", event, entry.seq)
        if entry.notify:
            self.forward()
        return entry

    def forward(self) -> int:
        """Hand pending notifications to the outbox; how many were handed over."""
        moved = 0
        for p in self.log.pending_notifications():
            uid = message_id(p)
            if not self._outbox.outbox_has(uid):
                self._outbox.enqueue(ACTION, p.payload(), now=self._clock.now(), unique_id=uid)
            self.log.mark_notified(p.seq)
            moved += 1
        if moved and self.wake is not None:
            self.wake()
        return moved

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


@dataclass
class _Throttle:
    window_start: float
    in_window: int = 0
    suppressed: int = 0
