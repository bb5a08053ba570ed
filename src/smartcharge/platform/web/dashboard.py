"""The home page's dashboard (issue 13 item 3): every charger the caller may see and each of its
sockets at a glance (the state in plain words, power, kWh, cost, time, the car's charge, the
plan and its expected finish, a random-delay countdown and its reason), pushed to the page as
it changes (`stream`); and the live charger page's stream of its sockets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from smartcharge.platform.api.auth import Api
from smartcharge.platform.services import charger_status, firmware, security_log
from smartcharge.platform.services.access import Caller, ChargerAccess
from smartcharge.platform.services.context import ServiceContext
from smartcharge.platform.web.live import LiveView, live_view
from smartcharge.platform.web.render import templates
from smartcharge.platform.web.session import PageCaller, PageCharger
from smartcharge.platform.web.stream import event_stream

router = APIRouter()

MAX_CHARGERS = 20
"""The dashboard shows this many chargers live (an operator sees the first ones; the list of
all is the charger pages')."""


@dataclass
class ChargerCard:
    row: Any
    connected: bool
    alerts: int
    release: Any
    view: LiveView | None


async def cards(ctx: ServiceContext, who: Caller) -> list[ChargerCard]:
    out = []
    for n, row in enumerate(await ctx.store.history.chargers(who.scope)):
        access = ChargerAccess(int(row["id"]), str(row["identity"]), who)
        out.append(
            ChargerCard(
                row=row,
                connected=charger_status.is_connected(ctx, row),
                alerts=len(await security_log.standing_alerts(ctx, access.id)),
                release=await firmware.offer(ctx, row),
                view=await live_view(ctx, access) if n < MAX_CHARGERS else None,
            )
        )
    return out


def _render(template: str, **values: Any) -> str:
    return templates.env.get_template(template).render(**values)


async def dashboard_html(ctx: ServiceContext, who: Caller) -> str:
    return _render("_dashboard.html", chargers=await cards(ctx, who), manage=who.may_manage)


@router.get("/app/dashboard", response_class=HTMLResponse)
async def dashboard_fragment(ctx: Api, who: PageCaller) -> Response:
    """The dashboard alone, for a browser without server-sent events."""
    return HTMLResponse(await dashboard_html(ctx, who))


@router.get("/app/dashboard/stream")
async def dashboard_stream(request: Request, ctx: Api, who: PageCaller) -> Response:
    return event_stream(request, who.account.id, lambda: dashboard_html(ctx, who))


@router.get("/app/chargers/{identity}/live/stream")
async def charger_stream(request: Request, charger: PageCharger, ctx: Api) -> Response:
    async def render() -> str:
        view = await live_view(ctx, charger)
        return _render(
            "_connectors.html",
            view=view,
            manage=charger.caller.role != "workplace_user",
            show_charger=False,
        )

    return event_stream(request, charger.user_id, render)
