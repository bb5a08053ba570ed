"""DataTransfer from a charger in the UK extensions (vendorId org.smartcharge.uk,
docs/ocpp-extensions.md): what the platform understands of them.

- `DsrOptOut` `{"id": "<event id>"}`: the owner opted out of a DSR event at the charger (R19);
  recorded on the event's delivery, so the aggregator sees it, and `Accepted`. An event the
  charger had no part in is `Rejected`. Sent again, it keeps the first time.
- `UpdateAvailable` `{"version", "location", "checkedAt", "running"}`: the charger's own update
  check found a newer version (R30). Checked (`update_available`) and `Accepted`, or `Rejected`
  with the problem; stored like every DataTransfer, and read back from there by the firmware
  state (`latest_update_found`).
- Anything else (e.g. `RandomDelay`) is stored like every DataTransfer and answered
  `UnknownMessageId`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncEngine

from smartcharge.ocpp.times import parse_time
from smartcharge.platform.handlers.context import ChargerContext
from smartcharge.platform.store.models import DataTransferEvent

UK_VENDOR = "org.smartcharge.uk"
_VERSION_MAX = 50  # OCPP's firmwareVersion (CiString50)
_LOCATION_MAX = 512


@dataclass(frozen=True)
class UpdateFound:
    version: str
    location: str | None
    checked_at: datetime
    running: str | None
    received_at: datetime | None = None


def update_available(data: str | None) -> UpdateFound:
    """An UpdateAvailable message's data, checked; ValueError names what is wrong."""
    try:
        found = json.loads(data or "")
    except ValueError:
        raise ValueError("data: not JSON") from None
    if not isinstance(found, dict):
        raise ValueError("data: not a JSON object")
    version, location, running = found.get("version"), found.get("location"), found.get("running")
    if not isinstance(version, str) or not 1 <= len(version) <= _VERSION_MAX:
        raise ValueError(f"version: 1 to {_VERSION_MAX} characters")
    if location is not None and not (
        isinstance(location, str)
        and len(location) <= _LOCATION_MAX
        and location.startswith(("https://", "http://"))
    ):
        raise ValueError("location: an http(s) URL or null")
    if running is not None and not (isinstance(running, str) and len(running) <= _VERSION_MAX):
        raise ValueError(f"running: at most {_VERSION_MAX} characters or null")
    checked = found.get("checkedAt")
    try:
        checked_at = parse_time(checked) if isinstance(checked, str) else None
    except ValueError:
        checked_at = None
    if checked_at is None:
        raise ValueError("checkedAt: an RFC 3339 date and time")
    return UpdateFound(version, location, checked_at, running)


async def recent_from_charger(
    engine: AsyncEngine, charger_id: int, message_id: str, limit: int = 5
) -> Sequence[Row[str | None, datetime]]:
    """The charger's latest UK-extension DataTransfers of `message_id`, newest first: (data,
    received_at) as stored, not yet checked."""
    stmt = (
        select(DataTransferEvent.data, DataTransferEvent.received_at)
        .where(
            DataTransferEvent.charger_id == charger_id,
            DataTransferEvent.vendor_id == UK_VENDOR,
            DataTransferEvent.message_id == message_id,
        )
        .order_by(DataTransferEvent.id.desc())
        .limit(limit)
    )
    async with engine.connect() as conn:
        return (await conn.execute(stmt)).all()


async def latest_update_found(engine: AsyncEngine, charger_id: int) -> UpdateFound | None:
    """What the charger's own update check last reported (a valid UpdateAvailable), if any."""
    for row in await recent_from_charger(engine, charger_id, "UpdateAvailable"):
        try:
            found = update_available(row.data)
        except ValueError:
            continue  # stored as received, but not usable
        return UpdateFound(
            found.version, found.location, found.checked_at, found.running, row.received_at
        )
    return None


async def from_charger(
    ctx: ChargerContext, message_id: str | None, data: str | None
) -> dict[str, Any]:
    if message_id == "UpdateAvailable":
        try:
            update_available(data)
        except ValueError as exc:
            return {"status": "Rejected", "data": json.dumps({"error": str(exc)})}
        return {"status": "Accepted"}
    if message_id != "DsrOptOut":
        return {"status": "UnknownMessageId"}
    try:
        event_id = json.loads(data or "")["id"]
    except (ValueError, TypeError, KeyError):
        event_id = None
    if not isinstance(event_id, str) or not 1 <= len(event_id) <= 36:
        return {"status": "Rejected", "data": json.dumps({"error": "id: a DSR event id"})}
    if not await ctx.store.dsr.opted_out(event_id, ctx.charger_id, at=ctx.now()):
        return {"status": "Rejected", "data": json.dumps({"error": "id: no such event here"})}
    return {"status": "Accepted"}
