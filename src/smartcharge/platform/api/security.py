"""/api/chargers/{identity}/security-events: the charger's security log as it reported it
(R36, R37), and tamper incidents recorded by hand."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import AwareDatetime

from smartcharge.platform.api.access import Managed, Visible
from smartcharge.platform.api.auth import Api
from smartcharge.platform.api.schemas import IncidentRequest, SecurityEventOut
from smartcharge.platform.services import security_log

router = APIRouter(tags=["security"])


@router.get("/api/chargers/{identity}/security-events", response_model=list[SecurityEventOut])
async def security_events(
    charger: Visible,
    ctx: Api,
    since: Annotated[AwareDatetime | None, Query(description="received at or after")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[SecurityEventOut]:
    """Newest first."""
    rows = await ctx.store.history.security_events(charger.id, since=since, limit=limit)
    return [SecurityEventOut(**{k: r[k] for k in SecurityEventOut.model_fields}) for r in rows]


@router.post(
    "/api/chargers/{identity}/security-events",
    response_model=SecurityEventOut,
    status_code=status.HTTP_201_CREATED,
)
async def record_incident(body: IncidentRequest, charger: Managed, ctx: Api) -> SecurityEventOut:
    """Record a tamper incident the owner noticed (type ManualTamperReport; the note and who
    recorded it go in tech_info)."""
    return SecurityEventOut(
        **await security_log.record_incident(ctx, charger, body.note, body.happened_at)
    )
