"""Id tags the charger keeps: the local authorisation list (with its version), the
authorisation cache, and reservations (cached in memory: the station reads them every tick)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from smartcharge.chargepoint.store_base import StoreBase, _parse_or_none
from smartcharge.ocpp.times import format_time


@dataclass(frozen=True, slots=True)
class Reservation:
    reservation_id: int
    connector_id: int
    id_tag: str
    parent_id_tag: str | None
    expires_at: datetime


class IdTagStore(StoreBase):
    """The local list, the cache and reservations (see the module)."""

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
