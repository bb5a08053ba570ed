"""Sessions and energy (R10): the caller's sessions in a period, reports per UK day, ISO week
or month (or one total for a custom period), one session with its meter values, and the last
12 months of sessions with their cost under each charger's tariff."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from smartcharge.platform import reports
from smartcharge.platform.services import charging_plans
from smartcharge.platform.services.access import Caller
from smartcharge.platform.services.context import ServiceContext
from smartcharge.platform.services.errors import Invalid, NotFound
from smartcharge.platform.services.tariffs.bands import Tariff
from smartcharge.platform.services.tariffs.cost import session_cost_p

MAX_DAYS = 3 * 366
PERIODS = ("day", "week", "month", "custom")


@dataclass(frozen=True)
class Report:
    period: str
    since: date
    until: date
    charger: str | None
    buckets: list[reports.Bucket] = field(default_factory=list)

    @property
    def sessions(self) -> int:
        return sum(b.sessions for b in self.buckets)

    @property
    def energy_wh(self) -> float:
        return sum(b.energy_wh for b in self.buckets)


def period_range(ctx: ServiceContext, since: date | None, until: date | None) -> tuple[date, date]:
    """[since, until) in UK days; by default the 31 days up to today."""
    today = reports.uk_day(ctx.now())
    until = until or today + timedelta(days=1)
    since = since or until - timedelta(days=31)
    if until <= since:
        raise Invalid("until must be after since")
    if (until - since).days > MAX_DAYS:
        raise Invalid(f"at most {MAX_DAYS} days at a time")
    return since, until


async def sessions_in(
    ctx: ServiceContext, who: Caller, since: date, until: date, identity: str | None
) -> list[dict[str, Any]]:
    """The caller's sessions that started in the UK days [since, until); `NotFound` for a
    charger filter naming a charger the caller does not see."""
    if identity is not None and await ctx.store.history.charger(who.scope, identity) is None:
        raise NotFound(f"no charger {identity}")
    return await ctx.store.history.sessions(
        who.scope,
        since=reports.uk_midnight(since),
        until=reports.uk_midnight(until),
        identity=identity,
    )


async def report(
    ctx: ServiceContext, who: Caller, period: str, since: date, until: date, charger: str | None
) -> Report:
    """Energy and session counts per bucket; a session counts where it started."""
    if period not in PERIODS:
        raise Invalid(f"period is one of {', '.join(PERIODS)}")
    rows = await sessions_in(ctx, who, since, until, charger)
    if period == "custom":
        found = [reports.Bucket(since, until, len(rows), sum(r["energy_wh"] for r in rows))]
    else:
        found = reports.buckets(rows, period, since, until)
    return Report(period, since, until, charger, found)


async def last_12_months(ctx: ServiceContext, who: Caller, charger: str | None) -> Report:
    """This month and the 11 before it, per month."""
    since, until = reports.last_12_months(reports.uk_day(ctx.now()))
    return await report(ctx, who, "month", since, until, charger)


async def session(ctx: ServiceContext, who: Caller, session_id: int) -> dict[str, Any]:
    """One session the caller may see, with every meter value it has (`meter_values`)."""
    row = await ctx.store.history.session(who.scope, session_id)
    if row is None:
        raise NotFound(f"no session {session_id}")
    values = await ctx.store.history.meter_values(session_id)
    return {**row, "meter_values": [dict(v) for v in values]}


async def year_of_sessions(
    ctx: ServiceContext, who: Caller, charger: str | None
) -> tuple[list[dict[str, Any]], dict[str, Tariff]]:
    """The last 12 months of sessions, each with its duration (None while running) and its
    cost under the charger's tariff (None without one); and the tariffs used."""
    first, end = reports.last_12_months(reports.uk_day(ctx.now()))
    rows = await ctx.store.history.sessions(
        who.scope,
        since=reports.uk_midnight(first),
        until=reports.uk_midnight(end),
        identity=charger,
    )
    tariffs = await charging_plans.tariffs_of(ctx, who, (r["charger"] for r in rows))
    for r in rows:
        t = tariffs.get(r["charger"])
        started, stopped = r["started_at"], r["stopped_at"]
        r["cost_p"] = (
            session_cost_p(t.price, started, stopped, r["energy_wh"])
            if t is not None and started is not None
            else None
        )
        r["duration_s"] = (
            (stopped - started).total_seconds()
            if stopped is not None and started is not None
            else None
        )
    return rows, tariffs
