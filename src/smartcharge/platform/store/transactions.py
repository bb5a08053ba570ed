"""Transactions: platform-wide unique ids, idempotent starts, stops that are never lost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Insert, RowMapping, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from smartcharge.platform.store.models import Transaction


@dataclass(frozen=True, slots=True)
class Stopped:
    row_id: int  # the transactions row that holds the stop
    unknown: bool  # True: the charger's transaction id was not one we gave it
    connector_id: int | None  # None when unknown


class Transactions:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def start(
        self,
        charger_id: int,
        *,
        connector_id: int,
        id_tag: str,
        meter_start: int,
        started_at: datetime,
        at: datetime,
        id_tag_status: str | None = None,
        reservation_id: int | None = None,
    ) -> int:
        """The transaction id for this start: a new one, or, for a StartTransaction sent again
        (same charger, connector, id tag, meter start and timestamp), the one it got before."""
        key = {
            "charger_id": charger_id,
            "connector_id": connector_id,
            "id_tag": id_tag,
            "meter_start": meter_start,
            "started_at": started_at,
        }
        async with self._engine.begin() as conn:
            stmt = _insert_ignoring_duplicates(conn).values(
                **key,
                id_tag_status=id_tag_status,
                reservation_id=reservation_id,
                unknown_transaction=False,
                created_at=at,
            )
            new_id = (await conn.execute(stmt.returning(Transaction.id))).scalar()
            if new_id is not None:
                return int(new_id)
            existing = await conn.scalar(
                select(Transaction.id).where(
                    *(getattr(Transaction, name) == value for name, value in key.items())
                )
            )
            assert existing is not None, "the conflicting start must exist"
            return int(existing)

    async def stop(
        self,
        charger_id: int,
        transaction_id: int,
        *,
        meter_stop: int,
        stopped_at: datetime,
        at: datetime,
        reason: str | None = None,
        id_tag: str | None = None,
    ) -> Stopped:
        """Record a StopTransaction. One for a transaction this charger never started with us is
        kept as a flagged row (`unknown_transaction`); the same stop sent again is kept once."""
        stop = {
            "meter_stop": meter_stop,
            "stopped_at": stopped_at,
            "stop_reason": reason,
            "stop_id_tag": id_tag,
        }
        async with self._engine.begin() as conn:
            connector_id = (
                await conn.execute(
                    update(Transaction)
                    .where(
                        Transaction.id == transaction_id,
                        Transaction.charger_id == charger_id,
                        Transaction.unknown_transaction.is_(False),
                    )
                    .values(**stop)
                    .returning(Transaction.connector_id)
                )
            ).first()
            if connector_id is not None:
                return Stopped(transaction_id, unknown=False, connector_id=connector_id[0])
            existing = await conn.scalar(
                select(Transaction.id).where(
                    Transaction.charger_id == charger_id,
                    Transaction.unknown_transaction.is_(True),
                    Transaction.reported_id == transaction_id,
                    Transaction.meter_stop == meter_stop,
                    Transaction.stopped_at == stopped_at,
                )
            )
            if existing is not None:
                return Stopped(int(existing), unknown=True, connector_id=None)
            row_id = (
                await conn.execute(
                    insert(Transaction)
                    .values(
                        charger_id=charger_id,
                        unknown_transaction=True,
                        reported_id=transaction_id,
                        created_at=at,
                        **stop,
                    )
                    .returning(Transaction.id)
                )
            ).scalar_one()
            return Stopped(int(row_id), unknown=True, connector_id=None)

    async def get(self, row_id: int) -> RowMapping | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(Transaction).where(Transaction.id == row_id))).first()
        return None if row is None else row._mapping

    async def of_charger(self, charger_id: int) -> list[RowMapping]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(Transaction)
                .where(Transaction.charger_id == charger_id)
                .order_by(Transaction.id)
            )
            return [row._mapping for row in rows]


def _insert_ignoring_duplicates(conn: AsyncConnection) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING, in the dialect at hand (both engines have it)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(Transaction).on_conflict_do_nothing()
    return sqlite.insert(Transaction).on_conflict_do_nothing()
