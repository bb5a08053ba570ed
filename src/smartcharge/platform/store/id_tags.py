"""Id tags (RFID cards, app tokens): what Authorize and StartTransaction are answered from.

Every Authorize, StartTransaction and StopTransaction asks about an id tag, and a fleet asks
about the same cards over and over, so what the table says of a tag is cached (a database read
was most of an Authorize's 1 ms of CPU, bench/platform.md). A change can never be missed in
this process: any statement through the engine that writes the `id_tags` table (here, the web
app's privacy erasure, the cards service, an ORM flush, raw SQL) empties the cache when it runs
and again when its transaction ends, and a read that overlapped a change is not cached. So a
card blocked or deleted is refused at once. Another process writing the same database (another
node, the CLI) is seen within `cache_s` seconds, the entries' lifetime.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import event, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from smartcharge.ocpp.times import format_time
from smartcharge.platform.store.models import IdTag

STATUSES = ("Accepted", "Blocked", "Expired", "Invalid")


_Row = tuple[str, datetime | None, str | None] | None  # status, expiry, parent; None: unknown


class IdTags:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        cache_s: float = 30.0,
        max_cached: int = 100_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._cache_s, self._max_cached, self._monotonic = cache_s, max_cached, monotonic
        self._cache: dict[str, tuple[float, _Row]] = {}
        self._generation = 0  # moves on with every change: a read across one is not cached
        _on_writes(engine, self.forget)

    def forget(self) -> None:
        """Drop everything cached (the table changed)."""
        self._generation += 1
        self._cache.clear()

    async def put(
        self,
        id_tag: str,
        *,
        at: datetime,
        status: str = "Accepted",
        expiry_date: datetime | None = None,
        parent_id_tag: str | None = None,
        owner_id: int | None = None,
    ) -> None:
        """Add an id tag, or replace what is known about it."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        if not 1 <= len(id_tag) <= 20:
            raise ValueError("an id tag has 1 to 20 characters")
        values: dict[str, Any] = {
            "status": status,
            "expiry_date": expiry_date,
            "parent_id_tag": parent_id_tag,
            "owner_id": owner_id,
        }
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(IdTag).where(IdTag.id_tag == id_tag).values(**values)
            )
            if not result.rowcount:
                await conn.execute(insert(IdTag).values(id_tag=id_tag, created_at=at, **values))

    async def info(self, id_tag: str, *, now: datetime) -> dict[str, Any]:
        """The OCPP `idTagInfo` for `id_tag` at `now`: an unknown tag is Invalid, a tag past its
        expiry date is Expired."""
        row = await self._row(id_tag)
        if row is None:
            return {"status": "Invalid"}
        status, expiry_date, parent_id_tag = row
        if status == "Accepted" and expiry_date is not None and expiry_date <= now:
            status = "Expired"
        info: dict[str, Any] = {"status": status}
        if expiry_date is not None:
            info["expiryDate"] = format_time(expiry_date, "auto")
        if parent_id_tag is not None:
            info["parentIdTag"] = parent_id_tag
        return info

    async def _row(self, id_tag: str) -> _Row:
        cached = self._cache.get(id_tag)
        if cached is not None and cached[0] > self._monotonic():
            return cached[1]
        generation = self._generation
        async with self._engine.connect() as conn:
            found = (
                await conn.execute(
                    select(IdTag.status, IdTag.expiry_date, IdTag.parent_id_tag).where(
                        IdTag.id_tag == id_tag
                    )
                )
            ).first()
        row: _Row = None if found is None else (found[0], found[1], found[2])
        if generation == self._generation:  # no change since the read began
            if len(self._cache) >= self._max_cached:  # bounded: unknown tags come from outside
                self._cache.clear()
            self._cache[id_tag] = (self._monotonic() + self._cache_s, row)
        return row


def _on_writes(engine: AsyncEngine, forget: Callable[[], None]) -> None:
    """Call `forget` when a statement writing the id_tags table runs, and when its
    transaction commits or rolls back (a reader elsewhere may have cached the old row between)."""
    table = IdTag.__tablename__

    def executed(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if table in statement and statement.lstrip()[:6].upper() != "SELECT":
            conn.info["id_tags_written"] = True
            forget()

    def ended(conn: Any) -> None:
        # A transaction interrupted mid-statement (a cancelled task) is rolled back on an
        # invalidated connection, whose `info` can no longer be read: forget, to be safe.
        if conn.invalidated or conn.info.pop("id_tags_written", False):
            forget()

    event.listen(engine.sync_engine, "after_cursor_execute", executed)
    event.listen(engine.sync_engine, "commit", ended)
    event.listen(engine.sync_engine, "rollback", ended)
