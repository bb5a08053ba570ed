"""The security log page (issue 6 item 7; R36, R37): the charger's security events as it
reported them, prominent alerts for tamper and boot-integrity events, and a form to record a
tamper incident by hand (`services/security_log.py`, as the REST API)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from smartcharge.platform.api.auth import Api
from smartcharge.platform.services import security_log
from smartcharge.platform.services.errors import ServiceError
from smartcharge.platform.services.security_log import ALERT_TYPES, alerts
from smartcharge.platform.web.event_words import EVENT_WORDS
from smartcharge.platform.web.render import back, page
from smartcharge.platform.web.session import PageCharger
from smartcharge.regulations import UK_TZ

router = APIRouter()


@router.get("/app/chargers/{identity}/security", response_class=HTMLResponse)
async def security_page(request: Request, charger: PageCharger, ctx: Api) -> Response:
    return page(request, "security.html", charger.caller, **await _context(charger, ctx))


async def _context(charger: PageCharger, ctx: Api, **typed: Any) -> dict[str, Any]:
    events = await ctx.store.history.security_events(charger.id, limit=500)
    return {
        "identity": charger.identity,
        "events": events,
        "alerts": alerts(events),
        "alert_types": ALERT_TYPES,
        "words": EVENT_WORDS,
        "errors": typed.get("errors", {}),
        "typed": typed.get("typed", {}),
    }


@router.post("/app/chargers/{identity}/security", response_class=HTMLResponse)
async def record(
    request: Request,
    charger: PageCharger,
    ctx: Api,
    note: Annotated[str, Form(max_length=200)] = "",
    happened_at: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """A tamper incident by hand; a bad note or time comes back next to its field, as typed."""
    url = f"/app/chargers/{charger.identity}/security"
    try:
        charger.require_admin()  # as the API's route does (its `Managed` dependency)
    except ServiceError as exc:
        return back(url, problem=exc.message)
    errors: dict[str, str] = {}
    when: datetime | None = None
    try:
        if happened_at.strip():
            when = datetime.fromisoformat(happened_at).replace(tzinfo=UK_TZ).astimezone(UTC)
        await security_log.record_incident(ctx, charger, note, when)
    except ValueError:
        errors["happened_at"] = "Nothing recorded: a date and time, like 2026-11-23 19:05."
    except ServiceError as exc:
        field = "note" if exc.message.startswith("the note") else "happened_at"
        errors[field] = f"Nothing recorded: {exc.message}."
    if errors:
        typed = {"note": note, "happened_at": happened_at}
        context = await _context(charger, ctx, errors=errors, typed=typed)
        return page(request, "security.html", charger.caller, 422, **context)
    return back(url, done="Tamper incident recorded in the security log.")


@router.post("/app/chargers/{identity}/security/acknowledge")
async def acknowledge(charger: PageCharger, ctx: Api) -> Response:
    """The owner has seen the alerts: they stop standing; the events stay in the log."""
    url = f"/app/chargers/{charger.identity}/security"
    try:
        await security_log.acknowledge(ctx, charger)
    except ServiceError as exc:
        return back(url, problem=exc.message)
    return back(url, done="Alerts acknowledged: they stay in the security log below.")
