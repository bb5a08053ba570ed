"""Security events into the durable outbox: exactly once across a crash between the two files,
and a flood of invalid messages does not flood the log."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from smartcharge.chargepoint.security.events import (
    THROTTLE_PER_WINDOW,
    THROTTLE_WINDOW_S,
    SecurityEvents,
    message_id,
)
from smartcharge.chargepoint.security.security_log import SecurityLog
from smartcharge.chargepoint.store import Store
from smartcharge.sim.clock import ManualClock


def outbox(store: Store) -> list[tuple[str, str, dict[str, object]]]:
    items = []
    while (head := store.outbox_head()) is not None:
        items.append((head.unique_id, head.action, head.payload))
        store.outbox_drop(head.seq)
    return items


def test_critical_events_reach_the_outbox_others_only_the_log(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 6, 1, tzinfo=UTC))
    store = Store(tmp_path / "cp.sqlite")
    woken: list[bool] = []
    with SecurityLog(tmp_path / "security.sqlite") as log:
        events = SecurityEvents(log, store, clock, wake=lambda: woken.append(True))
        events.record("InvalidTLSVersion", "TLS: UNSUPPORTED_PROTOCOL")  # not critical
        entry = events.record("TamperDetectionActivated", "lid")
        assert log.pending_notifications() == []
        [(uid, action, payload)] = outbox(store)
        assert action == "SecurityEventNotification"
        assert payload == {
            "type": "TamperDetectionActivated",
            "timestamp": "2026-06-01T00:00:00.000Z",
            "techInfo": "lid",
        }
        assert uid.startswith(f"sev-{entry.seq}-") and len(uid) <= 36
        assert woken == [True]
        assert [e.event for e in log.entries()] == ["InvalidTLSVersion", "TamperDetectionActivated"]
    store.close()


def test_a_crash_between_the_outbox_and_the_log_neither_loses_nor_doubles(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 6, 1, tzinfo=UTC))
    store = Store(tmp_path / "cp.sqlite")
    with SecurityLog(tmp_path / "security.sqlite") as log:
        log.append("ResetOrReboot", "Hard reset", clock.now())  # pending, not handed over yet
        [pending] = log.pending_notifications()
        # The crash: the outbox got the message, the log never heard.
        store.enqueue(
            "SecurityEventNotification",
            pending.payload(),
            now=clock.now(),
            unique_id=message_id(pending),
        )
        events = SecurityEvents(log, store, clock)
        assert events.forward() == 1
        assert log.pending_notifications() == []
        assert len(outbox(store)) == 1
        # The other crash: the log's entry still pending, the outbox empty.
        log.append("StartupOfTheDevice", "boot", clock.now())
        assert SecurityEvents(log, store, clock).forward() == 1
        assert [a for _, a, _ in outbox(store)] == ["SecurityEventNotification"]
    store.close()


async def test_invalid_messages_are_logged_within_a_limit(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 6, 1, tzinfo=UTC))
    store = Store(tmp_path / "cp.sqlite")
    with SecurityLog(tmp_path / "security.sqlite") as log:
        events = SecurityEvents(log, store, clock)
        for n in range(THROTTLE_PER_WINDOW + 25):
            events.invalid_message(f"FormationViolation: frame {n}")
        assert len(log.entries()) == THROTTLE_PER_WINDOW
        await clock.advance(THROTTLE_WINDOW_S)
        events.invalid_message("one more")
        infos = [e.tech_info for e in log.entries()][THROTTLE_PER_WINDOW:]
        assert infos == ["25 more not logged one by one", "one more"]
        assert store.outbox_head() is None  # InvalidMessages is not critical
    store.close()
