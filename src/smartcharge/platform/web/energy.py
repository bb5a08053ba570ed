"""Energy (issue 6 item 4; R10): every session of the last 12 months with its cost when a
tariff is set, totals per day / week / month / custom period and for the 12 months, monthly
bars, a session's power curve, and CSV of each view (the REST API's own CSV endpoints for the
totals, ours for the sessions table: it adds the duration and the cost the page shows)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from smartcharge.platform import reports
from smartcharge.platform.api.auth import Api
from smartcharge.platform.services import energy
from smartcharge.platform.services.errors import Invalid, ServiceError
from smartcharge.platform.web import charts
from smartcharge.platform.web.live import POWER
from smartcharge.platform.web.render import page
from smartcharge.platform.web.session import PageCaller

router = APIRouter()

Period = Literal["day", "week", "month", "custom"]
ChargerFilter = Annotated[str | None, Query(max_length=48, pattern=r"^[A-Za-z0-9._~-]*$")]


SESSION_CSV_COLUMNS = ["charger", "started_at", "stopped_at", "duration_s", "energy_wh", "cost_p"]


@router.get("/app/energy/sessions.csv")
async def sessions_csv(ctx: Api, who: PageCaller, charger: ChargerFilter = None) -> Response:
    """The sessions table as CSV, with the same columns as on the page (cost in pence, empty
    without a tariff; times in UTC)."""
    rows, _ = await energy.year_of_sessions(ctx, who, charger or None)
    for r in rows:
        if r["cost_p"] is not None:
            r["cost_p"] = round(r["cost_p"], 2)
    return Response(
        reports.to_csv(rows, SESSION_CSV_COLUMNS),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="sessions.csv"'},
    )


@router.get("/app/energy", response_class=HTMLResponse)
async def energy_page(
    request: Request,
    ctx: Api,
    who: PageCaller,
    period: Period = "month",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    charger: ChargerFilter = None,
) -> Response:
    """A custom period that cannot be shown is refused in words next to its fields, the form
    as typed, and no totals: never quietly replaced by the whole year."""
    charger = charger or None
    today = reports.uk_day(ctx.now())
    first, end = reports.last_12_months(today)
    problem = ""
    report = None
    try:
        start, stop = _day(since, "From"), _day(until, "Until")
        if period != "month" or start or stop:
            start = start or (today - timedelta(days=30))
            stop = stop or today + timedelta(days=1)
        else:
            start, stop = first, end
        start, stop = energy.period_range(ctx, start, stop)
        report = await energy.report(ctx, who, period, start, stop, charger)
        since, until = str(start), str(stop)
    except ServiceError as exc:
        problem = exc.message
    year = await energy.report(ctx, who, "month", first, end, charger if report else None)
    rows, tariffs = await energy.year_of_sessions(ctx, who, charger)
    shown: dict[str, Any] = {"period_problem": problem} if problem else {}
    query = {"since": str(since), "until": str(until)} | ({"charger": charger} if charger else {})
    monthly = charts.bars(
        [b.start.strftime("%b") for b in year.buckets],
        [b.energy_wh / 1000 for b in year.buckets],
        "Energy per month, last 12 months (kWh)",
        "kWh",
    )
    return page(
        request,
        "energy.html",
        who,
        422 if problem else 200,
        **shown,
        period=period,
        since=since,
        until=until,
        charger=charger,
        chargers=await ctx.store.history.chargers(who.scope),
        report=report,
        year=year,
        rows=rows,
        total_cost_p=sum(r["cost_p"] or 0 for r in rows) if tariffs else None,
        monthly=monthly,
        csv_sessions="/app/energy/sessions.csv"
        + ("?" + urlencode({"charger": charger}) if charger else ""),
        csv_report="/api/reports/energy?" + urlencode(query | {"period": period, "format": "csv"}),
        csv_year="/api/reports/energy/last-12-months?"
        + urlencode({"format": "csv"} | ({"charger": charger} if charger else {})),
    )


def _day(text: str, field: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Invalid(f"{field}: a date like 2026-01-31") from None


def _power_points(detail: dict[str, Any]) -> list[tuple[datetime, float]]:
    points = []
    for v in detail["meter_values"]:
        if v["measurand"] == POWER and v["phase"] is None:
            try:
                watts = float(v["value"]) * (1000 if v["unit"] == "kW" else 1)
            except ValueError:
                continue
            points.append((v["timestamp"], watts))
    return points


async def _session(session_id: int, ctx: Api, who: PageCaller) -> dict[str, Any]:
    if not 1 <= session_id <= 2**31 - 1:
        raise HTTPException(404, "no such session")
    return await energy.session(ctx, who, session_id)


@router.get("/app/sessions/{session_id}/power.csv")
async def power_csv(session_id: int, ctx: Api, who: PageCaller) -> Response:
    """The power curve's readings as CSV (time, watts)."""
    detail = await _session(session_id, ctx, who)
    rows = ({"timestamp": t, "power_w": w} for t, w in _power_points(detail))
    return Response(
        reports.to_csv(rows, ["timestamp", "power_w"]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="session-{session_id}-power.csv"'},
    )


@router.get("/app/sessions/{session_id}", response_class=HTMLResponse)
async def session_page(request: Request, session_id: int, ctx: Api, who: PageCaller) -> Response:
    detail = await _session(session_id, ctx, who)
    points = _power_points(detail)
    return page(
        request,
        "session.html",
        who,
        s=detail,
        curve=charts.curve(points, f"Power during session {detail['id']} (kW)"),
        points=len(points),
    )
