"""Schedules: the owner's departure ("ready by 07:00 with 40 kWh, or 80 %, Mon-Fri", issue 13),
planned by `services.departure_plans` and held by the charger as the owner's schedule; the
weekly windows typed by hand (UK extension SetUserSchedule, an advanced option); the tariff
(typed bands, a fixed-window preset, or Octopus Agile) that prices sessions and plans; the
random-delay status. Workplace: administrator only (the charger checks `by` too). A form that
cannot be used comes back as typed, each problem next to its field."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from smartcharge.platform.api.auth import Api
from smartcharge.platform.commands import CommandFailed
from smartcharge.platform.services import (
    charging_plans,
    departure_plans,
    owner_controls,
    tariff_prices,
)
from smartcharge.platform.services.departures import DepartureError, parse_departure
from smartcharge.platform.services.errors import Invalid, ServiceError
from smartcharge.platform.services.tariffs.bands import TariffError, parse_tariff
from smartcharge.platform.services.tariffs.fixed import PRESETS, fixed_window_tariff
from smartcharge.platform.web import actions, charts, week
from smartcharge.platform.web.departure_form import departure_form
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
    return page(request, "schedule.html", charger.caller, **await _context(charger, ctx))


async def _context(charger: PageCharger, ctx: Api, **typed: Any) -> dict[str, Any]:
    data, unreadable = await charger_hours(charger, ctx)
    schedule = (data or {}).get("userSchedule") or None
    windows = week.windows_from_charger(schedule.get("windows")) if schedule else []
    tariff = await charging_plans.tariff(ctx, charger.id)
    departure = await ctx.store.owner_records.departure(charger.id)
    feed = await ctx.store.owner_records.feed(charger.id)
    connectors = sorted(int(n) for n in ((data or {}).get("connectors") or {"1": 0}))
    return {
        "identity": charger.identity,
        "unreadable": unreadable,
        "schedule": schedule,
        "windows": windows,
        "picture": charts.week(
            week.bars(windows), week.peak_bars(), "Your schedule (green) and peak hours (hatched)"
        ),
        "tariff": tariff[0] if tariff else None,
        "tariff_at": tariff[1] if tariff else None,
        "feed": feed,
        "presets": PRESETS,
        "departure": departure,
        "dep": departure_form(departure["spec"] if departure else None, typed.get("typed")),
        "sockets": connectors or [1],
        "errors": typed.get("errors", {}),
        "tariff_typed": typed.get("tariff_typed"),
        "agile_typed": typed.get("agile_typed"),
        "windows_typed": typed.get("windows_typed"),
        "weekdays": list(enumerate(WEEKDAY_NAMES)),
        "delay_max": (data or {}).get("randomisedDelayMaxSeconds"),
        "delays": [
            (n, c.get("random_delay_remaining_s") or 0)
            for n, c in sorted(((data or {}).get("connectors") or {}).items())
            if isinstance(c, dict)
        ],
    }


async def _send(charger: PageCharger, ctx: Api, windows: list[Any], limit_a: float | None) -> Any:
    """Through the service the REST API uses too (its admin check first)."""
    return await owner_controls.set_user_schedule(ctx, charger, windows, limit_a)


@router.post("/app/chargers/{identity}/schedule/departure", response_class=HTMLResponse)
async def set_departure(
    request: Request,
    charger: PageCharger,
    ctx: Api,
    at: Annotated[str, Form(max_length=5)] = "",
    on: Annotated[str, Form(max_length=10)] = "",
    power_kw: Annotated[str, Form(max_length=10)] = "",
    energy_kwh: Annotated[str, Form(max_length=10)] = "",
    target_soc: Annotated[str, Form(max_length=10)] = "",
    battery_kwh: Annotated[str, Form(max_length=10)] = "",
    connector: Annotated[str, Form(max_length=2)] = "1",
    override_hours: Annotated[str, Form(max_length=3)] = "",
    days: Annotated[list[str] | None, Form(max_length=7)] = None,
) -> Response:
    """Plan the departure and send it; a bad field comes back next to itself, as typed."""
    typed = {
        "at": at,
        "on": on,
        "power_kw": power_kw,
        "energy_kwh": energy_kwh,
        "target_soc": target_soc,
        "battery_kwh": battery_kwh,
        "connector": connector,
        "override_hours": bool(override_hours),
        "days": [d for d in days or [] if d.isdigit()],
    }
    try:
        dep = parse_departure(
            at=at,
            days=days or [],
            on=on,
            power_kw=power_kw,
            energy_kwh=energy_kwh,
            target_soc=target_soc,
            battery_kwh=battery_kwh,
            override_hours=bool(override_hours),
        )
        socket = int(connector) if connector.isdigit() else 0
        words = await departure_plans.set_departure(ctx, charger, dep, socket)
    except DepartureError as exc:
        context = await _context(charger, ctx, typed=typed, errors={exc.field: str(exc)})
        return page(request, "schedule.html", charger.caller, 422, **context)
    except (CommandFailed, ServiceError) as exc:
        return back(_url(charger.identity), problem=_problem(exc))
    return back(_url(charger.identity), done=f"Plan sent to the charger. {words}")


@router.post("/app/chargers/{identity}/schedule/departure/remove")
async def remove_departure(charger: PageCharger, ctx: Api) -> Response:
    url = _url(charger.identity)
    try:
        await departure_plans.remove_departure(ctx, charger)
    except (CommandFailed, ServiceError) as exc:
        return back(url, problem=_problem(exc))
    return back(url, done="Plan removed: the charger follows its charging hours again.")


def _problem(exc: CommandFailed | ServiceError) -> str:
    if isinstance(exc, CommandFailed):
        return actions.OUTCOME_WORDS.get(exc.outcome, exc.message)
    return f"Nothing changed: {exc.message}."


@router.post("/app/chargers/{identity}/schedule/windows", response_class=HTMLResponse)
async def set_windows(
    request: Request,
    charger: PageCharger,
    ctx: Api,
    windows: Annotated[str, Form(max_length=week.MAX_TYPED * 4)] = "",
    limit_a: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """The schedule typed by hand (or cleared: no windows); a bad line or limit comes back
    next to its field, as typed."""
    try:
        parsed = week.parse_typed(windows)
        limit = _limit(limit_a)
    except week.WindowsError as exc:
        typed = {"windows": windows, "limit_a": limit_a}
        context = await _context(charger, ctx, windows_typed=typed, errors={exc.field: str(exc)})
        return page(request, "schedule.html", charger.caller, 422, **context)
    done = "Your schedule is set." if parsed else "Your schedule is removed."
    return await actions.run(_url(charger.identity), _send(charger, ctx, parsed, limit), done)


def _limit(typed: str) -> float | None:
    """The schedule's optional limit in amps (an advanced option, as the charger takes it)."""
    if not typed.strip():
        return None
    try:
        limit = float(typed)
    except ValueError:
        limit = -1.0
    if not 0 <= limit <= MAX_LIMIT_A:  # NaN too
        raise week.WindowsError(f"A limit is 0 to {MAX_LIMIT_A} A, or empty", "limit_a")
    return limit


@router.post("/app/chargers/{identity}/tariff", response_class=HTMLResponse)
async def set_tariff(
    request: Request,
    charger: PageCharger,
    ctx: Api,
    base_p: Annotated[str, Form(max_length=10)] = "",
    bands: Annotated[str, Form(max_length=3000)] = "",
    preset: Annotated[str, Form(max_length=20)] = "",
    day_p: Annotated[str, Form(max_length=10)] = "",
    night_p: Annotated[str, Form(max_length=10)] = "",
    remove: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Typed bands over a base price, or a fixed-window preset (day and night prices)."""
    url = _url(charger.identity)
    try:
        charger.require_admin()
        if remove:
            await charging_plans.set_tariff(ctx, charger, None)
            return back(url, done="Tariff removed.")
        tariff = (
            fixed_window_tariff(preset, day_p, night_p) if preset else parse_tariff(base_p, bands)
        )
        await charging_plans.set_tariff(ctx, charger, tariff)
    except TariffError as exc:
        typed = {"base_p": base_p, "bands": bands, "preset": preset, "day_p": day_p}
        typed["night_p"] = night_p
        context = await _context(charger, ctx, tariff_typed=typed, errors={exc.field: str(exc)})
        return page(request, "schedule.html", charger.caller, 422, **context)
    except ServiceError as exc:
        return back(url, problem=exc.message)
    name = PRESETS[preset].name if preset else "time-of-use" if tariff.bands else "flat"
    return back(url, done=f"Tariff saved ({name}). Plans follow it from the next minute.")


@router.post("/app/chargers/{identity}/tariff/agile", response_class=HTMLResponse)
async def set_agile(
    request: Request,
    charger: PageCharger,
    ctx: Api,
    product: Annotated[str, Form(max_length=50)] = "",
    region: Annotated[str, Form(max_length=2)] = "",
    remove: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Octopus Agile's half-hourly prices, with the typed tariff behind unknown ones."""
    url = _url(charger.identity)
    try:
        if remove:
            await tariff_prices.remove_agile(ctx, charger)
            return back(url, done="Agile prices no longer used: your typed tariff applies.")
        chosen = await tariff_prices.set_agile(ctx, charger, product, region)
    except Invalid as exc:
        typed = {"product": product, "region": region}
        field = "region" if exc.message.startswith("region") else "product"
        context = await _context(charger, ctx, agile_typed=typed, errors={field: exc.message})
        return page(request, "schedule.html", charger.caller, 422, **context)
    except ServiceError as exc:
        return back(url, problem=exc.message)
    return back(url, done=f"Agile prices saved ({chosen.tariff_code}).")
