"""What chargers report that is not a transaction: status, security, firmware, logs, data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from smartcharge.platform.store.group_commit import GroupCommit
from smartcharge.platform.store.models import (
    DataTransferEvent,
    FirmwareStatusEvent,
    LogStatusEvent,
    SecurityEvent,
    StatusEvent,
)


class Events:
    def __init__(self, engine: AsyncEngine, commits: GroupCommit | None = None) -> None:
        self._engine = engine
        self._commits = commits or GroupCommit(engine)

    async def _add(self, model: Any, **values: Any) -> None:
        """Stored (committed with the other messages of its batch) when it returns."""
        await self._commits.insert(model, values)

    async def status(
        self,
        charger_id: int,
        *,
        connector_id: int,
        status: str,
        error_code: str,
        received_at: datetime,
        timestamp: datetime | None = None,
        info: str | None = None,
        vendor_id: str | None = None,
        vendor_error_code: str | None = None,
    ) -> None:
        await self._add(
            StatusEvent,
            charger_id=charger_id,
            connector_id=connector_id,
            status=status,
            error_code=error_code,
            info=info,
            vendor_id=vendor_id,
            vendor_error_code=vendor_error_code,
            timestamp=timestamp,
            received_at=received_at,
        )

    async def security(
        self,
        charger_id: int,
        *,
        type: str,
        timestamp: datetime,
        received_at: datetime,
        tech_info: str | None = None,
    ) -> None:
        """Stored once: a charger queues its security events and sends one again when the answer
        was lost (issue 15, finding 4), with the same type, time and information. A charger
        waits for each answer, and the answer follows the commit, so the resend finds the row."""
        same = select(SecurityEvent.id).where(
            SecurityEvent.charger_id == charger_id,
            SecurityEvent.type == type,
            SecurityEvent.timestamp == timestamp,
            SecurityEvent.tech_info.is_not_distinct_from(tech_info),
        )
        async with self._engine.connect() as conn:
            if await conn.scalar(same.limit(1)) is not None:
                return
        await self._add(
            SecurityEvent,
            charger_id=charger_id,
            type=type,
            tech_info=tech_info,
            timestamp=timestamp,
            received_at=received_at,
        )

    async def firmware_status(
        self,
        charger_id: int,
        *,
        status: str,
        signed: bool,
        received_at: datetime,
        request_id: int | None = None,
    ) -> None:
        await self._add(
            FirmwareStatusEvent,
            charger_id=charger_id,
            status=status,
            signed=signed,
            request_id=request_id,
            received_at=received_at,
        )

    async def log_status(
        self,
        charger_id: int,
        *,
        kind: str,
        status: str,
        received_at: datetime,
        request_id: int | None = None,
    ) -> None:
        await self._add(
            LogStatusEvent,
            charger_id=charger_id,
            kind=kind,
            status=status,
            request_id=request_id,
            received_at=received_at,
        )

    async def data_transfer(
        self,
        charger_id: int,
        *,
        vendor_id: str,
        received_at: datetime,
        message_id: str | None = None,
        data: str | None = None,
    ) -> None:
        await self._add(
            DataTransferEvent,
            charger_id=charger_id,
            vendor_id=vendor_id,
            message_id=message_id,
            data=data,
            received_at=received_at,
        )
