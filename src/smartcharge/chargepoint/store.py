"""The charge point's SQLite store: durable outbox, sessions, samples, settings, auth lists.

Its parts, by domain: store_outbox.py, store_sessions.py (sessions, rate changes, samples),
store_id_tags.py (local list, cache, reservations), on store_base.py (connection, settings);
this module holds the schema, opening and migrating the file, and the factory reset (R35).

Durability is the point of this module (DESIGN principle 5): a transaction message is in the
outbox, in the same SQLite transaction as the session change that caused it, before anyone tries
to send it; a result is applied and its outbox row deleted in one SQLite transaction. With WAL and
`synchronous=FULL` a kill -9 or a power cut at any instant leaves either the before or the after.

All methods are synchronous: each is one short SQLite transaction on a local file, which is
cheaper than hopping to a thread for the charge point's message rates.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Protocol

from smartcharge.chargepoint.store_id_tags import IdTagStore, Reservation
from smartcharge.chargepoint.store_sessions import SessionStore

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


class SettingsAccess(Protocol):
    """The settings table as parts that keep a little state there see it (a `Store` is one)."""

    def setting(self, key: str) -> str | None: ...

    def save_setting(self, key: str, value: str) -> None: ...

    def delete_setting(self, key: str) -> None: ...


class Store(SessionStore, IdTagStore):
    """The whole store: every part on one SQLite file (see the module)."""

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

    def close(self) -> None:
        self._db.close()

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
