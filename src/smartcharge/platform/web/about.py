"""The information page (issue 6 item 8, R38): model, software version, support period and the
vulnerability-reporting contact.

The charger is asked (`GetDeviceInfo`, docs/ocpp-extensions.md): the manufacturer sets the
support period and the contact per model in the charger's config, and what the charger says
wins. When it cannot be asked (offline, an older charger) or leaves a value out, the page uses
what it reported at its last boot and the platform's own settings (docs/platform.md), and says
where each value came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from smartcharge.ocpp import uk_extension
from smartcharge.platform.api.auth import Api
from smartcharge.platform.services.charger_status import read_charger
from smartcharge.platform.web.render import page
from smartcharge.platform.web.session import PageCharger
from smartcharge.platform.web.settings import WebSettings
from smartcharge.regulations import UK_TZ

router = APIRouter()

FROM_CHARGER = "as the charger reports it"
FROM_BOOT = "as the charger reported at its last start"
FROM_OPERATOR = "set by the platform's operator"


@dataclass(frozen=True)
class Fact:
    value: str | None  # None: nobody set it
    source: str = ""
    link: str | None = None  # mailto: or https: for the contact


def _text(data: dict[str, Any] | None, key: str, limit: int = 200) -> str | None:
    """A string the charger sent, or None (it is not trusted to be short or a string)."""
    value = (data or {}).get(key)
    return value[:limit] if isinstance(value, str) and value.strip() else None


def _support(reported: dict[str, Any] | None, settings: WebSettings, today: date) -> Fact:
    text, source = _text(reported, "supportUntil", 10), FROM_CHARGER
    until: date | None = None
    if text is not None:
        try:
            until = date.fromisoformat(text)
        except ValueError:
            until = None
    if until is None:
        until, source = settings.support_until, FROM_OPERATOR
    if until is None:
        return Fact(None)
    words = f"{until.day} {until:%B %Y}"
    return Fact(f"ended on {words}" if until < today else words, source)


def _contact(reported: dict[str, Any] | None, settings: WebSettings) -> Fact:
    value, source = _text(reported, "vulnerabilityContact"), FROM_CHARGER
    if value is None:
        value, source = settings.vulnerability_contact, FROM_OPERATOR
    if value is None:
        return Fact(None)
    if value.startswith("https://"):
        return Fact(value, source, value)
    if "@" in value and "/" not in value and ":" not in value:
        return Fact(value, source, f"mailto:{value}")
    return Fact(value, source)


@router.get("/app/chargers/{identity}/about", response_class=HTMLResponse)
async def about_page(request: Request, charger: PageCharger, ctx: Api) -> Response:
    row = await ctx.store.history.charger(charger.caller.scope, charger.identity)
    settings: WebSettings = request.app.state.web_settings
    reported = await read_charger(ctx, charger.identity, uk_extension.GET_DEVICE_INFO)
    booted: dict[str, Any] = dict(row or {})
    model = " ".join(
        x for x in (_text(reported, "vendor"), _text(reported, "model")) if x is not None
    )
    if model:
        model_fact = Fact(model, FROM_CHARGER)
    else:
        boot_model = " ".join(str(booted[k]) for k in ("vendor", "model") if booted.get(k))
        model_fact = Fact(boot_model or None, FROM_BOOT)
    version = _text(reported, "firmwareVersion")
    software = (
        Fact(version, FROM_CHARGER)
        if version
        else Fact(booted.get("firmware_version") or None, FROM_BOOT)
    )
    return page(
        request,
        "about.html",
        charger.caller,
        identity=charger.identity,
        charger=row,
        asked=reported is not None,
        model=model_fact,
        software=software,
        support=_support(reported, settings, ctx.now().astimezone(UK_TZ).date()),
        contact=_contact(reported, settings),
        manufacturer=settings.manufacturer,
    )
