"""What every part of the charge point's store stands on: the SQLite connection, one explicit
write transaction per method (`_tx`), and the settings table (store.py has the whole picture)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from smartcharge.chargepoint.storage import write_transaction
from smartcharge.ocpp.times import parse_time

if TYPE_CHECKING:
    from smartcharge.chargepoint.store_id_tags import Reservation


def _parse_or_none(text: str | None) -> datetime | None:
    return None if text is None else parse_time(text)


class StoreBase:
    """The connection and the settings (see the module)."""

    path: Path
    _db: sqlite3.Connection
    # The station looks reservations up every tick; they change only through this object.
    _reservations: tuple[Reservation, ...] | None

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with write_transaction(self._db) as db:
            yield db

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
