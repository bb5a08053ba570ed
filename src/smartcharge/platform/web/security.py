"""The security log page (issue 6 item 7; R36, R37): the charger's security events as it
reported them, prominent alerts for tamper and boot-integrity events, and a form to record a
tamper incident by hand (through the REST API's own handler)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from smartcharge.platform.api.auth import Api
from smartcharge.platform.api.schemas import IncidentRequest
from smartcharge.platform.api.security import record_incident
from smartcharge.platform.web.event_words import EVENT_WORDS
from smartcharge.platform.web.render import back, page
from smartcharge.platform.web.session import PageCharger
from smartcharge.regulations import UK_TZ

router = APIRouter()

ALERTS = {
    "TamperDetectionActivated": "TamperCleared",
    "ManualTamperReport": "TamperCleared",
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
        if e["type"] in ALERTS.values():
            ended.add(e["type"])
        elif e["type"] in ALERTS and ALERTS[e["type"]] not in ended:
            out.append(e)
    return out


@router.get("/app/chargers/{identity}/security", response_class=HTMLResponse)
async def security_page(request: Request, charger: PageCharger, ctx: Api) -> Response:
    events = await ctx.store.history.security_events(charger.id, limit=500)
    return page(
        request,
        "security.html",
        charger.caller,
        identity=charger.identity,
        events=events,
        alerts=alerts(events),
        alert_types=ALERT_TYPES,
        words=EVENT_WORDS,
    )


@router.post("/app/chargers/{identity}/security")
async def record(
    charger: PageCharger,
    ctx: Api,
    note: Annotated[str, Form(max_length=200)] = "",
    happened_at: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    url = f"/app/chargers/{charger.identity}/security"
    try:
        when: datetime | None = None
        if happened_at.strip():
            when = datetime.fromisoformat(happened_at).replace(tzinfo=UK_TZ).astimezone(UTC)
        body = IncidentRequest(note=note.strip(), happened_at=when)
    except ValueError as exc:
        reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else "a date and time"
        return back(url, problem=f"Nothing recorded: {reason}.")
    try:
        charger.require_admin()  # as the API's route does (its `Managed` dependency)
        await record_incident(body, charger, ctx)
    except HTTPException as exc:
        return back(url, problem=str(exc.detail))
    return back(url, done="Tamper incident recorded in the security log.")
