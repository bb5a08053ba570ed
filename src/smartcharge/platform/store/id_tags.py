"""Id tags (RFID cards, app tokens): what Authorize and StartTransaction are answered from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from smartcharge.ocpp.times import format_time
from smartcharge.platform.store.models import IdTag

STATUSES = ("Accepted", "Blocked", "Expired", "Invalid")


class IdTags:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

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
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(IdTag.status, IdTag.expiry_date, IdTag.parent_id_tag).where(
                        IdTag.id_tag == id_tag
                    )
                )
            ).first()
        if row is None:
            return {"status": "Invalid"}
        status = row.status
        if status == "Accepted" and row.expiry_date is not None and row.expiry_date <= now:
            status = "Expired"
        info: dict[str, Any] = {"status": status}
        if row.expiry_date is not None:
            info["expiryDate"] = format_time(row.expiry_date, "auto")
        if row.parent_id_tag is not None:
            info["parentIdTag"] = row.parent_id_tag
        return info
