"""/api/chargers/{identity}/firmware: the version running, the update's progress, and a signed
firmware update (R30)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from smartcharge.platform.api.access import Managed, Visible
from smartcharge.platform.api.auth import Api
from smartcharge.platform.api.commands import COMMAND_ERRORS
from smartcharge.platform.api.schemas import (
    FirmwareEventOut,
    FirmwareOut,
    FirmwareRequest,
    UpdateFoundOut,
)
from smartcharge.platform.services import firmware

router = APIRouter(tags=["firmware"])


@router.get("/api/chargers/{identity}/firmware", response_model=FirmwareOut)
async def firmware_state(charger: Visible, ctx: Api) -> FirmwareOut:
    """The firmware version from the last boot, the status notifications (newest first), and
    the newer version the charger's own update check found, if any (`charger_found`)."""
    state = await firmware.state(ctx, charger)
    found = state.found_as_dict()
    return FirmwareOut(
        charger_found=None if found is None else UpdateFoundOut(**found),
        identity=state.identity,
        firmware_version=state.firmware_version,
        events=[
            FirmwareEventOut(**{k: e[k] for k in FirmwareEventOut.model_fields})
            for e in state.events
        ],
    )


@router.post(
    "/api/chargers/{identity}/firmware", response_model=dict[str, Any], responses=COMMAND_ERRORS
)
async def update_firmware(body: FirmwareRequest, charger: Managed, ctx: Api) -> dict[str, Any]:
    """SignedUpdateFirmware: the charger checks the signature against the manufacturer's
    certificate before installing; progress arrives as SignedFirmwareStatusNotification (GET
    above). Returns the charger's answer and the request id."""
    return await firmware.update(ctx, charger, **body.model_dump())
