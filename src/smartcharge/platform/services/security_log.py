"""A charger's security log (R36, R37): the events as it reported them, the alerts still
standing (tamper, boot integrity) and a tamper incident recorded by hand."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from smartcharge.platform.services.access import ChargerAccess
from smartcharge.platform.services.context import ServiceContext
from smartcharge.platform.services.errors import Invalid

MANUAL_TAMPER = "ManualTamperReport"
ACKNOWLEDGED = "AlertsAcknowledged"
"""Recorded (with who and when) when the owner says they have seen the standing alerts: the
alerts stop standing on the pages, every event stays in the log (R37)."""
MAX_NOTE = 200
_PLAIN = re.compile(r"^[^\x00-\x1f\x7f]+$")  # no control characters (tabs, new lines)

ALERTS = {
    "TamperDetectionActivated": "TamperCleared",
    MANUAL_TAMPER: "TamperCleared",
    "BootIntegrityFailed": "BootIntegrityRestored",
}
"""Event types shown as an alert on the charger's pages (not only in the log), each until the
event that ends it."""
ALERT_TYPES = frozenset(ALERTS)


def alerts(events: Iterable[Any]) -> list[Any]:
    """The alerts still standing: `events` newest first, as the store lists them."""
    ended: set[str] = set()
    out = []
    for e in events:
        if e["type"] == ACKNOWLEDGED:
            break  # everything older was seen by the owner
        if e["type"] in ALERTS.values():
            ended.add(e["type"])
        elif e["type"] in ALERTS and ALERTS[e["type"]] not in ended:
            out.append(e)
    return out


async def standing_alerts(ctx: ServiceContext, charger_id: int) -> list[Any]:
    return alerts(await ctx.store.history.security_events(charger_id, limit=50))


async def record_incident(
    ctx: ServiceContext, charger: ChargerAccess, note: str, happened_at: datetime | None
) -> dict[str, Any]:
    """Record a tamper incident the owner noticed (type ManualTamperReport; the note and who
    recorded it go in tech_info); the event as stored."""
    charger.require_admin()
    note = note.strip()
    if not note or len(note) > MAX_NOTE or not _PLAIN.match(note):
        raise Invalid(f"the note is 1 to {MAX_NOTE} characters on one line")
    if happened_at is not None and happened_at.tzinfo is None:
        raise Invalid("the time needs its time zone")
    now = ctx.now()
    at = happened_at or now
    if at > now + timedelta(minutes=1):
        raise Invalid("the incident cannot be in the future")
    tech_info = f"{note} (recorded by {charger.caller.account.email})"[:255]
    await ctx.store.history.add_security_event(
        charger.id, type=MANUAL_TAMPER, tech_info=tech_info, timestamp=at, received_at=now
    )
    return {"type": MANUAL_TAMPER, "tech_info": tech_info, "timestamp": at, "received_at": now}


async def acknowledge(ctx: ServiceContext, charger: ChargerAccess) -> None:
    """The owner has seen the standing alerts: recorded in the log as an event of its own."""
    charger.require_admin()
    now = ctx.now()
    await ctx.store.history.add_security_event(
        charger.id,
        type=ACKNOWLEDGED,
        tech_info=f"alerts seen by {charger.caller.account.email}"[:255],
        timestamp=now,
        received_at=now,
    )
