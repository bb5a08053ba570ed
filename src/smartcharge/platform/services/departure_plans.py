"""The owner's departure on one charger, planned and sent (issue 13 item 1).

`set_departure` keeps what the owner asked for and plans at once; `replan` plans again from
what is true now: the charger's own state (its default hours in force, random-delay maximum,
the connector's status and limit: one GetChargingState), the car's reported charge, the price
in force in each half-hour (`tariff_prices`), and the power the car really takes. The plan goes
to the charger as a TxDefaultProfile with ProfileFlags cause `user_schedule`
(`departure_profile`), so it holds through a network loss. `plan_keeper` calls `replan` when
the car arrives, the tariff changes, the car takes less power, or a departure passes.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from datetime import date, datetime, time
from typing import Any

from smartcharge.ocpp import uk_extension
from smartcharge.platform.services import departure_profile
from smartcharge.platform.services.access import ChargerAccess
from smartcharge.platform.services.context import ServiceContext
from smartcharge.platform.services.departures import (
    Departure,
    energy_needed,
    next_departure,
    plan_start,
    promise,
)
from smartcharge.platform.services.errors import Invalid
from smartcharge.platform.services.planner import PlanError, plan
from smartcharge.platform.services.tariff_prices import prices_for
from smartcharge.regulations import WeeklySchedule, intervals
from smartcharge.regulations.calendar import UK_TZ

FULL_CURRENT_A = 80.0
"""The plan's limit inside a run: more than any home charger gives, so the charger's own limit
(hardware, installation, R8) is what applies there; the plan only says when."""
IN_SESSION = ("Charging", "SuspendedEV", "SuspendedEVSE")


def to_spec(dep: Departure) -> dict[str, Any]:
    spec = asdict(dep)
    spec["at"] = f"{dep.at:%H:%M}"
    spec["on"] = dep.on.isoformat() if dep.on else None
    spec["days"] = list(dep.days)
    return spec


def from_spec(spec: dict[str, Any]) -> Departure:
    return Departure(
        at=time.fromisoformat(spec["at"]),
        days=tuple(int(d) for d in spec["days"]),
        on=date.fromisoformat(spec["on"]) if spec.get("on") else None,
        power_kw=float(spec["power_kw"]),
        energy_kwh=spec.get("energy_kwh"),
        target_soc=spec.get("target_soc"),
        battery_kwh=spec.get("battery_kwh"),
        override_hours=bool(spec.get("override_hours")),
    )


async def set_departure(
    ctx: ServiceContext, charger: ChargerAccess, dep: Departure, connector_id: int
) -> str:
    """Keep the owner's departure and plan it now; the promise (or warning) in words."""
    charger.require_admin()
    if not 1 <= connector_id <= 10:
        raise Invalid("pick a socket")
    await ctx.store.owner_records.set_departure(
        charger.id, connector_id, to_spec(dep), at=ctx.now()
    )
    return await replan(ctx, charger.id, charger.identity, user_id=charger.user_id)


async def remove_departure(ctx: ServiceContext, charger: ChargerAccess) -> None:
    """No plan any more: the charger's plan profile is cleared (sent first: if the charger is
    offline the plan stays, and the owner is told)."""
    charger.require_admin()
    row = await ctx.store.owner_records.departure(charger.id)
    if row is None:
        return
    await ctx.commander.send(
        charger.identity,
        charger.id,
        "ClearChargingProfile",
        departure_profile.clear_charging_profile(row["connector_id"]),
        user_id=charger.user_id,
    )
    await ctx.store.owner_records.remove_departure(charger.id)


async def replan(
    ctx: ServiceContext,
    charger_id: int,
    identity: str,
    *,
    user_id: int | None,
    measured_kw: float | None = None,
) -> str:
    """Plan the next departure from now and send it; the promise in words, also kept."""
    row = await ctx.store.owner_records.departure(charger_id)
    if row is None:
        return ""
    dep, connector = from_spec(row["spec"]), int(row["connector_id"])
    now = ctx.now()
    departure = next_departure(dep, now)
    if departure is None:  # a one-off that has passed: done
        await ctx.store.owner_records.remove_departure(charger_id)
        return ""
    answer = await ctx.commander.uk(
        identity, charger_id, uk_extension.GET_CHARGING_STATE, {}, user_id=user_id
    )
    data = answer.get("data")
    state: dict[str, Any] = data if isinstance(data, dict) else {}
    start = plan_start(departure, now)
    hours = (state.get("defaultHours") or {}).get("inForce")
    allowed = None
    if hours is not None and not dep.override_hours:
        allowed = intervals(WeeklySchedule.from_records(hours), start, departure)
    entry = (state.get("connectors") or {}).get(str(connector)) or {}
    session = await running_session(ctx, charger_id, connector)
    soc = await _last_soc(ctx, session)
    energy, note = energy_needed(dep, soc)
    power_kw = measured_kw if measured_kw is not None else dep.power_kw
    prices = await prices_for(ctx, charger_id, start, departure)
    if energy <= 0.05:
        words = f"Already charged to {soc:.0f} %: nothing to add before {_clock(departure)}."
        await _clear(ctx, identity, charger_id, connector, user_id)
    else:
        try:
            made = plan(
                start=start,
                departure=departure,
                energy_kwh=energy,
                power_kw=power_kw,
                delay_max_s=int(state.get("randomisedDelayMaxSeconds") or 0),
                allowed=allowed,
                price_at=prices.price,
                charging_now=entry.get("status") == "Charging" and bool(entry.get("limit_a")),
            )
            request = departure_profile.set_charging_profile(made, connector, FULL_CURRENT_A)
        except PlanError as exc:
            raise Invalid(str(exc)) from None
        flags = departure_profile.profile_flags(connector)
        await ctx.commander.uk(
            identity, charger_id, uk_extension.PROFILE_FLAGS, flags, user_id=user_id
        )
        await ctx.commander.send(
            identity, charger_id, "SetChargingProfile", request, user_id=user_id
        )
        words = promise(made, dep, soc)
        unknown = prices.unknown_from(start, departure)
        if unknown is not None:
            words += f" (prices unknown from {_clock(unknown)}: planned with your typed prices)"
    if note:
        words += f" ({note})"
    await ctx.store.owner_records.planned(
        charger_id,
        planned_at=now,
        departure=departure,
        power_kw=power_kw,
        session_id=session,
        promise=words,
    )
    return words


async def _clear(
    ctx: ServiceContext, identity: str, charger_id: int, connector: int, user_id: int | None
) -> None:
    await ctx.commander.send(
        identity,
        charger_id,
        "ClearChargingProfile",
        departure_profile.clear_charging_profile(connector),
        user_id=user_id,
    )


async def running_session(ctx: ServiceContext, charger_id: int, connector: int) -> int | None:
    """The session running on the connector, as the platform recorded it (None: none)."""
    for row in reversed(await ctx.store.transactions.of_charger(charger_id)):
        if row["connector_id"] == connector:
            return int(row["id"]) if row["stopped_at"] is None else None
    return None


async def _last_soc(ctx: ServiceContext, transaction_id: int | None) -> float | None:
    """The car's last reported state of charge in this session (SoC measurand), if any."""
    if transaction_id is None:
        return None
    for row in reversed(await ctx.store.history.meter_values(transaction_id)):
        if row["measurand"] == "SoC":
            try:
                value = float(row["value"])
            except ValueError:
                return None
            return value if math.isfinite(value) and 0 <= value <= 100 else None
    return None


def _clock(when: datetime) -> str:
    return when.astimezone(UK_TZ).strftime("%H:%M")
