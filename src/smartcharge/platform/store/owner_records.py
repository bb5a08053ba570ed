"""What the platform keeps for the owner web app beside the core tables: each charger's tariff
and charging plan, and the firmware releases an operator published (migration 0004). The
tables are on their own metadata (the core models stay the OCPP side's); values go in and come
out plain (numbers, strings, JSON lists): the services turn them into tariffs and plans."""

from __future__ import annotations

import json
from datetime import datetime
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
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from smartcharge.platform.store.models import Charger
from smartcharge.platform.store.types import UtcDateTime

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
departures = Table(  # the owner's departure (services/departures.py) and the last plan made
    "departure_plans",
    metadata,
    Column("charger_id", Integer, ForeignKey("chargers.id"), primary_key=True),
    Column("connector_id", Integer, nullable=False),
    Column("spec", Text, nullable=False),  # JSON: the departure as the owner set it
    Column("set_at", UtcDateTime(), nullable=False),
    Column("planned_at", UtcDateTime(), nullable=True),
    Column("departure", UtcDateTime(), nullable=True),  # the departure the last plan was for
    Column("power_kw", Float, nullable=True),  # the power the last plan assumed
    Column("session_id", Integer, nullable=True),  # the session running when it was made
    Column("promise", Text, nullable=True),  # the last plan's promise, or its warning
)
feeds = Table(  # a dynamic tariff's source: Octopus Agile by product code and region
    "tariff_feeds",
    metadata,
    Column("charger_id", Integer, ForeignKey("chargers.id"), primary_key=True),
    Column("product", String(50), nullable=False),
    Column("region", String(1), nullable=False),
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

Bands = list[tuple[str, str, float]]  # ("00:30", "04:30", 7.5), UK clock time, p/kWh


class OwnerRecords:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def _put(self, table: Table, charger_id: int, values: dict[str, Any]) -> None:
        async with self._engine.begin() as conn:
            found = await conn.execute(
                update(table).where(table.c.charger_id == charger_id).values(**values)
            )
            if not found.rowcount:
                await conn.execute(insert(table).values(charger_id=charger_id, **values))

    async def _get(self, table: Table, charger_id: int) -> dict[str, Any] | None:
        async with self._engine.connect() as conn:
            stmt = select(table).where(table.c.charger_id == charger_id)
            row = (await conn.execute(stmt)).mappings().first()
        return dict(row) if row else None

    async def _drop(self, table: Table, charger_id: int) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(table).where(table.c.charger_id == charger_id))

    async def tariff(self, charger_id: int) -> tuple[float, Bands, datetime] | None:
        """(base price, bands, set at), or None without a tariff."""
        row = await self._get(tariffs, charger_id)
        if row is None:
            return None
        bands = [(str(s), str(e), float(p)) for s, e, p in json.loads(row["bands"])]
        return float(row["base_p"]), bands, row["set_at"]

    async def set_tariff(
        self, charger_id: int, base_p: float, bands: Bands, *, at: datetime
    ) -> None:
        values = {"base_p": base_p, "bands": json.dumps([list(b) for b in bands]), "set_at": at}
        await self._put(tariffs, charger_id, values)

    async def remove_tariff(self, charger_id: int) -> None:
        await self._drop(tariffs, charger_id)

    async def plan(self, charger_id: int) -> dict[str, Any] | None:
        """ready_by "HH:MM", energy_kwh, power_kw, weekdays "01234", set_at; None: no plan."""
        return await self._get(plans, charger_id)

    async def set_plan(self, charger_id: int, values: dict[str, Any], *, at: datetime) -> None:
        await self._put(plans, charger_id, {**values, "set_at": at})

    async def remove_plan(self, charger_id: int) -> None:
        await self._drop(plans, charger_id)

    async def departure(self, charger_id: int) -> dict[str, Any] | None:
        row = await self._get(departures, charger_id)
        return {**row, "spec": json.loads(row["spec"])} if row else None

    async def set_departure(
        self, charger_id: int, connector_id: int, spec: dict[str, Any], *, at: datetime
    ) -> None:
        """A new departure: the last plan's record goes with the old one."""
        values = {"connector_id": connector_id, "spec": json.dumps(spec), "set_at": at}
        blank = {"planned_at": None, "departure": None, "power_kw": None, "promise": None}
        blank["session_id"] = None
        await self._put(departures, charger_id, {**values, **blank})

    async def planned(self, charger_id: int, **values: Any) -> None:
        """What the last plan was (planned_at, departure, power_kw, session_id, promise)."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(departures).where(departures.c.charger_id == charger_id).values(**values)
            )

    async def departures(self) -> list[dict[str, Any]]:
        """Every charger's departure, with the charger's identity (the plan keeper walks them)."""
        stmt = select(departures, Charger.identity).join(
            Charger, Charger.id == departures.c.charger_id
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt)).mappings().all()
        return [{**r, "spec": json.loads(r["spec"])} for r in rows]

    async def remove_departure(self, charger_id: int) -> None:
        await self._drop(departures, charger_id)

    async def feed(self, charger_id: int) -> dict[str, Any] | None:
        return await self._get(feeds, charger_id)

    async def set_feed(self, charger_id: int, product: str, region: str, *, at: datetime) -> None:
        await self._put(feeds, charger_id, {"product": product, "region": region, "set_at": at})

    async def remove_feed(self, charger_id: int) -> None:
        await self._drop(feeds, charger_id)

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
            stmt = select(releases).where(releases.c.id == release_id)
            row = (await conn.execute(stmt)).mappings().first()
        return dict(row) if row else None


async def forget_chargers(conn: AsyncConnection, charger_ids: list[int]) -> None:
    """The owners' tariffs and plans of these chargers go with their personal data (called
    inside the deletion's own transaction, `store/privacy.py`)."""
    if charger_ids:
        await conn.execute(delete(tariffs).where(tariffs.c.charger_id.in_(charger_ids)))
        await conn.execute(delete(plans).where(plans.c.charger_id.in_(charger_ids)))
        await conn.execute(delete(departures).where(departures.c.charger_id.in_(charger_ids)))
        await conn.execute(delete(feeds).where(feeds.c.charger_id.in_(charger_ids)))
