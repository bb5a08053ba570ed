"""/api/chargers/{identity}/default-hours and /overrides: the owner's controls (R15-R19, R25),
typed for the web app; /api/fleet/charging-profiles: one change across many chargers, with
start times spread by the platform and flagged as already randomised (R26)."""

from __future__ import annotations

import dataclasses

from fastapi import APIRouter

from smartcharge.platform.api.access import Managed, Visible
from smartcharge.platform.api.auth import Api, Operator
from smartcharge.platform.api.commands import COMMAND_ERRORS
from smartcharge.platform.api.schemas import (
    ConnectorRequest,
    DefaultHoursRequest,
    ExtensionAnswer,
    FleetProfileRequest,
    FleetResult,
    SkipDelayRequest,
    UserScheduleRequest,
)
from smartcharge.platform.services import fleet, owner_controls

router = APIRouter(tags=["schedules and overrides"])


@router.get(
    "/api/chargers/{identity}/default-hours",
    response_model=ExtensionAnswer,
    responses=COMMAND_ERRORS,
)
async def get_default_hours(charger: Visible, ctx: Api) -> ExtensionAnswer:
    """The charger's default charging hours, whether and when they were answered, and its
    random-delay maximum (asked from the charger: it is the one source of truth)."""
    return ExtensionAnswer(**await owner_controls.default_hours(ctx, charger))


@router.put(
    "/api/chargers/{identity}/default-hours",
    response_model=ExtensionAnswer,
    responses=COMMAND_ERRORS,
)
async def set_default_hours(
    body: DefaultHoursRequest, charger: Managed, ctx: Api
) -> ExtensionAnswer:
    """Accept the defaults, set custom windows (UK clock time) or remove them (R15, R16).
    A workplace charger takes this from an administrator only."""
    windows = [w.model_dump() for w in body.windows]
    return ExtensionAnswer(
        **await owner_controls.set_default_hours(ctx, charger, body.mode, windows)
    )


@router.get(
    "/api/chargers/{identity}/user-schedule",
    response_model=ExtensionAnswer,
    responses=COMMAND_ERRORS,
)
async def get_user_schedule(charger: Visible, ctx: Api) -> ExtensionAnswer:
    """The owner's own plan as the charger holds it (null: none)."""
    return ExtensionAnswer(**await owner_controls.user_schedule(ctx, charger))


@router.put(
    "/api/chargers/{identity}/user-schedule",
    response_model=ExtensionAnswer,
    responses=COMMAND_ERRORS,
)
async def set_user_schedule(
    body: UserScheduleRequest, charger: Managed, ctx: Api
) -> ExtensionAnswer:
    """The owner's own plan: charge only inside these weekly windows (UK clock time), at most
    `limit_a` there; it only narrows what the default hours allow. No windows: removed."""
    windows = [w.model_dump() for w in body.windows]
    return ExtensionAnswer(
        **await owner_controls.set_user_schedule(ctx, charger, windows, body.limit_a)
    )


@router.post(
    "/api/chargers/{identity}/overrides/charge-now",
    response_model=ExtensionAnswer,
    responses=COMMAND_ERRORS,
)
async def charge_now(body: ConnectorRequest, charger: Visible, ctx: Api) -> ExtensionAnswer:
    """Charge now, outside the default hours and the owner's plan, for the session on this
    connector (R18). A workplace charger takes it from an administrator only."""
    return ExtensionAnswer(**await owner_controls.charge_now(ctx, charger, body.connector_id))


@router.post(
    "/api/chargers/{identity}/overrides/skip-delay",
    response_model=ExtensionAnswer,
    responses=COMMAND_ERRORS,
)
async def skip_delay(body: SkipDelayRequest, charger: Visible, ctx: Api) -> ExtensionAnswer:
    """Skip the random delay running now, or for the rest of the session (R25)."""
    answer = await owner_controls.skip_delay(ctx, charger, body.connector_id, session=body.session)
    return ExtensionAnswer(**answer)


@router.post("/api/fleet/charging-profiles", response_model=list[FleetResult])
async def fleet_profile(body: FleetProfileRequest, ctx: Api, who: Operator) -> list[FleetResult]:
    """Send one charging profile (a tariff step, a fleet schedule) to many chargers, in
    parallel (at most 64 at once). The platform spreads the start times over [0, spread_s]
    itself and tells each charger, through ProfileFlags, that the start is already randomised,
    so the charger adds no delay of its own (R26). Each charger's outcome is listed; nothing
    is retried."""
    fleet.profile_start(ctx, body.charging_profile, body.connector_id)  # 422 before lookups
    targets = await fleet.resolve_targets(ctx, who, body.chargers, body.group)
    outcomes = await fleet.send_profile(
        ctx,
        who,
        targets,
        body.charging_profile,
        connector_id=body.connector_id,
        cause=body.cause,
        spread_s=body.spread_s,
    )
    return [FleetResult(**dataclasses.asdict(o)) for o in outcomes]
