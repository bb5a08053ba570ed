"""The durable outbox: every transaction message and security event, in the same SQLite
transaction as the change that caused it, until the central system has answered it."""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from smartcharge.chargepoint.store_base import StoreBase
from smartcharge.ocpp.times import format_time


@dataclass(frozen=True, slots=True)
class OutboxItem:
    seq: int
    unique_id: str
    action: str
    payload: dict[str, Any]
    tx_local_id: int | None
    attempts: int


class OutboxStore(StoreBase):
    """The outbox (see the module)."""

    @staticmethod
    def _enqueue(
        db: sqlite3.Connection,
        action: str,
        payload: dict[str, Any],
        tx_local_id: int | None,
        now: datetime,
        unique_id: str | None = None,
    ) -> int:
        cur = db.execute(
            "INSERT INTO outbox(unique_id, action, payload, tx_local_id, created_at) "
            "VALUES(?, ?, ?, ?, ?)",
            (
                unique_id or str(uuid.uuid4()),
                action,
                orjson.dumps(payload).decode(),
                tx_local_id,
                format_time(now),
            ),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def enqueue(
        self,
        action: str,
        payload: dict[str, Any],
        *,
        now: datetime,
        tx_local_id: int | None = None,
        unique_id: str | None = None,
    ) -> int:
        """Queue a message; `unique_id` (default: a new UUID) is its OCPP message id."""
        with self._tx() as db:
            return self._enqueue(db, action, payload, tx_local_id, now, unique_id)

    def outbox_has(self, unique_id: str) -> bool:
        row = self._db.execute("SELECT 1 FROM outbox WHERE unique_id = ?", (unique_id,))
        return row.fetchone() is not None

    def outbox_head(self) -> OutboxItem | None:
        row = self._db.execute(
            "SELECT seq, unique_id, action, payload, tx_local_id, attempts FROM outbox "
            "ORDER BY seq LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        return OutboxItem(row[0], row[1], row[2], orjson.loads(row[3]), row[4], row[5])

    def outbox_size(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def outbox_failed(self, seq: int) -> None:
        """A CALLERROR: count the attempt and take a new message id for the retry (the central
        system did process that id, so reusing it would look like a duplicate)."""
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET attempts = attempts + 1, unique_id = ? WHERE seq = ?",
                (str(uuid.uuid4()), seq),
            )

    def outbox_drop(self, seq: int) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM outbox WHERE seq = ?", (seq,))

    def outbox_delivered(
        self, item: OutboxItem, *, transaction_id: int | None = None, status: str | None = None
    ) -> None:
        """Apply a CALLRESULT and remove the message, atomically."""
        with self._tx() as db:
            if item.tx_local_id is not None and item.action == "StartTransaction":
                db.execute(
                    "UPDATE transactions SET transaction_id=?, start_status=? WHERE local_id=?",
                    (transaction_id, status, item.tx_local_id),
                )
            if item.tx_local_id is not None and item.action == "StopTransaction":
                db.execute(
                    "UPDATE transactions SET delivery='delivered' WHERE local_id=?",
                    (item.tx_local_id,),
                )
            db.execute("DELETE FROM outbox WHERE seq = ?", (item.seq,))
