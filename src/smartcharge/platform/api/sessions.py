"""/api/sessions and /api/reports: charging sessions with their energy, and energy reports
(day / week / month, a custom period, the last 12 months), as JSON or CSV (R10)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from smartcharge.platform import reports
from smartcharge.platform.api.auth import Api, CallerDep
from smartcharge.platform.api.schemas import (
    BucketOut,
    EnergyReport,
    MeterValueOut,
    RowId,
    SessionDetail,
    SessionOut,
)
from smartcharge.platform.services import energy

router = APIRouter(tags=["sessions and reports"])

Format = Annotated[Literal["json", "csv"], Query(description="json (default) or csv")]
ChargerFilter = Annotated[
    str | None,
    Query(min_length=1, max_length=48, pattern=r"^[A-Za-z0-9._~-]+$", description="one charger"),
]
CSV_SESSION_COLUMNS = list(SessionOut.model_fields)
CSV_REPORT_COLUMNS = ["start", "end", "sessions", "energy_wh"]


def _csv(text: str, name: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
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
    since, until = energy.period_range(ctx, since, until)
    rows = await energy.sessions_in(ctx, who, since, until, charger)
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
    found = await energy.session(ctx, who, session_id)
    return SessionDetail(
        **{k: found[k] for k in SessionOut.model_fields},
        meter_values=[MeterValueOut(**v) for v in found["meter_values"]],
    )


def _report_out(report: energy.Report, format: str) -> Any:
    buckets = [
        BucketOut(start=str(b.start), end=str(b.end), sessions=b.sessions, energy_wh=b.energy_wh)
        for b in report.buckets
    ]
    if format == "csv":
        return _csv(
            reports.to_csv((b.model_dump() for b in buckets), CSV_REPORT_COLUMNS),
            f"energy-{report.period}-{report.since}-{report.until}",
        )
    return EnergyReport(
        period=report.period,  # type: ignore[arg-type]
        since=str(report.since),
        until=str(report.until),
        charger=report.charger,
        sessions=report.sessions,
        energy_wh=report.energy_wh,
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
    since, until = energy.period_range(ctx, since, until)
    return _report_out(await energy.report(ctx, who, period, since, until, charger), format)


@router.get(
    "/api/reports/energy/last-12-months",
    response_model=EnergyReport,
    responses={200: {"content": {"text/csv": {}}}},
)
async def last_12_months(
    ctx: Api, who: CallerDep, charger: ChargerFilter = None, format: Format = "json"
) -> Any:
    """This month and the 11 before it, per month."""
    return _report_out(await energy.last_12_months(ctx, who, charger), format)
