"""DataTransfer from a charger in the UK extension (vendorId org.smartcharge.uk,
docs/ocpp-extensions.md; one definition in `smartcharge.ocpp.uk_extension`): what the platform
understands of them. Every message is checked against its schema there; a bad one is `Rejected`
with the field named (it is still stored as received, size-capped, like every DataTransfer, and
whatever reads it back checks it again, so a bad one is never shown to anyone).

- `DsrOptOut` `{"id": "<event id>"}`: the owner opted out of a DSR event at the charger (R19);
  recorded on the event's delivery, so the aggregator sees it, and `Accepted`. An event the
  charger had no part in is `Rejected`. Sent again, it keeps the first time.
- `UpdateAvailable` `{"version", "location", "checkedAt", "running"}`: the charger's own update
  check found a newer version (R30). `Accepted`, and read back by the firmware state
  (`latest_update_found`).
- `RandomDelay` `{"connectorId", "remainingS", "cause"}`: a random delay started (R25);
  `Accepted`, and read back by the owner's live view (`random_delay_left`).
- Any other message name: `UnknownMessageId`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncEngine

from smartcharge.ocpp.uk_extension import (
    DSR_OPT_OUT,
    RANDOM_DELAY,
    TO_CENTRAL_SYSTEM,
    UPDATE_AVAILABLE,
    VENDOR_ID,
    DsrOptOutMsg,
    RandomDelayMsg,
    UkExtensionError,
    UpdateAvailableMsg,
    parse,
)
from smartcharge.platform.handlers.context import ChargerContext
from smartcharge.platform.store.models import DataTransferEvent


@dataclass(frozen=True)
class UpdateFound:
    version: str
    location: str | None
    checked_at: datetime
    running: str | None
    received_at: datetime | None = None


def update_available(data: str | None) -> UpdateFound:
    """An UpdateAvailable message's data, checked; ValueError names what is wrong."""
    found = parse(UpdateAvailableMsg, data)
    return UpdateFound(found.version, found.location, found.checkedAt, found.running)


async def recent_from_charger(
    engine: AsyncEngine, charger_id: int, message_id: str, limit: int = 5
) -> Sequence[Row[str | None, datetime]]:
    """The charger's latest UK-extension DataTransfers of `message_id`, newest first: (data,
    received_at) as stored, not yet checked."""
    stmt = (
        select(DataTransferEvent.data, DataTransferEvent.received_at)
        .where(
            DataTransferEvent.charger_id == charger_id,
            DataTransferEvent.vendor_id == VENDOR_ID,
            DataTransferEvent.message_id == message_id,
        )
        .order_by(DataTransferEvent.id.desc())
        .limit(limit)
    )
    async with engine.connect() as conn:
        return (await conn.execute(stmt)).all()


async def latest_update_found(engine: AsyncEngine, charger_id: int) -> UpdateFound | None:
    """What the charger's own update check last reported (a valid UpdateAvailable), if any."""
    for row in await recent_from_charger(engine, charger_id, UPDATE_AVAILABLE):
        try:
            found = update_available(row.data)
        except ValueError:
            continue  # stored as received, but not usable
        return UpdateFound(
            found.version, found.location, found.checked_at, found.running, row.received_at
        )
    return None


async def random_delay_left(
    engine: AsyncEngine, charger_id: int, connector_id: int, now: datetime
) -> float:
    """Seconds left of the delay the charger last announced for the connector (0: none).
    Announcements that do not fit the schema are passed over (they were Rejected)."""
    for row in await recent_from_charger(engine, charger_id, RANDOM_DELAY):
        try:
            delay = parse(RandomDelayMsg, row.data)
        except UkExtensionError:
            continue
        if delay.connectorId == connector_id:
            return max(0.0, delay.remainingS - (now - row.received_at).total_seconds())
    return 0.0


def _rejected(error: str) -> dict[str, Any]:
    return {"status": "Rejected", "data": json.dumps({"error": error})}


async def from_charger(
    ctx: ChargerContext, message_id: str | None, data: str | None
) -> dict[str, Any]:
    model = TO_CENTRAL_SYSTEM.get(message_id or "")
    if model is None:
        return {"status": "UnknownMessageId"}
    try:
        msg = parse(model, data)
    except UkExtensionError as exc:
        return _rejected(str(exc))
    if message_id != DSR_OPT_OUT:
        return {"status": "Accepted"}  # stored already; read back when shown
    assert isinstance(msg, DsrOptOutMsg)
    if not await ctx.store.dsr.opted_out(msg.id, ctx.charger_id, at=ctx.now()):
        return _rejected("id: no such event here")
    return {"status": "Accepted"}
