"""The SQLite store: atomic session+outbox writes, ordered outbox, retention, local list."""

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from smartcharge.chargepoint.store import Store

T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "cp.sqlite")


def test_start_and_stop_queue_messages_in_order(store: Store) -> None:
    lid = store.start_transaction(connector_id=1, id_tag="TAG", meter_start_wh=100, now=T0)
    store.queue_transaction_meter_values(lid, 1, [{"timestamp": "x", "sampledValue": []}], now=T0)
    store.stop_transaction(lid, meter_stop_wh=250, now=T0 + timedelta(hours=1), reason="Local")
    actions = []
    while (item := store.outbox_head()) is not None:
        actions.append(item.action)
        store.outbox_delivered(
            item, transaction_id=7 if item.action == "StartTransaction" else None
        )
    assert actions == ["StartTransaction", "MeterValues", "StopTransaction"]
    s = store.session(lid)
    assert s is not None and s.transaction_id == 7 and s.energy_wh == 150
    assert s.delivery == "delivered"


def test_second_stop_queues_nothing(store: Store) -> None:
    lid = store.start_transaction(connector_id=1, id_tag="TAG", meter_start_wh=0, now=T0)
    store.stop_transaction(lid, meter_stop_wh=10, now=T0, reason="Local")
    store.stop_transaction(lid, meter_stop_wh=20, now=T0, reason="Remote")
    assert store.outbox_size() == 2
    s = store.session(lid)
    assert s is not None and s.meter_stop_wh == 10 and s.stop_reason == "Local"


def test_survives_reopen_and_keeps_message_ids(tmp_path: Path) -> None:
    s1 = Store(tmp_path / "cp.sqlite")
    s1.start_transaction(connector_id=2, id_tag="A", meter_start_wh=5, now=T0)
    head = s1.outbox_head()
    s1.close()  # as far as SQLite is concerned, the same as a process killed here
    s2 = Store(tmp_path / "cp.sqlite")
    again = s2.outbox_head()
    assert again == head  # same message id: a resend is recognisable
    assert [s.connector_id for s in s2.open_sessions()] == [2]


def test_callerror_retry_gets_a_new_message_id(store: Store) -> None:
    store.start_transaction(connector_id=1, id_tag="A", meter_start_wh=5, now=T0)
    first = store.outbox_head()
    assert first is not None
    store.outbox_failed(first.seq)
    second = store.outbox_head()
    assert second is not None and second.attempts == 1 and second.unique_id != first.unique_id


def test_failed_write_changes_nothing(store: Store) -> None:
    lid = store.start_transaction(connector_id=1, id_tag="A", meter_start_wh=5, now=T0)
    with pytest.raises(KeyError):
        store.stop_transaction(lid + 99, meter_stop_wh=9, now=T0, reason="Local")
    assert store.outbox_size() == 1


def test_register_only_goes_up(store: Store) -> None:
    lid = store.start_transaction(connector_id=1, id_tag="A", meter_start_wh=500, now=T0)
    store.queue_transaction_meter_values(lid, 1, [], now=T0, register_wh=400)
    assert store.last_register(1) == 500


def test_retention(store: Store) -> None:
    old = T0 - timedelta(days=400)
    lid = store.start_transaction(connector_id=1, id_tag="A", meter_start_wh=0, now=old)
    store.stop_transaction(lid, meter_stop_wh=1, now=old, reason="Local")
    undelivered_old = lid
    lid2 = store.start_transaction(connector_id=1, id_tag="A", meter_start_wh=1, now=old)
    store.stop_transaction(lid2, meter_stop_wh=2, now=old, reason="Local")
    while (item := store.outbox_head()) is not None:
        if item.tx_local_id == undelivered_old:
            break
        store.outbox_delivered(item, transaction_id=1)
    recent = store.start_transaction(connector_id=1, id_tag="A", meter_start_wh=2, now=T0)
    store.add_samples([(T0 - timedelta(days=8), 1, 1.0, 1.0), (T0, 1, 2.0, 2.0)])
    store.prune(T0)
    kept = {s.local_id for s in store.sessions()}
    assert recent in kept and undelivered_old in kept  # undelivered history is never dropped
    assert len(store.samples(1, T0 - timedelta(days=30), T0 + timedelta(seconds=1))) == 1


def test_local_list_full_and_differential(store: Store) -> None:
    store.replace_local_list(3, {"A": {"status": "Accepted"}, "B": {"status": "Blocked"}})
    store.update_local_list(4, {"A": None, "C": {"status": "Accepted"}})
    assert store.local_list_version() == 4
    assert store.local_list_entry("A") is None
    assert store.local_list_entry("C") == {"status": "Accepted"}
    assert store.local_list_size() == 2


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "cp.sqlite")
    db.execute("PRAGMA user_version=99")
    db.close()
    with pytest.raises(RuntimeError, match="newer smartcharge"):
        Store(tmp_path / "cp.sqlite")
