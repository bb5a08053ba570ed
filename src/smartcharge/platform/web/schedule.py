"""Schedules (issue 6 item 5): the owner's plan ("ready by 07:00 with 40 kWh on weekdays") turned
into the cheapest half-hours within the default charging hours under the owner's tariff, and
sent to the charger as its own schedule (UK extension SetUserSchedule: weekly windows and an
optional current limit); the tariff (flat or time-of-use) that prices sessions and plans; the
random-delay status. Workplace: administrator only (the charger checks `by` too)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from smartcharge.platform.api.auth import Api
from smartcharge.platform.commands import CommandFailed
from smartcharge.platform.services import charging_plans, owner_controls
from smartcharge.platform.services.errors import Invalid, ServiceError
from smartcharge.platform.services.schedule_planner import TariffError, parse_plan, parse_tariff
from smartcharge.platform.web import actions, charts, week
from smartcharge.platform.web.hours import charger_hours
from smartcharge.platform.web.render import back, page
from smartcharge.platform.web.session import PageCharger
from smartcharge.regulations.default_hours import WEEKDAY_NAMES

router = APIRouter()

MAX_LIMIT_A = 1000


def _url(identity: str) -> str:
    return f"/app/chargers/{identity}/schedule"


@router.get("/app/chargers/{identity}/schedule", response_class=HTMLResponse)
async def schedule_page(request: Request, charger: PageCharger, ctx: Api) -> Response:
    data, unreadable = await charger_hours(charger, ctx)
    schedule = (data or {}).get("userSchedule") or None
    windows = week.windows_from_charger(schedule.get("windows")) if schedule else []
    tariff = await charging_plans.tariff(ctx, charger.id)
    plan = await charging_plans.plan(ctx, charger.id)
    return page(
        request,
        "schedule.html",
        charger.caller,
        identity=charger.identity,
        unreadable=unreadable,
        schedule=schedule,
        windows=windows,
        picture=charts.week(
            week.bars(windows), week.peak_bars(), "Your schedule (green) and peak hours (hatched)"
        ),
        tariff=tariff[0] if tariff else None,
        tariff_at=tariff[1] if tariff else None,
        plan=plan[0] if plan else None,
        plan_at=plan[1] if plan else None,
        weekdays=list(enumerate(WEEKDAY_NAMES)),
        delay_max=(data or {}).get("randomisedDelayMaxSeconds"),
        delays=[
            (n, c.get("random_delay_remaining_s") or 0)
            for n, c in sorted(((data or {}).get("connectors") or {}).items())
            if isinstance(c, dict)
        ],
    )


async def _send(charger: PageCharger, ctx: Api, windows: list[Any], limit_a: float | None) -> Any:
    """Through the service the REST API uses too (its admin check first)."""
    return await owner_controls.set_user_schedule(ctx, charger, windows, limit_a)


@router.post("/app/chargers/{identity}/schedule/plan")
async def set_plan(
    charger: PageCharger,
    ctx: Api,
    ready_by: Annotated[str, Form(max_length=5)],
    energy_kwh: Annotated[str, Form(max_length=10)],
    power_kw: Annotated[str, Form(max_length=10)],
    days: Annotated[list[str] | None, Form(max_length=7)] = None,
) -> Response:
    """Plan the cheapest hours, send them; the plan is kept only once the charger accepted."""
    url = _url(charger.identity)
    try:
        plan = parse_plan(ready_by, energy_kwh, power_kw, days or [])
    except TariffError as exc:
        return back(url, problem=f"Nothing changed: {exc}.")
    data, unreadable = await charger_hours(charger, ctx)
    if data is None:
        return back(url, problem=f"Nothing changed: {unreadable}")
    try:
        answer = await charging_plans.send_plan(ctx, charger, plan, data)
    except Invalid as exc:
        return back(url, problem=f"Nothing changed: {exc.message}.")
    except ServiceError as exc:
        return back(url, problem=exc.message)
    except CommandFailed as exc:
        return back(url, problem=actions.OUTCOME_WORDS.get(exc.outcome, exc.message))
    if problem := actions.refused(answer):
        return back(url, problem=problem)
    return back(url, done=f"Plan sent to the charger: {plan.describe()}.")


@router.post("/app/chargers/{identity}/schedule/windows")
async def set_windows(
    charger: PageCharger,
    ctx: Api,
    windows: Annotated[str, Form(max_length=5000)] = "",
    limit_a: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """The schedule typed by hand (or cleared: no windows)."""
    url = _url(charger.identity)
    try:
        parsed = week.parse(windows)
        limit = float(limit_a) if limit_a.strip() else None
        if limit is not None and not 0 <= limit <= MAX_LIMIT_A:
            raise ValueError
    except week.WindowsError as exc:
        return back(url, problem=f"Nothing changed: {exc}.")
    except ValueError:
        return back(url, problem=f"Nothing changed: the limit is 0 to {MAX_LIMIT_A} A, or empty.")
    done = "Your schedule is set." if parsed else "Your schedule is removed."
    if not parsed:
        try:
            await charging_plans.forget_plan(ctx, charger)
        except ServiceError as exc:
            return back(url, problem=exc.message)
    return await actions.run(url, _send(charger, ctx, parsed, limit), done)


@router.post("/app/chargers/{identity}/tariff")
async def set_tariff(
    charger: PageCharger,
    ctx: Api,
    base_p: Annotated[str, Form(max_length=10)] = "",
    bands: Annotated[str, Form(max_length=3000)] = "",
    remove: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    url = _url(charger.identity)
    try:
        charger.require_admin()
    except ServiceError as exc:
        return back(url, problem=exc.message)
    if remove:
        await charging_plans.set_tariff(ctx, charger, None)
        return back(url, done="Tariff removed.")
    try:
        tariff = parse_tariff(base_p, bands)
    except TariffError as exc:
        return back(url, problem=f"Nothing changed: {exc}.")
    await charging_plans.set_tariff(ctx, charger, tariff)
    kind = "time-of-use" if tariff.bands else "flat"
    return back(url, done=f"Tariff saved ({kind}).")
