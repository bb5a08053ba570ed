"""Keeps every departure plan true (issue 13 item 1): once a minute (`run`), each charger with a
departure is planned again when

- its last plan is for a departure that has passed (a repeating plan moves to the next one),
- a session runs on its socket that the last plan did not know (the car arrived, perhaps
  late; compared by session, not by the charger's clock),
- its tariff, or its dynamic tariff's source, changed after the last plan, or
- the car takes clearly less power than the plan assumed (`SHORTFALL` of it, over the last
  `POWER_WINDOW` of a run): the plan is made again at the power the car really takes.

`tick` is one such pass at the clock's time: tests call it after moving the clock.
A charger that cannot be reached is tried again at the next tick (the charger keeps the last
plan it accepted meanwhile)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from smartcharge.platform.background import failed_pass
from smartcharge.platform.commands import CommandFailed
from smartcharge.platform.services.context import ServiceContext
from smartcharge.platform.services.departure_plans import replan, running_session
from smartcharge.platform.services.errors import Invalid

log = logging.getLogger("smartcharge.platform.plans")

INTERVAL_S = 60.0
SHORTFALL = 0.8
POWER_WINDOW = timedelta(minutes=5)
POWER = "Power.Active.Import"


async def tick(ctx: ServiceContext) -> list[tuple[int, str]]:
    """One pass; the (charger id, why) of each plan made again."""
    done = []
    for row in await ctx.store.owner_records.departures():
        why, measured = await _why_replan(ctx, row)
        if why is None:
            continue
        charger = str(row["identity"])
        try:
            await replan(ctx, row["charger_id"], charger, user_id=None, measured_kw=measured)
        except (CommandFailed, Invalid) as exc:
            log.warning("Replan failed charger=%s why=%s problem=%s", charger, why, exc)
            continue
        done.append((row["charger_id"], why))
    return done


async def run(ctx: ServiceContext, interval_s: float = INTERVAL_S) -> None:
    """`tick` forever (the platform's background task)."""
    while True:
        try:
            await tick(ctx)
        except Exception:  # one bad pass must not end the keeper
            failed_pass(log, "Plan keeper pass failed")
        await asyncio.sleep(interval_s)


async def _why_replan(ctx: ServiceContext, row: dict[str, Any]) -> tuple[str | None, float | None]:
    now = ctx.now()
    planned_at: datetime | None = row["planned_at"]
    if planned_at is None or row["departure"] is None or row["departure"] <= now:
        return "departure", None
    charger_id = row["charger_id"]
    tariff = await ctx.store.owner_records.tariff(charger_id)
    feed = await ctx.store.owner_records.feed(charger_id)
    if (tariff and tariff[2] > planned_at) or (feed and feed["set_at"] > planned_at):
        return "tariff", None
    session = await running_session(ctx, charger_id, row["connector_id"])
    if session is None:
        return None, None
    if session != row["session_id"]:
        return "arrival", None
    if row["power_kw"]:
        measured = await _recent_power_kw(ctx, session, now)
        if measured is not None and 0 < measured < SHORTFALL * row["power_kw"]:
            return "power", round(measured, 2)
    return None, None


async def _recent_power_kw(ctx: ServiceContext, session_id: int, now: datetime) -> float | None:
    """The mean power over the last `POWER_WINDOW` while energy flowed (readings of 0 W are
    the plan's pauses, not the car), or None with too few readings to say."""
    values = []
    for row in await ctx.store.history.meter_values(session_id):
        if row["measurand"] != POWER or row["phase"] is not None:
            continue
        if row["timestamp"] < now - POWER_WINDOW:
            continue
        try:
            watts = float(row["value"]) * (1000 if row["unit"] == "kW" else 1)
        except ValueError:
            continue
        if watts > 0:
            values.append(watts)
    if len(values) < 3:
        return None
    return sum(values) / len(values) / 1000
