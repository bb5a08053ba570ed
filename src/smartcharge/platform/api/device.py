"""/api/chargers/{identity}/device-info and /factory-reset: who the charger says it is (R38)
and the owner's "wipe your personal data" (R35), through the UK extensions GetDeviceInfo and
FactoryReset (docs/ocpp-extensions.md)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from smartcharge.ocpp import uk_extension
from smartcharge.platform.api.access import Visible
from smartcharge.platform.api.auth import Api
from smartcharge.platform.api.commands import COMMAND_ERRORS
from smartcharge.platform.api.schemas import ExtensionAnswer
from smartcharge.platform.services.owner_controls import ask_charger, requester

router = APIRouter(tags=["device"])

WIPE_ROLES = frozenset({"owner", "workplace_admin"})
"""Whose data it is: the owner's, or on a workplace charger the site's administrator. Not an
operator's (a charger handed back is the owner's to wipe, or reset on site)."""


@router.get(
    "/api/chargers/{identity}/device-info",
    response_model=ExtensionAnswer,
    responses=COMMAND_ERRORS,
)
async def device_info(charger: Visible, ctx: Api) -> ExtensionAnswer:
    """The charger's own vendor, model, software version running, support period and
    vulnerability-reporting contact (`supportUntil`, `vulnerabilityContact`: null when the
    manufacturer did not set them)."""
    return ExtensionAnswer(**await ask_charger(ctx, charger, uk_extension.GET_DEVICE_INFO, {}))


@router.post(
    "/api/chargers/{identity}/factory-reset",
    response_model=ExtensionAnswer,
    responses=COMMAND_ERRORS,
)
async def factory_reset(charger: Visible, ctx: Api) -> ExtensionAnswer:
    """Tell the charger to wipe its personal data (sessions, id tags, the owner's settings) and
    restart; it keeps its device secret and its security log. `Rejected` with `data.error`
    while a session runs (nothing changes). Owner or workplace administrator only."""
    if charger.caller.role not in WIPE_ROLES:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "only the owner or the site's administrator may wipe it"
        )
    data = {"by": requester(charger)}
    return ExtensionAnswer(**await ask_charger(ctx, charger, uk_extension.FACTORY_RESET, data))
