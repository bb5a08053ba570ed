"""A site's supply for load management (services/site_supply.py, services/site_balancer.py):
its limit and other load per phase, the fallback share, and the chargers on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from smartcharge.platform.store.models import Charger, Site
from smartcharge.platform.store.operator_models import SiteSupply


@dataclass(frozen=True, slots=True)
class Supply:
    site_id: int
    site: str
    limit_a: tuple[float, float, float]  # per phase
    other_load_a: tuple[float, float, float]  # household etc., per phase
    fallback_a: float
    updated_at: datetime


_COLUMNS = (
    SiteSupply.site_id,
    Site.name,
    SiteSupply.limit_l1_a,
    SiteSupply.limit_l2_a,
    SiteSupply.limit_l3_a,
    SiteSupply.other_l1_a,
    SiteSupply.other_l2_a,
    SiteSupply.other_l3_a,
    SiteSupply.fallback_a,
    SiteSupply.updated_at,
)


def _supply(row: tuple[Any, ...]) -> Supply:
    site_id, name, l1, l2, l3, o1, o2, o3, fallback, at = row
    return Supply(site_id, name, (l1, l2, l3), (o1, o2, o3), fallback, at)


class Sites:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def site_id(self, name: str) -> int | None:
        async with self._engine.connect() as conn:
            found = await conn.scalar(select(Site.id).where(Site.name == name))
            return None if found is None else int(found)

    async def supply(self, site_id: int) -> Supply | None:
        stmt = select(*_COLUMNS).join(Site, Site.id == SiteSupply.site_id)
        async with self._engine.connect() as conn:
            row = (await conn.execute(stmt.where(SiteSupply.site_id == site_id))).first()
        return None if row is None else _supply(tuple(row))

    async def supplies(self) -> list[Supply]:
        """Every site with a supply set: the sites whose load is managed."""
        stmt = select(*_COLUMNS).join(Site, Site.id == SiteSupply.site_id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt.order_by(SiteSupply.site_id))).all()
        return [_supply(tuple(r)) for r in rows]

    async def set_supply(
        self,
        site_id: int,
        *,
        limit_a: tuple[float, float, float],
        other_load_a: tuple[float, float, float],
        fallback_a: float,
        at: datetime,
    ) -> None:
        """Set or replace the site's supply, all values in one statement (all or none)."""
        values = {
            "limit_l1_a": limit_a[0],
            "limit_l2_a": limit_a[1],
            "limit_l3_a": limit_a[2],
            "other_l1_a": other_load_a[0],
            "other_l2_a": other_load_a[1],
            "other_l3_a": other_load_a[2],
            "fallback_a": fallback_a,
            "updated_at": at,
        }
        change = update(SiteSupply).where(SiteSupply.site_id == site_id).values(**values)
        async with self._engine.begin() as conn:
            if (await conn.execute(change)).rowcount:
                return
        try:
            async with self._engine.begin() as conn:
                await conn.execute(insert(SiteSupply).values(site_id=site_id, **values))
        except IntegrityError:  # a concurrent first set won the insert: ours replaces it
            async with self._engine.begin() as conn:
                await conn.execute(change)

    async def chargers(self, site_id: int) -> list[tuple[int, str]]:
        """(id, identity) of the site's chargers."""
        stmt = select(Charger.id, Charger.identity).where(Charger.site_id == site_id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt.order_by(Charger.identity))).all()
        return [(int(i), str(name)) for i, name in rows]

    async def site_of(self, charger_id: int) -> int | None:
        async with self._engine.connect() as conn:
            found = await conn.scalar(select(Charger.site_id).where(Charger.id == charger_id))
            return None if found is None else int(found)
