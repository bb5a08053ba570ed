"""The charge point's SQLite store: durable outbox, sessions, samples, settings, auth lists.

Durability is the point of this module (DESIGN principle 5): a transaction message is in the
outbox, in the same SQLite transaction as the session change that caused it, before anyone tries
to send it; a result is applied and its outbox row deleted in one SQLite transaction. With WAL and
`synchronous=FULL` a kill -9 or a power cut at any instant leaves either the before or the after.

All methods are synchronous: each is one short SQLite transaction on a local file, which is
cheaper than hopping to a thread for the charge point's message rates.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import orjson

from smartcharge.chargepoint.storage import write_transaction
from smartcharge.ocpp.times import format_time, parse_time

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- Transaction messages waiting for the central system, delivered strictly in seq order.
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    unique_id TEXT NOT NULL,
    action TEXT NOT NULL,
    payload TEXT NOT NULL,
    tx_local_id INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS transactions (
    local_id INTEGER PRIMARY KEY AUTOINCREMENT,
    connector_id INTEGER NOT NULL,
    id_tag TEXT NOT NULL,
    transaction_id INTEGER,
    reservation_id INTEGER,
    meter_start_wh INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    meter_stop_wh INTEGER,
    stopped_at TEXT,
    stop_reason TEXT,
    stop_id_tag TEXT,
    export_start_wh INTEGER NOT NULL DEFAULT 0,
    export_stop_wh INTEGER,
    start_status TEXT,
    delivery TEXT NOT NULL DEFAULT 'queued'
);
CREATE INDEX IF NOT EXISTS transactions_started ON transactions(started_at);
CREATE TABLE IF NOT EXISTS rate_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tx_local_id INTEGER NOT NULL,
    at TEXT NOT NULL,
    limit_a REAL NOT NULL,
    cause TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rate_changes_tx ON rate_changes(tx_local_id);
CREATE TABLE IF NOT EXISTS samples (
    ts REAL NOT NULL,
    connector_id INTEGER NOT NULL,
    power_w REAL NOT NULL,
    energy_wh REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS samples_ts ON samples(ts);
CREATE TABLE IF NOT EXISTS local_list (
    id_tag TEXT PRIMARY KEY,
    info TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS auth_cache (
    id_tag TEXT PRIMARY KEY,
    info TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS reservations (
    reservation_id INTEGER PRIMARY KEY,
    connector_id INTEGER NOT NULL,
    id_tag TEXT NOT NULL,
    parent_id_tag TEXT,
    expires_at TEXT NOT NULL
);
"""

# Settings that describe the device, not its owner: kept by a factory reset (`factory_reset`).
FACTORY_RESET_KEEPS_PREFIXES = (
    "meter.register.",
    "firmware.",
    "security.",  # the tamper latch, certificate and profile state: a reset must not clear them
    "SecurityProfile",
    "AuthorizationKey",
)

SESSION_RETENTION = timedelta(days=366)  # R10 decision: 366 days of session records
SAMPLE_RETENTION = timedelta(days=7)  # R11 decision: 1 s samples of at least the last 7 days


def _parse_or_none(text: str | None) -> datetime | None:
    return None if text is None else parse_time(text)


class SettingsAccess(Protocol):
    """The settings table as parts that keep a little state there see it (a `Store` is one)."""

    def setting(self, key: str) -> str | None: ...

    def save_setting(self, key: str, value: str) -> None: ...

    def delete_setting(self, key: str) -> None: ...


@dataclass(frozen=True, slots=True)
class OutboxItem:
    seq: int
    unique_id: str
    action: str
    payload: dict[str, Any]
    tx_local_id: int | None
    attempts: int


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


@dataclass(frozen=True, slots=True)
class Reservation:
    reservation_id: int
    connector_id: int
    id_tag: str
    parent_id_tag: str | None
    expires_at: datetime


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


class Store:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves so each method is one
        # explicit transaction and nothing is left half-written between two statements.
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        # The station looks reservations up every tick; they change only through this object.
        self._reservations: tuple[Reservation, ...] | None = None
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(
                f"{self.path} was written by a newer smartcharge (schema {version}); "
                f"this one understands up to {SCHEMA_VERSION}"
            )
        if version < SCHEMA_VERSION:
            self._db.executescript(
                f"BEGIN; {_SCHEMA} PRAGMA user_version={SCHEMA_VERSION}; COMMIT;"
            )

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with write_transaction(self._db) as db:
            yield db

    def close(self) -> None:
        self._db.close()

    # --- settings (OCPP configuration keys and other persisted state) -------------------------
    def load_settings(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT key, value FROM settings").fetchall())

    def save_setting(self, key: str, value: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO settings(key, value) VALUES(?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (key, value),
            )

    def setting(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM settings WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def delete_setting(self, key: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM settings WHERE key=?", (key,))

    # --- outbox --------------------------------------------------------------------------------
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

    # --- transactions and session history ------------------------------------------------------
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

    # --- local authorization list and cache --------------------------------------------------
    def local_list_version(self) -> int:
        value = self.setting("local_list.version")
        return 0 if value is None else int(value)

    def replace_local_list(self, version: int, entries: dict[str, dict[str, Any]]) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM local_list")
            db.executemany(
                "INSERT INTO local_list(id_tag, info) VALUES(?, ?)",
                [(tag, orjson.dumps(info).decode()) for tag, info in entries.items()],
            )
            self._put_version(db, version)

    def update_local_list(self, version: int, entries: dict[str, dict[str, Any] | None]) -> None:
        """Differential update: an entry of None removes that id tag."""
        with self._tx() as db:
            for tag, info in entries.items():
                if info is None:
                    db.execute("DELETE FROM local_list WHERE id_tag=?", (tag,))
                else:
                    db.execute(
                        "INSERT INTO local_list(id_tag, info) VALUES(?, ?) "
                        "ON CONFLICT(id_tag) DO UPDATE SET info=excluded.info",
                        (tag, orjson.dumps(info).decode()),
                    )
            self._put_version(db, version)

    @staticmethod
    def _put_version(db: sqlite3.Connection, version: int) -> None:
        db.execute(
            "INSERT INTO settings(key, value) VALUES('local_list.version', ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (str(version),),
        )

    def local_list_size(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM local_list").fetchone()[0])

    def local_list_entry(self, id_tag: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT info FROM local_list WHERE id_tag=?", (id_tag,)).fetchone()
        return None if row is None else orjson.loads(row[0])

    def cache_get(self, id_tag: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT info FROM auth_cache WHERE id_tag=?", (id_tag,)).fetchone()
        return None if row is None else orjson.loads(row[0])

    def cache_put(self, id_tag: str, info: dict[str, Any], *, now: datetime) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO auth_cache(id_tag, info, updated_at) VALUES(?, ?, ?) "
                "ON CONFLICT(id_tag) DO UPDATE SET "
                "info=excluded.info, updated_at=excluded.updated_at",
                (id_tag, orjson.dumps(info).decode(), format_time(now)),
            )

    def cache_clear(self) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM auth_cache")

    # --- factory reset (R35) -----------------------------------------------------------------
    def factory_reset(self) -> None:
        """Delete every piece of personal data in one SQLite transaction.

        Gone: sessions and their rate changes, samples, id tags (local list, cache, reservations,
        queued transaction messages, which carry id tags; queued security event notifications
        stay: evidence, not personal data), the owner's settings and password,
        DSR events, charging profiles and configuration keys (back to their defaults). Kept:
        what describes the device, not a person: the meter registers (energy never goes
        backwards), the firmware slots, and the security settings (a profile never goes down,
        a credential is never reset to a shared value: R28). The device key and the credential
        vault live outside this file and are not touched.
        """
        with self._tx() as db:
            db.execute("DELETE FROM outbox WHERE action != 'SecurityEventNotification'")
            for table in (
                "rate_changes",
                "transactions",
                "samples",
                "local_list",
                "auth_cache",
                "reservations",
            ):
                db.execute(f"DELETE FROM {table}")  # names from the tuple above, never input
            keep = [f"{prefix}%" for prefix in FACTORY_RESET_KEEPS_PREFIXES]
            clauses = " AND ".join("key NOT LIKE ?" for _ in keep)
            db.execute(f"DELETE FROM settings WHERE {clauses}", keep)
        self._reservations = None
        # The deleted rows' bytes stay in free pages until the file is rewritten: rewrite it.
        self._db.execute("VACUUM")

    # --- reservations --------------------------------------------------------------------------
    def put_reservation(self, r: Reservation) -> None:
        self._reservations = None
        with self._tx() as db:
            db.execute("DELETE FROM reservations WHERE reservation_id=?", (r.reservation_id,))
            db.execute(
                "INSERT INTO reservations(reservation_id, connector_id, id_tag, parent_id_tag, "
                "expires_at) VALUES(?, ?, ?, ?, ?)",
                (
                    r.reservation_id,
                    r.connector_id,
                    r.id_tag,
                    r.parent_id_tag,
                    format_time(r.expires_at),
                ),
            )

    def remove_reservation(self, reservation_id: int) -> bool:
        self._reservations = None
        with self._tx() as db:
            cur = db.execute("DELETE FROM reservations WHERE reservation_id=?", (reservation_id,))
            return cur.rowcount > 0

    def reservations(self) -> list[Reservation]:
        if self._reservations is None:
            self._reservations = tuple(self._read_reservations())
        return list(self._reservations)

    def _read_reservations(self) -> list[Reservation]:
        rows = self._db.execute(
            "SELECT reservation_id, connector_id, id_tag, parent_id_tag, expires_at "
            "FROM reservations ORDER BY reservation_id"
        ).fetchall()
        out = []
        for rid, cid, tag, parent, exp in rows:
            expires = _parse_or_none(exp)
            assert expires is not None
            out.append(Reservation(rid, cid, tag, parent, expires))
        return out
