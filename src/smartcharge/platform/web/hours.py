"""Default charging hours (issue 6 item 2; R14-R16): the charger's hours on a weekly picture with
the peak hours marked; on first use an offer to accept, remove or edit them; the answer and its
time as the charger recorded them; a change at any time later. Workplace: administrator only
(the API's `set_default_hours` refuses anyone else, and so does the charger)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from smartcharge.ocpp.times import parse_time
from smartcharge.platform.api.auth import Api
from smartcharge.platform.commands import CommandFailed
from smartcharge.platform.services import owner_controls
from smartcharge.platform.services.errors import ServiceError
from smartcharge.platform.web import actions, charts, week
from smartcharge.platform.web.render import back, page
from smartcharge.platform.web.session import PageCharger

router = APIRouter()

MODE_WORDS = {
    "default": "the default hours the charger came with",
    "custom": "your own hours",
    "removed": "no default hours: the charger charges whenever a car is plugged in",
}


async def charger_hours(charger: PageCharger, ctx: Api) -> tuple[dict[str, Any] | None, str]:
    """GetDefaultHours' data, or None and why it could not be read."""
    try:
        answer = await owner_controls.default_hours(ctx, charger)
    except CommandFailed as exc:
        return None, actions.OUTCOME_WORDS.get(exc.outcome, exc.message)
    data = answer.get("data")
    if actions.refused(answer) or not isinstance(data, dict):
        return None, actions.refused(answer) or "The charger's answer had no hours in it."
    return data, ""


@router.get("/app/chargers/{identity}/hours", response_class=HTMLResponse)
async def hours_page(request: Request, charger: PageCharger, ctx: Api) -> Response:
    data, unreadable = await charger_hours(charger, ctx)
    hours = (data or {}).get("defaultHours") or {}
    windows = week.windows_from_charger(hours.get("inForce") or hours.get("windows"))
    answered = hours.get("answeredAt")
    picture = charts.week(
        week.bars(windows),
        week.peak_bars(),
        "Charging hours (green) and peak hours (hatched red), Monday to Sunday",
    )
    return page(
        request,
        "hours.html",
        charger.caller,
        identity=charger.identity,
        unreadable=unreadable,
        hours=hours,
        mode=hours.get("mode"),
        mode_words=MODE_WORDS.get(str(hours.get("mode")), ""),
        first_use=data is not None and not answered,
        answered_at=_time(answered),
        answered_by=hours.get("answeredBy"),
        windows=windows,
        text=week.to_text(windows),
        picture=picture,
        delay_max=(data or {}).get("randomisedDelayMaxSeconds"),
        dsr_agreement=hours.get("dsrAgreement"),
        may_change=charger.caller.role in ("owner", "workplace_admin", "operator"),
    )


def _time(value: Any) -> datetime | None:
    try:
        return parse_time(value) if isinstance(value, str) else None
    except ValueError:
        return None


@router.post("/app/chargers/{identity}/hours")
async def answer_hours(
    charger: PageCharger,
    ctx: Api,
    choice: Annotated[Literal["default", "custom", "removed"], Form()],
    windows: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    url = f"/app/chargers/{charger.identity}/hours"
    try:
        parsed = week.parse(windows) if choice == "custom" else []
        if choice == "custom" and not parsed:
            raise week.WindowsError("write at least one window, or choose Remove")
        owner_controls.check_windows(parsed)
    except week.WindowsError as exc:
        return back(url, problem=f"Nothing changed: {exc}.")
    except ServiceError as exc:
        return back(url, problem=f"Nothing changed: {exc.message}.")
    try:
        charger.require_admin()
    except ServiceError as exc:
        return back(url, problem=exc.message)
    done = {
        "default": "You accepted the default charging hours.",
        "custom": "Your charging hours are set.",
        "removed": "Default charging hours removed.",
    }[choice]
    return await actions.run(
        url, owner_controls.set_default_hours(ctx, charger, choice, parsed), done
    )
