"""Cards (id tags) as people manage them, and each charger's local authorisation list as the
platform last sent it (services/cards.py and services/local_lists.py hold the rules)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from smartcharge.platform.store import driver_sql
from smartcharge.platform.store.models import Charger, IdTag, Transaction, User
from smartcharge.platform.store.operator_models import LocalList

CARD_COLUMNS = (
    IdTag.id_tag,
    IdTag.name,
    IdTag.status,
    IdTag.expiry_date,
    IdTag.parent_id_tag,
    IdTag.owner_id,
    User.email.label("owner"),
    IdTag.created_at,
)


_ANYTHING_TO_KEEP = """
SELECT EXISTS (
    SELECT 1 FROM local_lists
    WHERE charger_id = $1 AND (version <> 0 OR entries <> '{}' OR clear_cache)
) OR EXISTS (
    SELECT 1 FROM id_tags t JOIN chargers c ON c.id = $1
    WHERE (
        t.owner_id = c.owner_id
        OR t.owner_id IN (SELECT id FROM users WHERE site_id = c.site_id)
    ) AND (
        CAST($2 AS TEXT) = ''
        OR substr(t.id_tag, 1, length(CAST($2 AS TEXT))) <> CAST($2 AS TEXT)
    )
)"""
"""`anything_to_keep`: the same cards as `for_charger` (a NULL owner or site matches none)."""


class CardExists(ValueError):
    pass


class Cards:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    # --- the cards ------------------------------------------------------------------------------

    async def listed(
        self, *, owner_id: int | None = None, everyone: bool = False, exclude_prefix: str = ""
    ) -> list[RowMapping]:
        """One owner's cards, or everyone's; by id tag."""
        query = select(*CARD_COLUMNS).outerjoin(User, User.id == IdTag.owner_id)
        if not everyone:
            query = query.where(IdTag.owner_id == owner_id)
        if exclude_prefix:
            query = query.where(~IdTag.id_tag.startswith(exclude_prefix, autoescape=True))
        async with self._engine.connect() as conn:
            return list((await conn.execute(query.order_by(IdTag.id_tag))).mappings())

    async def get(self, id_tag: str) -> RowMapping | None:
        query = (
            select(*CARD_COLUMNS)
            .outerjoin(User, User.id == IdTag.owner_id)
            .where(IdTag.id_tag == id_tag)
        )
        async with self._engine.connect() as conn:
            return (await conn.execute(query)).mappings().first()

    async def add(self, id_tag: str, *, at: datetime, **values: Any) -> None:
        """A new card; `CardExists` when the id tag is taken (by anyone)."""
        try:
            async with self._engine.begin() as conn:
                await conn.execute(insert(IdTag).values(id_tag=id_tag, created_at=at, **values))
        except IntegrityError:
            raise CardExists(id_tag) from None

    async def change(self, id_tag: str, **values: Any) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(IdTag).where(IdTag.id_tag == id_tag).values(**values)
            )
            return bool(result.rowcount)

    async def remove(self, id_tag: str) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(IdTag).where(IdTag.id_tag == id_tag))
            return bool(result.rowcount)

    async def owner_of(self, email: str) -> int | None:
        async with self._engine.connect() as conn:
            found = await conn.scalar(select(User.id).where(User.email == email.strip().lower()))
            return None if found is None else int(found)

    # --- which chargers a card concerns -----------------------------------------------------------

    async def chargers_for_owner(self, owner_id: int | None) -> list[tuple[int, str]]:
        """(id, identity) of the chargers whose local list holds `owner_id`'s cards: the ones
        they own, and the ones at their workplace site."""
        if owner_id is None:
            return []
        site = select(User.site_id).where(User.id == owner_id).scalar_subquery()
        query = select(Charger.id, Charger.identity).where(
            or_(Charger.owner_id == owner_id, Charger.site_id == site)
        )
        async with self._engine.connect() as conn:
            return [(int(r.id), str(r.identity)) for r in await conn.execute(query)]

    async def chargers_that_saw(self, id_tag: str) -> list[tuple[int, str]]:
        """(id, identity) of the chargers where the card started or stopped a session: the ones
        whose authorisation cache may hold it."""
        query = (
            select(Charger.id, Charger.identity)
            .join(Transaction, Transaction.charger_id == Charger.id)
            .where(or_(Transaction.id_tag == id_tag, Transaction.stop_id_tag == id_tag))
            .distinct()
        )
        async with self._engine.connect() as conn:
            return [(int(r.id), str(r.identity)) for r in await conn.execute(query)]

    async def anything_to_keep(self, charger_id: int, *, exclude_prefix: str = "") -> bool:
        """Whether the charger has had a list or a cache to clear, or has cards that belong on
        its list (`for_charger`). One statement on the driver (driver_sql.py): every charger
        that connects asks it, and most have none."""
        row = await driver_sql.fetchrow(self._engine, _ANYTHING_TO_KEEP, charger_id, exclude_prefix)
        return row is not None and bool(row[0])

    async def for_charger(self, charger_id: int, *, exclude_prefix: str = "") -> list[RowMapping]:
        """The cards that belong on this charger's local list: its owner's, and those of the
        users of its site."""
        owner = select(Charger.owner_id).where(Charger.id == charger_id).scalar_subquery()
        site = select(Charger.site_id).where(Charger.id == charger_id).scalar_subquery()
        site_users = select(User.id).where(User.site_id.is_not(None), User.site_id == site)
        query = select(IdTag.id_tag, IdTag.status, IdTag.expiry_date, IdTag.parent_id_tag).where(
            or_(IdTag.owner_id == owner, IdTag.owner_id.in_(site_users))
        )
        if exclude_prefix:
            query = query.where(~IdTag.id_tag.startswith(exclude_prefix, autoescape=True))
        async with self._engine.connect() as conn:
            return list((await conn.execute(query.order_by(IdTag.id_tag))).mappings())

    # --- each charger's local list as sent ----------------------------------------------------

    async def list_state(self, charger_id: int) -> tuple[int, dict[str, Any], bool]:
        """(version, entries {idTag: idTagInfo}, clear_cache) as last sent; (0, {}, False) for a
        charger that never had one."""
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(LocalList.version, LocalList.entries, LocalList.clear_cache).where(
                        LocalList.charger_id == charger_id
                    )
                )
            ).first()
        if row is None:
            return 0, {}, False
        return int(row.version), json.loads(row.entries), bool(row.clear_cache)

    async def list_row(self, charger_id: int) -> RowMapping | None:
        async with self._engine.connect() as conn:
            query = select(LocalList).where(LocalList.charger_id == charger_id)
            return (await conn.execute(query)).mappings().first()

    async def save_list(
        self,
        charger_id: int,
        *,
        at: datetime,
        outcome: str,
        version: int | None = None,
        entries: dict[str, Any] | None = None,
        clear_cache: bool | None = None,
    ) -> None:
        """Record an attempt: its outcome, and what the charger now holds when it took it."""
        values: dict[str, Any] = {"synced_at": at, "outcome": outcome[:100]}
        if version is not None:
            values["version"] = version
        if entries is not None:
            values["entries"] = json.dumps(entries, sort_keys=True)
        if clear_cache is not None:
            values["clear_cache"] = clear_cache
        await self._upsert([charger_id], values)

    async def mark_clear_cache(self, charger_ids: Iterable[int]) -> None:
        await self._upsert(sorted(set(charger_ids)), {"clear_cache": True})

    async def _upsert(self, charger_ids: list[int], values: dict[str, Any]) -> None:
        if not charger_ids:
            return
        async with self._engine.begin() as conn:
            for charger_id in charger_ids:
                result = await conn.execute(
                    update(LocalList).where(LocalList.charger_id == charger_id).values(**values)
                )
                if not result.rowcount:
                    fresh = {"version": 0, "entries": "{}", "clear_cache": False, **values}
                    await conn.execute(insert(LocalList).values(charger_id=charger_id, **fresh))
