"""Deleting a person's data (R35): everything the platform keeps about one user, in one
transaction, so a crash leaves all of it or none of it. What goes, and what stays, is described
in docs/web-app.md ("Deleting personal data"); the orchestration (asking each charger to wipe
itself first) is the privacy service's (`platform/services/privacy.py`)."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from smartcharge.platform.store.models import (
    ApiToken,
    Charger,
    CommandRecord,
    IdTag,
    MeterValue,
    Transaction,
    User,
)
from smartcharge.platform.store.owner_records import forget_chargers


class Privacy:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def delete_person(self, user_id: int, *, owner: bool) -> dict[str, int]:
        """The sessions on the user's chargers (`owner`) or started with their cards, with their
        meter values; their cards, tokens and account; their chargers' tariffs and plans. The
        chargers stay registered, with no owner; the command log stays, without their name.
        Returns counts of what went (sessions, cards, chargers)."""
        async with self._engine.begin() as conn:
            tags = list(
                (
                    await conn.execute(select(IdTag.id_tag).where(IdTag.owner_id == user_id))
                ).scalars()
            )
            mine = list(
                (
                    await conn.execute(select(Charger.id).where(Charger.owner_id == user_id))
                ).scalars()
            )
            sessions = select(Transaction.id).where(
                Transaction.charger_id.in_(mine) | Transaction.id_tag.in_(tags)
                if owner
                else Transaction.id_tag.in_(tags)
            )
            ids = list((await conn.execute(sessions)).scalars())
            if ids:
                await conn.execute(delete(MeterValue).where(MeterValue.transaction_id.in_(ids)))
                await conn.execute(delete(Transaction).where(Transaction.id.in_(ids)))
            await conn.execute(delete(IdTag).where(IdTag.owner_id == user_id))
            await conn.execute(
                update(CommandRecord).where(CommandRecord.user_id == user_id).values(user_id=None)
            )
            await conn.execute(delete(ApiToken).where(ApiToken.user_id == user_id))
            await forget_chargers(conn, mine)
            await conn.execute(
                update(Charger).where(Charger.owner_id == user_id).values(owner_id=None)
            )
            await conn.execute(delete(User).where(User.id == user_id))
        return {"sessions": len(ids), "cards": len(tags), "chargers": len(mine)}
