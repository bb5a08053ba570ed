"""The charge point certificates the platform's CA signed (services/certificates.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import RowMapping, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from smartcharge.platform.store.models import Charger
from smartcharge.platform.store.operator_models import ChargerCertificate

LISTED = (
    ChargerCertificate.id,
    ChargerCertificate.serial,
    ChargerCertificate.subject,
    ChargerCertificate.not_before,
    ChargerCertificate.not_after,
    ChargerCertificate.issued_at,
    ChargerCertificate.delivered,
    ChargerCertificate.renewal_requested_at,
)


class Certificates:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(
        self,
        charger_id: int,
        *,
        serial: str,
        subject: str,
        not_before: datetime,
        not_after: datetime,
        pem: str,
        issued_at: datetime,
    ) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(ChargerCertificate).values(
                    charger_id=charger_id,
                    serial=serial,
                    subject=subject[:255],
                    not_before=not_before,
                    not_after=not_after,
                    pem=pem,
                    issued_at=issued_at,
                )
            )

    async def delivered(self, serial: str, outcome: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(ChargerCertificate)
                .where(ChargerCertificate.serial == serial)
                .values(delivered=outcome[:40])
            )

    async def of_charger(self, charger_id: int) -> list[RowMapping]:
        """Newest first."""
        query = (
            select(*LISTED)
            .where(ChargerCertificate.charger_id == charger_id)
            .order_by(ChargerCertificate.id.desc())
        )
        async with self._engine.connect() as conn:
            return list((await conn.execute(query)).mappings())

    async def expiring(self, before: datetime, *, asked_before: datetime) -> list[RowMapping]:
        """Each charger's newest certificate that ends before `before` and whose renewal was
        not asked for since `asked_before`, with the charger's identity; soonest first."""
        newest = (
            select(func.max(ChargerCertificate.id))
            .group_by(ChargerCertificate.charger_id)
            .scalar_subquery()
        )
        query = (
            select(*LISTED, ChargerCertificate.charger_id, Charger.identity)
            .join(Charger, Charger.id == ChargerCertificate.charger_id)
            .where(
                ChargerCertificate.id.in_(newest),
                ChargerCertificate.not_after < before,
                or_(
                    ChargerCertificate.renewal_requested_at.is_(None),
                    ChargerCertificate.renewal_requested_at < asked_before,
                ),
            )
            .order_by(ChargerCertificate.not_after)
        )
        async with self._engine.connect() as conn:
            return list((await conn.execute(query)).mappings())

    async def renewal_requested(self, ids: Iterable[int], *, at: datetime) -> None:
        wanted = list(ids)
        if not wanted:
            return
        async with self._engine.begin() as conn:
            await conn.execute(
                update(ChargerCertificate)
                .where(ChargerCertificate.id.in_(wanted))
                .values(renewal_requested_at=at)
            )
