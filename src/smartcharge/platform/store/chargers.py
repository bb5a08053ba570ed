"""Chargers: registry rows, credentials, boot information, presence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from smartcharge.platform.store import driver_sql, pg_window, sqlite_window
from smartcharge.platform.store.group_commit import Batch, GroupCommit
from smartcharge.platform.store.models import Charger

BOOT_FIELDS = {
    "chargePointVendor": "vendor",
    "chargePointModel": "model",
    "chargePointSerialNumber": "serial_number",
    "chargeBoxSerialNumber": "charge_box_serial_number",
    "firmwareVersion": "firmware_version",
    "iccid": "iccid",
    "imsi": "imsi",
    "meterType": "meter_type",
    "meterSerialNumber": "meter_serial_number",
}
"""BootNotification field -> column."""

_CREDENTIALS = (
    "SELECT id, identity, password_hash, pending_password_hash, pending_password_accepted_at,"
    " security_profile FROM chargers WHERE identity = $1"
)
_RAISE_PROFILE = (
    "UPDATE chargers SET security_profile = $2"
    " WHERE id = $1 AND (security_profile IS NULL OR security_profile < $2)"
)
_CONNECTED = (
    "UPDATE chargers SET connected_node = $2, connected_at = $3, last_seen_at = $3 WHERE id = $1"
)


class ChargerExists(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Credentials:
    id: int
    identity: str
    password_hash: str | None
    pending_password_hash: str | None = None  # a rotation in progress (registry.rotate_password)
    pending_accepted: bool = False  # the charger answered Accepted to the new AuthorizationKey
    security_profile: int | None = None  # the profile it is held to; None: not recorded yet


class Chargers:
    def __init__(self, engine: AsyncEngine, commits: GroupCommit | None = None) -> None:
        self._engine = engine
        self._commits = commits or GroupCommit(engine)  # what chargers' messages write

    async def add(
        self,
        identity: str,
        password_hash: str | None,
        *,
        at: datetime,
        owner_id: int | None = None,
        site_id: int | None = None,
    ) -> int:
        """A new charger; `ChargerExists` when the identity is taken."""
        try:
            async with self._engine.begin() as conn:
                result = await conn.execute(
                    insert(Charger)
                    .values(
                        identity=identity,
                        password_hash=password_hash,
                        password_changed_at=at if password_hash else None,
                        owner_id=owner_id,
                        site_id=site_id,
                        created_at=at,
                    )
                    .returning(Charger.id)
                )
                return int(result.scalar_one())
        except IntegrityError:
            raise ChargerExists(f"a charger {identity!r} already exists") from None

    async def set_password(self, identity: str, password_hash: str, *, at: datetime) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(Charger)
                .where(Charger.identity == identity)
                .values(password_hash=password_hash, password_changed_at=at)
            )
            return bool(result.rowcount)

    async def replace_hash(self, charger_id: int, old_hash: str, new_hash: str) -> bool:
        """The same password under a new hash (new parameters), if `old_hash` is still stored;
        `password_changed_at` stays, since the password did not change."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(Charger)
                .where(Charger.id == charger_id, Charger.password_hash == old_hash)
                .values(password_hash=new_hash)
            )
            return bool(result.rowcount)

    async def credentials(self, identity: str) -> Credentials | None:
        # On the driver (driver_sql.py): every connecting charger's first statement.
        row = await driver_sql.fetchrow(self._engine, _CREDENTIALS, identity)
        if row is None:
            return None
        cid, name, password_hash, pending_hash, pending_accepted_at, profile = row
        return Credentials(
            cid, name, password_hash, pending_hash, pending_accepted_at is not None, profile
        )

    async def raise_security_profile(self, charger_id: int, profile: int) -> bool:
        """Record `profile` as the one the charger is held to, if it is higher (never lower).
        On the driver (driver_sql.py): every charger's first connection runs it."""
        return bool(await driver_sql.execute(self._engine, _RAISE_PROFILE, charger_id, profile))

    # --- password rotation (the rules are in registry.rotate_password) ------------------------

    async def begin_rotation(self, charger_id: int, pending_hash: str) -> bool:
        """Store the new password's hash beside the old one, unless a rotation is pending."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(Charger)
                .where(Charger.id == charger_id, Charger.pending_password_hash.is_(None))
                .values(pending_password_hash=pending_hash, pending_password_accepted_at=None)
            )
            return bool(result.rowcount)

    async def rotation_accepted(self, charger_id: int, pending_hash: str, *, at: datetime) -> None:
        """The charger took the new key: it stays valid until the charger connects with it."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(Charger)
                .where(Charger.id == charger_id)
                .values(pending_password_hash=pending_hash, pending_password_accepted_at=at)
            )

    async def drop_rotation(self, charger_id: int, pending_hash: str) -> None:
        """Forget the pending password (if it is still `pending_hash`)."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(Charger)
                .where(Charger.id == charger_id, Charger.pending_password_hash == pending_hash)
                .values(pending_password_hash=None, pending_password_accepted_at=None)
            )

    async def finish_rotation(self, charger_id: int, pending_hash: str, *, at: datetime) -> None:
        """The charger connected with the new password: it replaces the old one."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(Charger)
                .where(Charger.id == charger_id, Charger.pending_password_hash == pending_hash)
                .values(
                    password_hash=pending_hash,
                    password_changed_at=at,
                    pending_password_hash=None,
                    pending_password_accepted_at=None,
                )
            )

    async def get(self, identity: str) -> RowMapping | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(Charger).where(Charger.identity == identity))).first()
        return None if row is None else row._mapping

    async def record_boot(self, charger_id: int, boot: Mapping[str, Any], *, at: datetime) -> None:
        values: dict[str, Any] = {column: boot.get(key) for key, column in BOOT_FIELDS.items()}
        values.update(booted_at=at, last_seen_at=at)
        await self._commits.batched(_BOOTS, (charger_id, values))

    async def connected_node(self, identity: str) -> str | None:
        """The node holding the charger's connection (None: not connected, or unknown)."""
        async with self._engine.connect() as conn:
            node = await conn.scalar(
                select(Charger.connected_node).where(Charger.identity == identity)
            )
        return None if node is None else str(node)

    async def release_node(self, node: str) -> None:
        """A node starting up: no charger is connected to it (it may have died holding some)."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(Charger).where(Charger.connected_node == node).values(connected_node=None)
            )

    async def connected(self, charger_id: int, node: str, *, at: datetime) -> None:
        # Its own statement, not a group commit's: the server registers the connection right
        # after this returns, and a command must then find the node recorded. On the driver
        # (driver_sql.py): one round trip, as every connecting charger runs it.
        when = driver_sql.bind(self._engine, Charger.__table__.c.connected_at, at)
        await driver_sql.execute(self._engine, _CONNECTED, charger_id, node, when)

    async def disconnected(self, charger_id: int, node: str, *, at: datetime) -> None:
        """Clear the node, unless the charger has meanwhile connected to another node."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(Charger)
                .where(Charger.id == charger_id, Charger.connected_node == node)
                .values(connected_node=None, last_seen_at=at)
            )

    async def seen(self, last_seen: Mapping[int, datetime]) -> None:
        """Record last-seen times for many chargers in one statement (PostgreSQL: unnested
        arrays, so the rows are held for that statement only, not for a transaction of one
        UPDATE per charger) or one hand-off (SQLite)."""
        if not last_seen:
            return
        args = [(cid, {"last_seen_at": at}) for cid, at in last_seen.items()]
        if self._engine.dialect.name == "postgresql":
            await pg_window.write(self._engine, [_SEEN_PG(args)])
        else:
            await sqlite_window.write(self._engine, [_SEEN_SQLITE(self._engine.dialect, args)])


_SEEN_PG = pg_window.update_part(Charger.__table__, "id", ["last_seen_at"])
_SEEN_SQLITE = sqlite_window.update_part(Charger.__table__, "id", ["last_seen_at"])


def _updates(columns: list[str]) -> Batch:
    """Many chargers' rows updated (the same `columns`) in one executemany; in a window's one
    statement on PostgreSQL and its one hand-off on SQLite (group_commit.py)."""
    stmt = (
        update(Charger)
        .where(Charger.id == bindparam("charger"))
        .values({column: bindparam(column) for column in columns})
    )

    async def batch(conn: AsyncConnection, args: list[tuple[int, dict[str, Any]]]) -> list[None]:
        await conn.execute(stmt, [{"charger": cid, **values} for cid, values in args])
        return [None] * len(args)

    table = Charger.__table__
    batch.pg_part = pg_window.update_part(table, "id", columns)  # type: ignore[attr-defined]
    batch.sqlite_part = sqlite_window.update_part(table, "id", columns)  # type: ignore[attr-defined]
    return batch


_BOOTS = _updates([*BOOT_FIELDS.values(), "booted_at", "last_seen_at"])
