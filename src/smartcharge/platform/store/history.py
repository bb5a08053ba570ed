"""What the REST API reads about chargers: which ones a user may see, their live status,
sessions with energy, security and firmware events, the command log.

Every query takes a `Scope`, the set of chargers the caller may see, and applies it in SQL, so
a charger outside it is indistinguishable from one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, false, func, insert, select, true
from sqlalchemy.ext.asyncio import AsyncEngine

from smartcharge.platform.store.models import (
    Charger,
    CommandRecord,
    FirmwareStatusEvent,
    MeterValue,
    SecurityEvent,
    Site,
    StatusEvent,
    Transaction,
    User,
)

ENERGY = "Energy.Active.Import.Register"


@dataclass(frozen=True, slots=True)
class Scope:
    """The chargers a caller may see: all of them, an owner's, a site's, or none."""

    everything: bool = False
    owner_id: int | None = None
    site_id: int | None = None

    def clause(self) -> ColumnElement[bool]:
        if self.everything:
            return true()
        if self.owner_id is not None:
            return Charger.owner_id == self.owner_id
        if self.site_id is not None:
            return Charger.site_id == self.site_id
        return false()


_CHARGER_COLUMNS = (
    Charger.id,
    Charger.identity,
    User.email.label("owner"),
    Site.name.label("site"),
    Charger.vendor,
    Charger.model,
    Charger.serial_number,
    Charger.firmware_version,
    Charger.booted_at,
    Charger.last_seen_at,
    Charger.connected_node,
    Charger.connected_at,
    Charger.created_at,
)


def _energy_wh(value: str, unit: str | None) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number * 1000 if unit == "kWh" else number


class History:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def _all(self, stmt: Any) -> list[RowMapping]:
        async with self._engine.connect() as conn:
            return [row._mapping for row in await conn.execute(stmt)]

    # --- chargers ------------------------------------------------------------------------------

    def _chargers(self, scope: Scope) -> Any:
        return (
            select(*_CHARGER_COLUMNS)
            .outerjoin(User, User.id == Charger.owner_id)
            .outerjoin(Site, Site.id == Charger.site_id)
            .where(scope.clause())
        )

    async def chargers(self, scope: Scope) -> list[RowMapping]:
        return await self._all(self._chargers(scope).order_by(Charger.identity))

    async def charger(self, scope: Scope, identity: str) -> RowMapping | None:
        rows = await self._all(self._chargers(scope).where(Charger.identity == identity))
        return rows[0] if rows else None

    async def connector_status(self, charger_id: int) -> list[RowMapping]:
        """The last StatusNotification of each connector."""
        last = (
            select(func.max(StatusEvent.id).label("id"))
            .where(StatusEvent.charger_id == charger_id)
            .group_by(StatusEvent.connector_id)
            .subquery()
        )
        return await self._all(
            select(StatusEvent)
            .join(last, last.c.id == StatusEvent.id)
            .order_by(StatusEvent.connector_id)
        )

    # --- sessions ------------------------------------------------------------------------------

    def _sessions(self, scope: Scope) -> Any:
        return (
            select(
                Transaction.id,
                Charger.identity.label("charger"),
                Transaction.connector_id,
                Transaction.id_tag,
                Transaction.meter_start,
                Transaction.meter_stop,
                Transaction.started_at,
                Transaction.stopped_at,
                Transaction.stop_reason,
                Transaction.unknown_transaction,
            )
            .join(Charger, Charger.id == Transaction.charger_id)
            .where(scope.clause())
        )

    async def sessions(
        self,
        scope: Scope,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        identity: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Sessions that started in [since, until) (or stopped then, for a stop we never saw
        start), newest first, each with `energy_wh` (for a running one: so far)."""
        when = func.coalesce(Transaction.started_at, Transaction.stopped_at)
        stmt = self._sessions(scope)
        if since is not None:
            stmt = stmt.where(when >= since)
        if until is not None:
            stmt = stmt.where(when < until)
        if identity is not None:
            stmt = stmt.where(Charger.identity == identity)
        stmt = stmt.order_by(when.desc(), Transaction.id.desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        rows = [dict(r) for r in await self._all(stmt)]
        await self._add_energy(rows)
        return rows

    async def session(self, scope: Scope, session_id: int) -> dict[str, Any] | None:
        rows = await self._all(self._sessions(scope).where(Transaction.id == session_id))
        if not rows:
            return None
        found = [dict(rows[0])]
        await self._add_energy(found)
        return found[0]

    async def _add_energy(self, rows: list[dict[str, Any]]) -> None:
        running = [
            r["id"] for r in rows if r["meter_stop"] is None and not r["unknown_transaction"]
        ]
        latest: dict[int, float] = {}
        if running:
            # The highest energy register reading of each running session (the register only
            # goes up; a value out of order cannot make the energy go back).
            for mv in await self._all(
                select(MeterValue.transaction_id, MeterValue.value, MeterValue.unit)
                .where(
                    MeterValue.transaction_id.in_(running),
                    func.coalesce(MeterValue.measurand, ENERGY) == ENERGY,
                )
                .order_by(MeterValue.transaction_id, MeterValue.timestamp)
            ):
                wh = _energy_wh(mv["value"], mv["unit"])
                if wh is not None:
                    tx = mv["transaction_id"]
                    latest[tx] = max(wh, latest.get(tx, wh))
        for r in rows:
            start, stop = r["meter_start"], r["meter_stop"]
            if stop is None and r["id"] in latest:
                stop = latest[r["id"]]
            r["energy_wh"] = max(0.0, float(stop - start)) if start is not None and stop else 0.0
            r["running"] = r["meter_stop"] is None and not r["unknown_transaction"]

    async def meter_values(self, session_id: int) -> list[RowMapping]:
        return await self._all(
            select(
                MeterValue.timestamp,
                MeterValue.measurand,
                MeterValue.phase,
                MeterValue.unit,
                MeterValue.value,
                MeterValue.context,
            )
            .where(MeterValue.transaction_id == session_id)
            .order_by(MeterValue.timestamp, MeterValue.id)
        )

    async def last_reading(self, session_id: int, measurand: str) -> RowMapping | None:
        """The session's latest reading of `measurand` for the whole charger (no phase):
        (value, unit) as the charger sent them."""
        found = await self._all(
            select(MeterValue.value, MeterValue.unit)
            .where(
                MeterValue.transaction_id == session_id,
                MeterValue.measurand == measurand,
                MeterValue.phase.is_(None),
            )
            .order_by(MeterValue.timestamp.desc())
            .limit(1)
        )
        return found[0] if found else None

    async def recent_readings(
        self, session_id: int, measurand: str, since: datetime, *, limit: int = 1800
    ) -> list[RowMapping]:
        """The session's readings of `measurand` (whole charger) from `since` on, oldest first,
        at most `limit` of the newest: a live chart's points, never the whole session."""
        newest = await self._all(
            select(MeterValue.timestamp, MeterValue.value, MeterValue.unit)
            .where(
                MeterValue.transaction_id == session_id,
                MeterValue.measurand == measurand,
                MeterValue.phase.is_(None),
                MeterValue.timestamp >= since,
            )
            .order_by(MeterValue.timestamp.desc())
            .limit(limit)
        )
        return newest[::-1]

    # --- events --------------------------------------------------------------------------------

    async def security_events(
        self, charger_id: int, *, since: datetime | None = None, limit: int = 500
    ) -> list[RowMapping]:
        stmt = select(SecurityEvent).where(SecurityEvent.charger_id == charger_id)
        if since is not None:
            stmt = stmt.where(SecurityEvent.received_at >= since)
        return await self._all(stmt.order_by(SecurityEvent.id.desc()).limit(limit))

    async def firmware_events(self, charger_id: int, *, limit: int = 100) -> list[RowMapping]:
        return await self._all(
            select(FirmwareStatusEvent)
            .where(FirmwareStatusEvent.charger_id == charger_id)
            .order_by(FirmwareStatusEvent.id.desc())
            .limit(limit)
        )

    async def add_security_event(
        self,
        charger_id: int,
        *,
        type: str,
        tech_info: str | None,
        timestamp: datetime,
        received_at: datetime,
    ) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(SecurityEvent).values(
                    charger_id=charger_id,
                    type=type,
                    tech_info=tech_info,
                    timestamp=timestamp,
                    received_at=received_at,
                )
            )

    # --- command log ---------------------------------------------------------------------------

    async def record_command(self, **values: Any) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(insert(CommandRecord).values(**values))

    async def commands(self, charger_id: int, *, limit: int = 200) -> list[RowMapping]:
        return await self._all(
            select(
                CommandRecord.action,
                CommandRecord.message_id,
                CommandRecord.outcome,
                CommandRecord.status,
                CommandRecord.requested_at,
                CommandRecord.answered_at,
                User.email.label("by"),
            )
            .outerjoin(User, User.id == CommandRecord.user_id)
            .where(CommandRecord.charger_id == charger_id)
            .order_by(CommandRecord.id.desc())
            .limit(limit)
        )
