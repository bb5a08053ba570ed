"""The numbers of a running session for its card: energy so far (kWh), cost so far at the price
in force in each half-hour, how long it has run, the car's state of charge when it reports one,
and the last half-hour of power readings for the live chart. Each is one small query (a card is
rendered every few seconds while a page is open): never the whole session's readings."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from smartcharge.platform.services.context import ServiceContext
from smartcharge.platform.services.tariff_prices import prices_for
from smartcharge.platform.services.tariffs.cost import session_cost_p

POWER = "Power.Active.Import"
CHART_WINDOW = timedelta(minutes=30)


@dataclass
class SessionNumbers:
    energy_wh: float = 0.0
    cost_p: float | None = None
    duration_s: float = 0.0
    soc: float | None = None
    power_points: list[tuple[datetime, float]] = field(default_factory=list)


def _number(row: Any) -> float | None:
    try:
        value = float(row["value"])
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


async def session_numbers(
    ctx: ServiceContext, charger_id: int, session: dict[str, Any], now: datetime
) -> SessionNumbers:
    out = SessionNumbers(energy_wh=float(session.get("energy_wh") or 0.0))
    tx = int(session["id"])
    started = session.get("started_at")
    for row in await ctx.store.history.recent_readings(tx, POWER, now - CHART_WINDOW):
        value = _number(row)
        if value is not None:
            out.power_points.append(
                (row["timestamp"], value * (1000 if row["unit"] == "kW" else 1))
            )
    soc = await ctx.store.history.last_reading(tx, "SoC")
    value = _number(soc) if soc is not None else None
    if value is not None and 0 <= value <= 100:
        out.soc = value
    if started is not None:
        out.duration_s = max(0.0, (now - started).total_seconds())
        prices = await prices_for(ctx, charger_id, started, now + timedelta(minutes=1))
        if prices.fallback is not None or prices.dynamic:
            # the session record gives its energy so far, spread over its half-hours
            out.cost_p = session_cost_p(prices.price, started, now, out.energy_wh)
    return out
