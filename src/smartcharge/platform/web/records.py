"""What the web app keeps beside the platform's store: each charger's tariff and charging plan,
and the firmware releases an operator published (migration 0004). Core tables on their own
metadata: the platform's models stay the API's."""

from __future__ import annotations

import json
from datetime import datetime, time
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from smartcharge.platform.store.types import UtcDateTime
from smartcharge.platform.web.tariff import Band, Plan, Tariff

metadata = MetaData()

tariffs = Table(
    "web_tariffs",
    metadata,
    Column("charger_id", Integer, ForeignKey("chargers.id"), primary_key=True),
    Column("base_p", Float, nullable=False),
    Column("bands", Text, nullable=False),  # JSON [[start, end, price], ...]
    Column("set_at", UtcDateTime(), nullable=False),
)
plans = Table(
    "web_plans",
    metadata,
    Column("charger_id", Integer, ForeignKey("chargers.id"), primary_key=True),
    Column("ready_by", String(5), nullable=False),
    Column("energy_kwh", Float, nullable=False),
    Column("power_kw", Float, nullable=False),
    Column("weekdays", String(7), nullable=False),  # "01234"
    Column("set_at", UtcDateTime(), nullable=False),
)
releases = Table(
    "web_firmware_releases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("model", String(20), nullable=True),  # None: every model
    Column("version", String(50), nullable=False),
    Column("location", String(512), nullable=False),
    Column("signing_certificate", Text, nullable=False),
    Column("signature", String(800), nullable=False),
    Column("published_at", UtcDateTime(), nullable=False),
)


class WebRecords:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def _put(self, table: Table, charger_id: int, values: dict[str, Any]) -> None:
        async with self._engine.begin() as conn:
            found = await conn.execute(
                update(table).where(table.c.charger_id == charger_id).values(**values)
            )
            if not found.rowcount:
                await conn.execute(insert(table).values(charger_id=charger_id, **values))

    async def tariff(self, charger_id: int) -> tuple[Tariff, datetime] | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(select(tariffs).where(tariffs.c.charger_id == charger_id))
            ).first()
        if row is None:
            return None
        bands = tuple(
            Band(time.fromisoformat(s), time.fromisoformat(e), float(p))
            for s, e, p in json.loads(row.bands)
        )
        return Tariff(row.base_p, bands), row.set_at

    async def set_tariff(self, charger_id: int, tariff: Tariff | None, *, at: datetime) -> None:
        if tariff is None:
            async with self._engine.begin() as conn:
                await conn.execute(delete(tariffs).where(tariffs.c.charger_id == charger_id))
            return
        bands = [[f"{b.start:%H:%M}", f"{b.end:%H:%M}", b.price_p] for b in tariff.bands]
        await self._put(
            tariffs, charger_id, {"base_p": tariff.base_p, "bands": json.dumps(bands), "set_at": at}
        )

    async def plan(self, charger_id: int) -> tuple[Plan, datetime] | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(select(plans).where(plans.c.charger_id == charger_id))
            ).first()
        if row is None:
            return None
        plan = Plan(
            time.fromisoformat(row.ready_by),
            row.energy_kwh,
            row.power_kw,
            tuple(int(d) for d in row.weekdays),
        )
        return plan, row.set_at

    async def set_plan(self, charger_id: int, plan: Plan | None, *, at: datetime) -> None:
        if plan is None:
            async with self._engine.begin() as conn:
                await conn.execute(delete(plans).where(plans.c.charger_id == charger_id))
            return
        values = {
            "ready_by": f"{plan.ready_by:%H:%M}",
            "energy_kwh": plan.energy_kwh,
            "power_kw": plan.power_kw,
            "weekdays": "".join(str(d) for d in plan.weekdays),
            "set_at": at,
        }
        await self._put(plans, charger_id, values)

    async def publish(self, *, at: datetime, **values: Any) -> int:
        async with self._engine.begin() as conn:
            result = await conn.execute(insert(releases).values(published_at=at, **values))
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    async def latest_release(self, model: str | None) -> dict[str, Any] | None:
        """The newest release for this model (or for every model)."""
        stmt = select(releases).order_by(releases.c.id.desc()).limit(1)
        stmt = stmt.where((releases.c.model.is_(None)) | (releases.c.model == model))
        async with self._engine.connect() as conn:
            row = (await conn.execute(stmt)).mappings().first()
        return dict(row) if row else None

    async def release(self, release_id: int) -> dict[str, Any] | None:
        async with self._engine.connect() as conn:
            row = (
                (await conn.execute(select(releases).where(releases.c.id == release_id)))
                .mappings()
                .first()
            )
        return dict(row) if row else None

    async def forget_charger(self, charger_id: int) -> None:
        """The owner's tariff and plan go with their personal data."""
        async with self._engine.begin() as conn:
            await conn.execute(delete(tariffs).where(tariffs.c.charger_id == charger_id))
            await conn.execute(delete(plans).where(plans.c.charger_id == charger_id))
