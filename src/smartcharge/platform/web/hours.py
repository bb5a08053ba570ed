"""Default charging hours (issue 6 item 2; R14-R16): the charger's hours on a weekly picture with
the peak hours marked; on first use an offer to accept, remove or edit them; the answer and its
time as the charger recorded them; a change at any time later. Workplace: administrator only
(the API's `set_default_hours` refuses anyone else, and so does the charger)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from smartcharge.ocpp.times import parse_time
from smartcharge.platform.api.auth import Api
from smartcharge.platform.commands import CommandFailed
from smartcharge.platform.services import owner_controls
from smartcharge.platform.services.errors import Invalid, ServiceError
from smartcharge.platform.web import actions, charts, hours_check, week
from smartcharge.platform.web.render import back, page
from smartcharge.platform.web.session import PageCharger
from smartcharge.regulations.default_hours import WEEKDAY_NAMES

router = APIRouter()

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

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
    return page(request, "hours.html", charger.caller, **await _context(charger, ctx))


async def _context(charger: PageCharger, ctx: Api, **extra: Any) -> dict[str, Any]:
    data, unreadable = await charger_hours(charger, ctx)
    hours = (data or {}).get("defaultHours") or {}
    windows = week.windows_from_charger(hours.get("inForce") or hours.get("windows"))
    answered = hours.get("answeredAt")
    picture = charts.week(
        week.bars(windows),
        week.peak_bars(),
        "Charging hours (green) and peak hours (hatched red), Monday to Sunday",
    )
    return {
        "identity": charger.identity,
        "unreadable": unreadable,
        "hours": hours,
        "mode": hours.get("mode"),
        "mode_words": MODE_WORDS.get(str(hours.get("mode")), ""),
        "first_use": data is not None and not answered,
        "answered_at": _time(answered),
        "answered_by": hours.get("answeredBy"),
        "windows": windows,
        "text": week.to_text(windows),
        "picture": picture,
        "delay_max": (data or {}).get("randomisedDelayMaxSeconds"),
        "dsr_agreement": hours.get("dsrAgreement"),
        "may_change": charger.caller.role in ("owner", "workplace_admin", "operator"),
        "weekdays": list(enumerate(WEEKDAY_NAMES)),
        "typed": {"start": "22:00", "end": "07:00", "days": [str(d) for d in range(7)]},
        "warnings": [],
        "errors": {},
        **extra,
    }


def _time(value: Any) -> datetime | None:
    try:
        return parse_time(value) if isinstance(value, str) else None
    except ValueError:
        return None


@router.post("/app/chargers/{identity}/hours", response_class=HTMLResponse)
async def answer_hours(
    request: Request,
    charger: PageCharger,
    ctx: Api,
    choice: Annotated[Literal["default", "custom", "simple", "removed"], Form()],
    windows: Annotated[str, Form(max_length=week.MAX_TYPED * 4)] = "",
    start: Annotated[str, Form(max_length=5)] = "",
    end: Annotated[str, Form(max_length=5)] = "",
    days: Annotated[list[str] | None, Form(max_length=7)] = None,
    confirm: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Accept, remove, or set hours: picked (one time window on chosen days) or typed (any
    windows, advanced). Hours in peak time or leaving a day with no charging are shown back
    with a warning first, to save anyway or change. A form that cannot be used comes back as
    typed, its problem next to its field, and nothing changes."""
    url = f"/app/chargers/{charger.identity}/hours"
    typed = {"start": start, "end": end, "days": days or [], "windows": windows}
    try:
        if choice == "simple":
            parsed = _picked(start, end, days or [])
            choice_sent = "custom"
        else:
            parsed = week.parse_typed(windows) if choice == "custom" else []
            choice_sent = choice
        if choice == "custom" and not parsed:
            raise week.WindowsError("Write at least one window, or choose Remove default hours")
        try:
            owner_controls.check_windows(parsed)
        except Invalid as exc:
            field = "windows" if choice == "custom" else "start"
            raise week.WindowsError(exc.message, field) from None
        charger.require_admin()
    except week.WindowsError as exc:
        errors = {exc.field: str(exc)}
        context = await _context(charger, ctx, typed=typed, pending=choice, errors=errors)
        return page(request, "hours.html", charger.caller, 422, **context)
    except ServiceError as exc:
        return back(url, problem=f"Nothing changed: {exc.message}.")
    said = hours_check.warnings(parsed) if choice_sent == "custom" else []
    if said and confirm != "yes":
        context = await _context(charger, ctx, warnings=said, typed=typed, pending=choice)
        return page(request, "hours.html", charger.caller, **context)
    done = {
        "default": "You accepted the default charging hours.",
        "custom": "Your charging hours are set.",
        "removed": "Default charging hours removed.",
    }[choice_sent]
    return await actions.run(
        url, owner_controls.set_default_hours(ctx, charger, choice_sent, parsed), done
    )


def _picked(start: str, end: str, days: list[str]) -> list[dict[str, Any]]:
    """One window from `start` to `end` (past midnight when the end is earlier) on each day."""
    if not days or any(d not in {str(n) for n in range(7)} for d in days):
        raise week.WindowsError("Pick at least one day", "days")
    if not _HHMM.match(start):
        raise week.WindowsError("Pick a start time, like 22:00", "start")
    if not _HHMM.match(end):
        raise week.WindowsError("Pick an end time, like 07:00", "end")
    return [{"weekday": int(d), "start": start, "end": end} for d in sorted(set(days))]
