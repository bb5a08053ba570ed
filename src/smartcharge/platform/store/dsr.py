"""Charger groups and DSR events: who an aggregator may address, what it sent, who answered."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from smartcharge.platform.store.models import (
    Charger,
    ChargerGroup,
    ChargerGroupMember,
    DsrDelivery,
    DsrEvent,
    User,
)

DELIVERY_STATUSES = ("pending", "accepted", "rejected", "offline", "timeout", "error")


class GroupExists(ValueError):
    pass


class Dsr:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def _all(self, stmt: Any) -> list[RowMapping]:
        async with self._engine.connect() as conn:
            return [row._mapping for row in await conn.execute(stmt)]

    # --- groups --------------------------------------------------------------------------------

    async def add_group(self, name: str, *, aggregator_id: int | None, at: datetime) -> int:
        try:
            async with self._engine.begin() as conn:
                result = await conn.execute(
                    insert(ChargerGroup)
                    .values(name=name, aggregator_id=aggregator_id, created_at=at)
                    .returning(ChargerGroup.id)
                )
                return int(result.scalar_one())
        except IntegrityError:
            raise GroupExists(f"a group {name!r} already exists") from None

    async def groups(self, *, aggregator_id: int | None = None) -> list[RowMapping]:
        stmt = select(
            ChargerGroup.id,
            ChargerGroup.name,
            User.email.label("aggregator"),
            ChargerGroup.created_at,
        ).outerjoin(User, User.id == ChargerGroup.aggregator_id)
        if aggregator_id is not None:
            stmt = stmt.where(ChargerGroup.aggregator_id == aggregator_id)
        return await self._all(stmt.order_by(ChargerGroup.name))

    async def group(self, name: str) -> RowMapping | None:
        rows = await self._all(select(ChargerGroup).where(ChargerGroup.name == name))
        return rows[0] if rows else None

    async def set_member(self, group_id: int, charger_id: int, *, member: bool) -> None:
        async with self._engine.begin() as conn:
            exists = await conn.scalar(
                select(ChargerGroupMember.group_id).where(
                    ChargerGroupMember.group_id == group_id,
                    ChargerGroupMember.charger_id == charger_id,
                )
            )
            if member and exists is None:
                await conn.execute(
                    insert(ChargerGroupMember).values(group_id=group_id, charger_id=charger_id)
                )
            elif not member and exists is not None:
                await conn.execute(
                    delete(ChargerGroupMember).where(
                        ChargerGroupMember.group_id == group_id,
                        ChargerGroupMember.charger_id == charger_id,
                    )
                )

    async def members(self, group_id: int) -> list[RowMapping]:
        return await self._all(
            select(Charger.id, Charger.identity)
            .join(ChargerGroupMember, ChargerGroupMember.charger_id == Charger.id)
            .where(ChargerGroupMember.group_id == group_id)
            .order_by(Charger.identity)
        )

    async def enrolled(self, aggregator_id: int, identities: Iterable[str]) -> dict[str, int]:
        """Of `identities`, those in one of the aggregator's groups: identity -> charger id."""
        wanted = list(set(identities))
        if not wanted:
            return {}
        rows = await self._all(
            select(Charger.id, Charger.identity)
            .join(ChargerGroupMember, ChargerGroupMember.charger_id == Charger.id)
            .join(ChargerGroup, ChargerGroup.id == ChargerGroupMember.group_id)
            .where(ChargerGroup.aggregator_id == aggregator_id, Charger.identity.in_(wanted))
            .distinct()
        )
        return {r["identity"]: int(r["id"]) for r in rows}

    # --- events --------------------------------------------------------------------------------

    async def add_event(
        self,
        event_id: str,
        *,
        aggregator_id: int,
        group_id: int | None,
        kind: str,
        limit_a: float,
        start: datetime,
        duration_s: int,
        charger_ids: Iterable[int],
        at: datetime,
    ) -> None:
        """The event and one pending delivery per charger, in one transaction."""
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(DsrEvent).values(
                    id=event_id,
                    aggregator_id=aggregator_id,
                    group_id=group_id,
                    kind=kind,
                    limit_a=limit_a,
                    start=start,
                    duration_s=duration_s,
                    created_at=at,
                )
            )
            await conn.execute(
                insert(DsrDelivery),
                [
                    {"event_id": event_id, "charger_id": cid, "status": "pending"}
                    for cid in charger_ids
                ],
            )

    async def delivered_many(
        self, event_id: str, outcomes: list[tuple[int, str, str | None]], *, at: datetime
    ) -> None:
        """Record (charger id, status, detail) of many deliveries in one transaction."""
        for _, status, _ in outcomes:
            if status not in DELIVERY_STATUSES:
                raise ValueError(f"status must be one of {', '.join(DELIVERY_STATUSES)}")
        if not outcomes:
            return
        stmt = (
            update(DsrDelivery)
            .where(
                DsrDelivery.event_id == bindparam("eid"),
                DsrDelivery.charger_id == bindparam("cid"),
            )
            .values(status=bindparam("st"), detail=bindparam("dt"), answered_at=at)
        )
        async with self._engine.begin() as conn:
            await conn.execute(
                stmt,
                [{"eid": event_id, "cid": c, "st": s, "dt": d} for c, s, d in outcomes],
            )

    async def opted_out(self, event_id: str, charger_id: int, *, at: datetime) -> bool:
        """Record the owner's opt-out (R19); False when the charger had no part in the event.
        Recorded again, it keeps the first time."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(DsrDelivery)
                .where(DsrDelivery.event_id == event_id, DsrDelivery.charger_id == charger_id)
                .values(opted_out_at=func.coalesce(DsrDelivery.opted_out_at, at))
            )
            return bool(result.rowcount)

    async def event(self, event_id: str) -> RowMapping | None:
        rows = await self._all(select(DsrEvent).where(DsrEvent.id == event_id))
        return rows[0] if rows else None

    async def events(
        self, *, aggregator_id: int | None = None, limit: int = 100
    ) -> list[RowMapping]:
        stmt = select(DsrEvent)
        if aggregator_id is not None:
            stmt = stmt.where(DsrEvent.aggregator_id == aggregator_id)
        return await self._all(stmt.order_by(DsrEvent.created_at.desc()).limit(limit))

    async def deliveries(self, event_id: str) -> list[RowMapping]:
        return await self._all(
            select(
                Charger.id.label("charger_id"),
                Charger.identity.label("charger"),
                DsrDelivery.status,
                DsrDelivery.detail,
                DsrDelivery.answered_at,
                DsrDelivery.opted_out_at,
            )
            .join(Charger, Charger.id == DsrDelivery.charger_id)
            .where(DsrDelivery.event_id == event_id)
            .order_by(Charger.identity)
        )

    async def of_charger(self, charger_id: int, *, limit: int = 100) -> list[RowMapping]:
        """The DSR events a charger had a part in, newest first, with its delivery."""
        return await self._all(
            select(
                DsrEvent.id,
                DsrEvent.kind,
                DsrEvent.limit_a,
                DsrEvent.start,
                DsrEvent.duration_s,
                DsrDelivery.status,
                DsrDelivery.answered_at,
                DsrDelivery.opted_out_at,
            )
            .join(DsrDelivery, DsrDelivery.event_id == DsrEvent.id)
            .where(DsrDelivery.charger_id == charger_id)
            .order_by(DsrEvent.start.desc())
            .limit(limit)
        )

    async def undelivered(self, *, now: datetime) -> list[RowMapping]:
        """Deliveries that did not reach their charger (offline, timeout) for events that are
        not over yet: the retry loop sends them when the charger is back."""
        rows = await self._all(
            select(
                DsrEvent.id.label("event_id"),
                DsrEvent.kind,
                DsrEvent.limit_a,
                DsrEvent.start,
                DsrEvent.duration_s,
                Charger.id.label("charger_id"),
                Charger.identity,
            )
            .join(DsrDelivery, DsrDelivery.event_id == DsrEvent.id)
            .join(Charger, Charger.id == DsrDelivery.charger_id)
            .where(DsrDelivery.status.in_(("offline", "timeout", "pending")))
        )
        # Event end is start + duration: computed here, the same on both engines.
        return [r for r in rows if r["start"] + timedelta(seconds=r["duration_s"]) > now]
