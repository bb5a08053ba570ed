"""/api/chargers/{identity}/departure: the owner's departure ("ready by 07:00 with 40 kWh on
weekdays", or 80 % of the battery) planned by the platform's planner (`services.planner`,
through `services.departure_plans`: the cheapest slots inside the default hours with room for
the random delay) and sent to the charger as its schedule — the same service the web app's
schedule page uses (docs/tariffs-and-plans.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, status

from smartcharge.platform.api.access import Managed, Visible
from smartcharge.platform.api.auth import Api
from smartcharge.platform.api.commands import COMMAND_ERRORS
from smartcharge.platform.api.schemas import DepartureOut, DepartureRequest
from smartcharge.platform.services import departure_plans
from smartcharge.platform.services.departures import DepartureError, parse_departure
from smartcharge.platform.services.errors import Invalid

router = APIRouter(tags=["schedules and overrides"])


def _out(row: dict[str, Any], promise: str | None = None) -> DepartureOut:
    spec, set_at = row["spec"], row["set_at"]
    promise = promise if promise is not None else row.get("promise")
    return DepartureOut(
        connector_id=row["connector_id"], departure=spec, set_at=set_at, promise=promise
    )


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


@router.get("/api/chargers/{identity}/departure", response_model=DepartureOut)
async def get_departure(charger: Visible, ctx: Api) -> DepartureOut:
    """The departure the owner set (404: none)."""
    row = await ctx.store.owner_records.departure(charger.id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no departure set on {charger.identity}")
    return _out(row)


@router.put(
    "/api/chargers/{identity}/departure", response_model=DepartureOut, responses=COMMAND_ERRORS
)
async def set_departure(body: DepartureRequest, charger: Managed, ctx: Api) -> DepartureOut:
    """Keep the departure and plan it at once; `promise` says what the plan delivers (or why
    it falls short). Either `days` or `on`; either `energy_kwh` or `target_soc` with
    `battery_kwh`."""
    try:  # the same checks as the web app's form, field by field
        dep = parse_departure(
            at=body.at,
            days=[str(d) for d in body.days],
            on=body.on.isoformat() if body.on else "",
            power_kw=_number(body.power_kw),
            energy_kwh=_number(body.energy_kwh),
            target_soc="" if body.target_soc is None else str(body.target_soc),
            battery_kwh=_number(body.battery_kwh),
            override_hours=body.override_hours,
        )
    except DepartureError as exc:
        raise Invalid(f"{exc.field}: {exc}") from None
    promise = await departure_plans.set_departure(ctx, charger, dep, body.connector_id)
    row = await ctx.store.owner_records.departure(charger.id)
    if row is None:  # a one-off departure already past: planned away at once, nothing kept
        raise Invalid("on: that departure has already passed")
    return _out(row, promise)


@router.delete(
    "/api/chargers/{identity}/departure",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=COMMAND_ERRORS,
)
async def remove_departure(charger: Managed, ctx: Api) -> None:
    """No plan any more: the charger's plan profile is cleared first (a charger offline keeps
    the plan here: 409, try again)."""
    await departure_plans.remove_departure(ctx, charger)
