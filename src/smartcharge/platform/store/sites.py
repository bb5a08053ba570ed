"""A site's supply for load management (services/site_supply.py, services/site_balancer.py):
its limit and other load per phase, the fallback share, the chargers on it with their phases,
priority and maximum, and the lease of the node that balances it."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from smartcharge.platform.store import driver_sql
from smartcharge.platform.store.models import Charger, MeterValue, Site, StatusEvent
from smartcharge.platform.store.operator_models import ChargerLoad, SiteMeter, SiteSupply

ALL_PHASES = "123"
DEFAULT_PRIORITY = 0
DEFAULT_MAX_A = 32.0  # per phase: the most a charger of ours takes


@dataclass(frozen=True, slots=True)
class Supply:
    site_id: int
    site: str
    limit_a: tuple[float, float, float]  # per phase
    other_load_a: tuple[float, float, float]  # household etc., per phase
    fallback_a: float
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Meter:
    """A site's own meter, read over Modbus TCP."""

    site_id: int
    host: str
    port: int
    unit: int  # Modbus id
    model: str  # a register map: chargepoint/hardware/devices/register_maps.py
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Member:
    """A charger of a site as the balancer sees it."""

    charger_id: int
    identity: str
    connected_node: str | None  # None: not connected to any node
    phases: str = ALL_PHASES  # the site phases it draws on: "1", "12", "123"...
    priority: int = DEFAULT_PRIORITY
    max_a: float = DEFAULT_MAX_A


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
        await self._set_row(SiteSupply, SiteSupply.site_id, site_id, values)

    async def meter(self, site_id: int) -> Meter | None:
        stmt = select(
            SiteMeter.site_id,
            SiteMeter.host,
            SiteMeter.port,
            SiteMeter.unit,
            SiteMeter.model,
            SiteMeter.updated_at,
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(stmt.where(SiteMeter.site_id == site_id))).first()
        return None if row is None else Meter(*row)

    async def set_meter(
        self, site_id: int, *, host: str, port: int, unit: int, model: str, at: datetime
    ) -> None:
        """Set or replace the site's meter, in one statement."""
        values = {"host": host, "port": port, "unit": unit, "model": model, "updated_at": at}
        await self._set_row(SiteMeter, SiteMeter.site_id, site_id, values)

    async def remove_meter(self, site_id: int) -> bool:
        async with self._engine.begin() as conn:
            gone = await conn.execute(delete(SiteMeter).where(SiteMeter.site_id == site_id))
            return bool(gone.rowcount)

    async def chargers(self, site_id: int) -> list[tuple[int, str]]:
        """(id, identity) of the site's chargers."""
        stmt = select(Charger.id, Charger.identity).where(Charger.site_id == site_id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt.order_by(Charger.identity))).all()
        return [(int(i), str(name)) for i, name in rows]

    async def site_of(self, charger_id: int) -> int | None:
        # On the driver (driver_sql.py): site balancing asks it of every charger that connects.
        row = await driver_sql.fetchrow(
            self._engine, "SELECT site_id FROM chargers WHERE id = $1", charger_id
        )
        return None if row is None or row[0] is None else int(row[0])

    async def members(self, site_id: int) -> list[Member]:
        """The site's chargers with their phases, priority and maximum (defaults where unset)."""
        stmt = (
            select(
                Charger.id,
                Charger.identity,
                Charger.connected_node,
                ChargerLoad.phases,
                ChargerLoad.priority,
                ChargerLoad.max_a,
            )
            .outerjoin(ChargerLoad, ChargerLoad.charger_id == Charger.id)
            .where(Charger.site_id == site_id)
            .order_by(Charger.identity)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return [
            Member(int(i), str(name), node, phases or ALL_PHASES, prio or 0, max_a or DEFAULT_MAX_A)
            for i, name, node, phases, prio, max_a in rows
        ]

    async def connector_statuses(self, site_id: int) -> dict[int, dict[int, str]]:
        """Charger id -> connector -> its last status (not connector 0), for every charger of
        the site, in one query (a round reads them all)."""
        last = (
            select(func.max(StatusEvent.id).label("id"))
            .join(Charger, Charger.id == StatusEvent.charger_id)
            .where(Charger.site_id == site_id, StatusEvent.connector_id > 0)
            .group_by(StatusEvent.charger_id, StatusEvent.connector_id)
            .subquery()
        )
        stmt = select(StatusEvent.charger_id, StatusEvent.connector_id, StatusEvent.status).join(
            last, last.c.id == StatusEvent.id
        )
        out: dict[int, dict[int, str]] = {}
        async with self._engine.connect() as conn:
            for charger_id, connector, status in (await conn.execute(stmt)).all():
                out.setdefault(int(charger_id), {})[int(connector)] = str(status)
        return out

    async def currents(
        self, site_id: int, since: datetime
    ) -> dict[tuple[int, int], tuple[float, float]]:
        """(charger id, connector) -> (drawn, offered) in amps, from the connector's latest
        sample taken since `since` that has both Current.Import and Current.Offered: drawn is
        the busiest phase's import. A connector whose charger reports no Current.Offered is
        left out (counted at its limit)."""
        stmt = (
            select(
                MeterValue.id,
                MeterValue.charger_id,
                MeterValue.connector_id,
                MeterValue.timestamp,
                MeterValue.measurand,
                MeterValue.value,
            )
            .join(Charger, Charger.id == MeterValue.charger_id)
            .where(
                Charger.site_id == site_id,
                MeterValue.timestamp >= since,
                MeterValue.connector_id > 0,
                MeterValue.measurand.in_(("Current.Import", "Current.Offered")),
            )
        )
        # One sample: one MeterValue of a connector (its time); the latest is the last stored.
        samples: dict[tuple[int, int, datetime], dict[str, float]] = {}
        stored: dict[tuple[int, int, datetime], int] = {}
        async with self._engine.connect() as conn:
            for row_id, charger_id, connector, at, measurand, value in (
                await conn.execute(stmt)
            ).all():
                try:
                    amps = float(value)
                except ValueError:
                    continue  # not a number: not a reading to plan with
                if not math.isfinite(amps):
                    continue
                key = (int(charger_id), int(connector), at)
                sample = samples.setdefault(key, {})
                sample[str(measurand)] = max(sample.get(str(measurand), 0.0), amps)
                stored[key] = max(stored.get(key, 0), int(row_id))
        latest: dict[tuple[int, int], tuple[int, float, float]] = {}
        for (charger_id, connector, at), sample in samples.items():
            row = stored[(charger_id, connector, at)]
            if len(sample) == 2 and row > latest.get((charger_id, connector), (0, 0.0, 0.0))[0]:
                latest[(charger_id, connector)] = (
                    row,
                    sample["Current.Import"],
                    sample["Current.Offered"],
                )
        return {key: (drawn, offered) for key, (_, drawn, offered) in latest.items()}

    async def set_load(
        self, charger_id: int, *, phases: str, priority: int, max_a: float, at: datetime
    ) -> None:
        """Set or replace a charger's phases, priority and maximum, in one statement."""
        values = {"phases": phases, "priority": priority, "max_a": max_a, "updated_at": at}
        await self._set_row(ChargerLoad, ChargerLoad.charger_id, charger_id, values)

    async def _set_row(self, table: Any, key: Any, key_value: int, values: dict[str, Any]) -> None:
        """Replace the row of `table` whose `key` is `key_value` with `values`, or insert it."""
        change = update(table).where(key == key_value).values(**values)
        async with self._engine.begin() as conn:
            if (await conn.execute(change)).rowcount:
                return
        try:
            async with self._engine.begin() as conn:
                await conn.execute(insert(table).values({key.key: key_value, **values}))
        except IntegrityError:  # a concurrent first set won the insert: ours replaces it
            async with self._engine.begin() as conn:
                await conn.execute(change)

    # --- which node balances a site ------------------------------------------------------------

    async def claim(self, node: str, *, now: datetime, until: datetime) -> list[int]:
        """Take or renew the lease of every managed site that is free, expired or already
        `node`'s, until `until`; the sites `node` now balances. One conditional UPDATE: two
        nodes claiming at once cannot both win a site (the second re-reads the row the first
        wrote, on PostgreSQL as on SQLite)."""
        free = or_(
            SiteSupply.balancer_node == node,
            SiteSupply.balancer_node.is_(None),
            SiteSupply.balancer_until < now,
        )
        take = update(SiteSupply).where(free).values(balancer_node=node, balancer_until=until)
        mine = select(SiteSupply.site_id).where(SiteSupply.balancer_node == node)
        async with self._engine.begin() as conn:
            await conn.execute(take)
            return [int(i) for i in (await conn.scalars(mine.order_by(SiteSupply.site_id)))]

    async def balancer(self, site_id: int) -> tuple[str | None, dict[str, float]]:
        """The node holding the site's lease (None: nobody) and the limits it last recorded."""
        stmt = select(SiteSupply.balancer_node, SiteSupply.balancer_held)
        async with self._engine.connect() as conn:
            row = (await conn.execute(stmt.where(SiteSupply.site_id == site_id))).first()
        if row is None:
            return None, {}
        node, held = row
        return node, {str(k): float(v) for k, v in json.loads(held or "{}").items()}

    async def record_held(self, site_id: int, node: str, held: dict[str, float]) -> bool:
        """Record what `node` gave the site's chargers, if it still holds the lease."""
        change = (
            update(SiteSupply)
            .where(SiteSupply.site_id == site_id, SiteSupply.balancer_node == node)
            .values(balancer_held=json.dumps(held, sort_keys=True))
        )
        async with self._engine.begin() as conn:
            return bool((await conn.execute(change)).rowcount)

    async def release(self, node: str) -> None:
        """A node stopping: its sites are free at once for another node to take."""
        change = (
            update(SiteSupply)
            .where(SiteSupply.balancer_node == node)
            .values(balancer_node=None, balancer_until=None)
        )
        async with self._engine.begin() as conn:
            await conn.execute(change)
