"""Sessions (R10: 366 days of records), their rate changes and meter registers, and the 1 s
samples (R11); a start or stop is queued in the outbox in the same SQLite transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from smartcharge.chargepoint.store_base import _parse_or_none
from smartcharge.chargepoint.store_outbox import OutboxStore
from smartcharge.ocpp.times import format_time

SESSION_RETENTION = timedelta(days=366)  # R10 decision: 366 days of session records


SAMPLE_RETENTION = timedelta(days=7)  # R11 decision: 1 s samples of at least the last 7 days


@dataclass(frozen=True, slots=True)
class Session:
    local_id: int
    connector_id: int
    id_tag: str
    transaction_id: int | None
    reservation_id: int | None
    meter_start_wh: int
    started_at: datetime
    meter_stop_wh: int | None
    stopped_at: datetime | None
    stop_reason: str | None
    start_status: str | None
    delivery: str

    @property
    def energy_wh(self) -> int | None:
        return None if self.meter_stop_wh is None else self.meter_stop_wh - self.meter_start_wh


_SESSION_COLUMNS = (
    "local_id, connector_id, id_tag, transaction_id, reservation_id, meter_start_wh, started_at, "
    "meter_stop_wh, stopped_at, stop_reason, start_status, delivery"
)


def _session(row: tuple[Any, ...]) -> Session:
    started = _parse_or_none(row[6])
    assert started is not None
    return Session(
        local_id=row[0],
        connector_id=row[1],
        id_tag=row[2],
        transaction_id=row[3],
        reservation_id=row[4],
        meter_start_wh=row[5],
        started_at=started,
        meter_stop_wh=row[7],
        stopped_at=_parse_or_none(row[8]),
        stop_reason=row[9],
        start_status=row[10],
        delivery=row[11],
    )


class SessionStore(OutboxStore):
    """Sessions and samples (see the module)."""

    def start_transaction(
        self,
        *,
        connector_id: int,
        id_tag: str,
        meter_start_wh: int,
        now: datetime,
        reservation_id: int | None = None,
        export_start_wh: int = 0,
    ) -> int:
        """Record a session start and queue its StartTransaction in one SQLite transaction."""
        payload: dict[str, Any] = {
            "connectorId": connector_id,
            "idTag": id_tag,
            "meterStart": meter_start_wh,
            "timestamp": format_time(now),
        }
        if reservation_id is not None:
            payload["reservationId"] = reservation_id
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO transactions(connector_id, id_tag, reservation_id, meter_start_wh, "
                "started_at, export_start_wh) VALUES(?, ?, ?, ?, ?, ?)",
                (
                    connector_id,
                    id_tag,
                    reservation_id,
                    meter_start_wh,
                    format_time(now),
                    export_start_wh,
                ),
            )
            local_id = cur.lastrowid
            assert local_id is not None
            if reservation_id is not None:
                db.execute("DELETE FROM reservations WHERE reservation_id=?", (reservation_id,))
                self._reservations = None
            self._enqueue(db, "StartTransaction", payload, local_id, now)
            self._set_register(db, connector_id, meter_start_wh)
        return local_id

    def stop_transaction(
        self,
        local_id: int,
        *,
        meter_stop_wh: int,
        now: datetime,
        reason: str,
        id_tag: str | None = None,
        transaction_data: list[dict[str, Any]] | None = None,
        export_stop_wh: int | None = None,
    ) -> None:
        """Record a session stop and queue its StopTransaction in one SQLite transaction."""
        payload: dict[str, Any] = {
            "meterStop": meter_stop_wh,
            "timestamp": format_time(now),
            "reason": reason,
        }
        if id_tag is not None:
            payload["idTag"] = id_tag
        if transaction_data:
            payload["transactionData"] = transaction_data
        with self._tx() as db:
            row = db.execute(
                "SELECT connector_id, stopped_at FROM transactions WHERE local_id=?", (local_id,)
            ).fetchone()
            if row is None:
                raise KeyError(f"no transaction with local id {local_id}")
            if row[1] is not None:
                return  # already stopped: a second stop must not queue a second message
            db.execute(
                "UPDATE transactions SET meter_stop_wh=?, stopped_at=?, stop_reason=?, "
                "stop_id_tag=?, export_stop_wh=? WHERE local_id=?",
                (meter_stop_wh, format_time(now), reason, id_tag, export_stop_wh, local_id),
            )
            self._enqueue(db, "StopTransaction", payload, local_id, now)
            self._set_register(db, row[0], meter_stop_wh)

    def queue_transaction_meter_values(
        self,
        local_id: int,
        connector_id: int,
        meter_value: list[dict[str, Any]],
        *,
        now: datetime,
        register_wh: int | None = None,
    ) -> None:
        payload = {"connectorId": connector_id, "meterValue": meter_value}
        with self._tx() as db:
            self._enqueue(db, "MeterValues", payload, local_id, now)
            if register_wh is not None:
                self._set_register(db, connector_id, register_wh)

    @staticmethod
    def _set_register(db: sqlite3.Connection, connector_id: int, wh: int) -> None:
        # The highest register value ever reported, so a meter that forgets (a simulated one
        # after a crash) is restored to at least what the central system has already seen.
        db.execute(
            "INSERT INTO settings(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET "
            "value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
            (f"meter.register.{connector_id}", str(wh)),
        )

    def last_register(self, connector_id: int) -> int:
        value = self.setting(f"meter.register.{connector_id}")
        return 0 if value is None else int(value)

    def transaction_id(self, local_id: int) -> int | None:
        row = self._db.execute(
            "SELECT transaction_id FROM transactions WHERE local_id=?", (local_id,)
        ).fetchone()
        return None if row is None else row[0]

    def session(self, local_id: int) -> Session | None:
        row = self._db.execute(
            f"SELECT {_SESSION_COLUMNS} FROM transactions WHERE local_id=?", (local_id,)
        ).fetchone()
        return None if row is None else _session(row)

    def open_sessions(self) -> list[Session]:
        rows = self._db.execute(
            f"SELECT {_SESSION_COLUMNS} FROM transactions "
            "WHERE stopped_at IS NULL ORDER BY local_id"
        ).fetchall()
        return [_session(r) for r in rows]

    def sessions(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> list[Session]:
        lo = format_time(since) if since else ""
        hi = format_time(until) if until else "9999"
        rows = self._db.execute(
            f"SELECT {_SESSION_COLUMNS} FROM transactions WHERE started_at >= ? AND started_at < ? "
            "ORDER BY local_id",
            (lo, hi),
        ).fetchall()
        return [_session(r) for r in rows]

    def mark_start_abandoned(self, local_id: int) -> None:
        with self._tx() as db:
            db.execute("UPDATE transactions SET delivery='abandoned' WHERE local_id=?", (local_id,))

    def record_rate_change(
        self, local_id: int, *, at: datetime, limit_a: float, cause: str
    ) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO rate_changes(tx_local_id, at, limit_a, cause) VALUES(?, ?, ?, ?)",
                (local_id, format_time(at), limit_a, cause),
            )

    def rate_changes(self, local_id: int) -> list[tuple[datetime, float, str]]:
        rows = self._db.execute(
            "SELECT at, limit_a, cause FROM rate_changes WHERE tx_local_id=? ORDER BY id",
            (local_id,),
        ).fetchall()
        out = []
        for at, limit_a, cause in rows:
            when = _parse_or_none(at)
            assert when is not None
            out.append((when, float(limit_a), str(cause)))
        return out

    def add_samples(self, samples: Iterable[tuple[datetime, int, float, float]]) -> None:
        """Append per-second power samples (time, connector, W, Wh) in one transaction."""
        rows = [(ts.timestamp(), c, p, e) for ts, c, p, e in samples]
        if not rows:
            return
        with self._tx() as db:
            db.executemany(
                "INSERT INTO samples(ts, connector_id, power_w, energy_wh) VALUES(?, ?, ?, ?)",
                rows,
            )

    def samples(
        self, connector_id: int, since: datetime, until: datetime
    ) -> list[tuple[datetime, float, float]]:
        rows = self._db.execute(
            "SELECT ts, power_w, energy_wh FROM samples WHERE connector_id=? AND ts>=? AND ts<? "
            "ORDER BY ts",
            (connector_id, since.timestamp(), until.timestamp()),
        ).fetchall()
        return [(datetime.fromtimestamp(t, UTC), p, e) for t, p, e in rows]

    def prune(self, now: datetime) -> None:
        """Drop history past its retention; open or undelivered sessions are always kept."""
        with self._tx() as db:
            db.execute("DELETE FROM samples WHERE ts < ?", ((now - SAMPLE_RETENTION).timestamp(),))
            cutoff = format_time(now - SESSION_RETENTION)
            db.execute(
                "DELETE FROM rate_changes WHERE tx_local_id IN (SELECT local_id FROM transactions "
                "WHERE started_at < ? AND stopped_at IS NOT NULL AND delivery != 'queued')",
                (cutoff,),
            )
            db.execute(
                "DELETE FROM transactions WHERE started_at < ? AND stopped_at IS NOT NULL "
                "AND delivery != 'queued'",
                (cutoff,),
            )
