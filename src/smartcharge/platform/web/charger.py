"""The live charger page (issue 6 item 3): each connector's state and its cause in plain words,
refreshed without reloading, and the owner's buttons: Charge now (R18), Skip delay (R25), Opt out
of this grid event (R19), Start and Stop. Each button calls the service the REST API's route
calls too (`services/owner_controls.py`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from smartcharge.platform.api.auth import Api
from smartcharge.platform.services import owner_controls, security_log
from smartcharge.platform.web import actions
from smartcharge.platform.web.live import live_view
from smartcharge.platform.web.render import page, templates
from smartcharge.platform.web.session import PageCharger

router = APIRouter()

ConnectorId = Annotated[int, Form(ge=1, le=100)]


def _url(identity: str) -> str:
    return f"/app/chargers/{identity}"


@router.get("/app/chargers/{identity}", response_class=HTMLResponse)
async def charger_page(request: Request, charger: PageCharger, ctx: Api) -> Response:
    view = await live_view(ctx, charger)
    row = await ctx.store.history.charger(charger.caller.scope, charger.identity)
    return page(
        request,
        "charger.html",
        charger.caller,
        identity=charger.identity,
        charger=row,
        view=view,
        alerts=len(await security_log.standing_alerts(ctx, charger.id)),
    )


@router.get("/app/chargers/{identity}/live", response_class=HTMLResponse)
async def live_fragment(request: Request, charger: PageCharger, ctx: Api) -> Response:
    """The connectors' part of the page, for the page's script to swap in."""
    view = await live_view(ctx, charger)
    return templates.TemplateResponse(
        request,
        "_connectors.html",
        {"view": view, "manage": charger.caller.role != "workplace_user", "charger": charger},
    )


@router.post("/app/chargers/{identity}/charge-now")
async def press_charge_now(charger: PageCharger, ctx: Api, connector: ConnectorId) -> Response:
    return await actions.run(
        _url(charger.identity),
        owner_controls.charge_now(ctx, charger, connector),
        "Charging now: the default hours are overridden for this session.",
    )


@router.post("/app/chargers/{identity}/skip-delay")
async def press_skip_delay(charger: PageCharger, ctx: Api, connector: ConnectorId) -> Response:
    return await actions.run(
        _url(charger.identity),
        owner_controls.skip_delay(ctx, charger, connector),
        "Random delay skipped.",
    )


@router.post("/app/chargers/{identity}/opt-out")
async def press_opt_out(
    charger: PageCharger, ctx: Api, event: Annotated[str, Form(max_length=36)]
) -> Response:
    return await actions.run(
        _url(charger.identity),
        owner_controls.opt_out(ctx, charger, event),
        "You opted out of this grid event: the charger goes back to your settings.",
    )


@router.post("/app/chargers/{identity}/start")
async def press_start(charger: PageCharger, ctx: Api, connector: ConnectorId) -> Response:
    return await actions.run(
        _url(charger.identity),
        owner_controls.start_charging(ctx, charger, connector),
        "Start sent: charging begins when the car and the rules allow.",
    )


@router.post("/app/chargers/{identity}/stop")
async def press_stop(
    charger: PageCharger, ctx: Api, transaction: Annotated[int, Form(ge=1, le=2**31 - 1)]
) -> Response:
    return await actions.run(
        _url(charger.identity),
        owner_controls.stop_charging(ctx, charger, transaction),
        "Stop sent.",
    )
