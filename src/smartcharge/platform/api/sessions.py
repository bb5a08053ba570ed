"""/api/sessions and /api/reports: charging sessions with their energy, and energy reports
(day / week / month, a custom period, the last 12 months), as JSON or CSV (R10)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response, status

from smartcharge.platform import reports
from smartcharge.platform.api.auth import Api, Caller, CallerDep
from smartcharge.platform.api.context import ApiContext
from smartcharge.platform.api.schemas import (
    BucketOut,
    EnergyReport,
    MeterValueOut,
    RowId,
    SessionDetail,
    SessionOut,
)

router = APIRouter(tags=["sessions and reports"])

Format = Annotated[Literal["json", "csv"], Query(description="json (default) or csv")]
ChargerFilter = Annotated[
    str | None,
    Query(min_length=1, max_length=48, pattern=r"^[A-Za-z0-9._~-]+$", description="one charger"),
]
MAX_DAYS = 3 * 366
CSV_SESSION_COLUMNS = list(SessionOut.model_fields)
CSV_REPORT_COLUMNS = ["start", "end", "sessions", "energy_wh"]


def _csv(text: str, name: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _range(since: date | None, until: date | None, ctx: ApiContext) -> tuple[date, date]:
    today = reports.uk_day(ctx.now())
    until = until or today + timedelta(days=1)
    since = since or until - timedelta(days=31)
    if until <= since:
        raise HTTPException(422, "until must be after since")
    if (until - since).days > MAX_DAYS:
        raise HTTPException(422, f"at most {MAX_DAYS} days at a time")
    return since, until


async def _sessions_in(
    ctx: ApiContext, who: Caller, since: date, until: date, identity: str | None
) -> list[dict[str, Any]]:
    """The caller's sessions that started in the UK days [since, until); 404 for a charger
    filter naming a charger the caller does not see."""
    if identity is not None and await ctx.store.history.charger(who.scope, identity) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no charger {identity}")
    return await ctx.store.history.sessions(
        who.scope,
        since=reports.uk_midnight(since),
        until=reports.uk_midnight(until),
        identity=identity,
    )


@router.get(
    "/api/sessions",
    response_model=list[SessionOut],
    responses={200: {"content": {"text/csv": {}}}},
)
async def list_sessions(
    ctx: Api,
    who: CallerDep,
    since: Annotated[date | None, Query(description="first UK day (default: 31 days ago)")] = None,
    until: Annotated[
        date | None, Query(description="day after the last (default: tomorrow)")
    ] = None,
    charger: ChargerFilter = None,
    format: Format = "json",
) -> Any:
    """Sessions that started in the period on the chargers the caller sees, newest first, with
    `energy_wh` (so far, for one still running)."""
    since, until = _range(since, until, ctx)
    rows = await _sessions_in(ctx, who, since, until, charger)
    out = [SessionOut(**{k: r[k] for k in SessionOut.model_fields}) for r in rows]
    if format == "csv":
        return _csv(
            reports.to_csv((o.model_dump() for o in out), CSV_SESSION_COLUMNS),
            f"sessions-{since}-{until}",
        )
    return out


@router.get("/api/sessions/{session_id}", response_model=SessionDetail)
async def get_session(session_id: RowId, ctx: Api, who: CallerDep) -> SessionDetail:
    """One session with every meter value it has (the power curve)."""
    row = await ctx.store.history.session(who.scope, session_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no session {session_id}")
    values = await ctx.store.history.meter_values(session_id)
    return SessionDetail(
        **{k: row[k] for k in SessionOut.model_fields},
        meter_values=[MeterValueOut(**dict(v)) for v in values],
    )


async def _report(
    ctx: ApiContext,
    who: Caller,
    period: str,
    since: date,
    until: date,
    charger: str | None,
    format: str,
) -> Any:
    rows = await _sessions_in(ctx, who, since, until, charger)
    if period == "custom":
        total = sum(r["energy_wh"] for r in rows)
        found = [reports.Bucket(since, until, len(rows), total)]
    else:
        found = reports.buckets(rows, period, since, until)
    buckets = [
        BucketOut(start=str(b.start), end=str(b.end), sessions=b.sessions, energy_wh=b.energy_wh)
        for b in found
    ]
    if format == "csv":
        return _csv(
            reports.to_csv((b.model_dump() for b in buckets), CSV_REPORT_COLUMNS),
            f"energy-{period}-{since}-{until}",
        )
    return EnergyReport(
        period=period,  # type: ignore[arg-type]
        since=str(since),
        until=str(until),
        charger=charger,
        sessions=sum(b.sessions for b in buckets),
        energy_wh=sum(b.energy_wh for b in buckets),
        buckets=buckets,
    )


@router.get(
    "/api/reports/energy",
    response_model=EnergyReport,
    responses={200: {"content": {"text/csv": {}}}},
)
async def energy_report(
    ctx: Api,
    who: CallerDep,
    period: Annotated[
        Literal["day", "week", "month", "custom"],
        Query(description="bucket size; custom: one total for the whole period"),
    ] = "day",
    since: Annotated[date | None, Query(description="first UK day")] = None,
    until: Annotated[date | None, Query(description="day after the last")] = None,
    charger: ChargerFilter = None,
    format: Format = "json",
) -> Any:
    """Energy and session counts per UK day, ISO week (from Monday) or month, or for a custom
    period; a session counts where it started."""
    since, until = _range(since, until, ctx)
    return await _report(ctx, who, period, since, until, charger, format)


@router.get(
    "/api/reports/energy/last-12-months",
    response_model=EnergyReport,
    responses={200: {"content": {"text/csv": {}}}},
)
async def last_12_months(
    ctx: Api, who: CallerDep, charger: ChargerFilter = None, format: Format = "json"
) -> Any:
    """This month and the 11 before it, per month."""
    since, until = reports.last_12_months(reports.uk_day(ctx.now()))
    return await _report(ctx, who, "month", since, until, charger, format)
