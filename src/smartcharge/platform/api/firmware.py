"""/api/chargers/{identity}/firmware: the version running, the update's progress, and a signed
firmware update (R30)."""

from __future__ import annotations

import dataclasses
import secrets
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
from smartcharge.platform.handlers.context import iso
from smartcharge.platform.handlers.uk_extensions import latest_update_found

router = APIRouter(tags=["firmware"])


@router.get("/api/chargers/{identity}/firmware", response_model=FirmwareOut)
async def firmware(charger: Visible, ctx: Api) -> FirmwareOut:
    """The firmware version from the last boot, the status notifications (newest first), and
    the newer version the charger's own update check found, if any (`charger_found`)."""
    row = await ctx.store.history.charger(charger.caller.scope, charger.identity)
    assert row is not None
    events = await ctx.store.history.firmware_events(charger.id)
    found = await latest_update_found(ctx.store.engine, charger.id)
    return FirmwareOut(
        charger_found=None if found is None else UpdateFoundOut(**dataclasses.asdict(found)),
        identity=charger.identity,
        firmware_version=row["firmware_version"],
        events=[
            FirmwareEventOut(**{k: e[k] for k in FirmwareEventOut.model_fields}) for e in events
        ],
    )


@router.post(
    "/api/chargers/{identity}/firmware", response_model=dict[str, Any], responses=COMMAND_ERRORS
)
async def update_firmware(body: FirmwareRequest, charger: Managed, ctx: Api) -> dict[str, Any]:
    """SignedUpdateFirmware: the charger checks the signature against the manufacturer's
    certificate before installing; progress arrives as SignedFirmwareStatusNotification (GET
    above). Returns the charger's answer and the request id."""
    fw: dict[str, Any] = {
        "location": body.location,
        "retrieveDateTime": iso(body.retrieve_date),
        "signingCertificate": body.signing_certificate,
        "signature": body.signature,
    }
    if body.install_date is not None:
        fw["installDateTime"] = iso(body.install_date)
    payload: dict[str, Any] = {"requestId": secrets.randbelow(2**31 - 1), "firmware": fw}
    if body.retries is not None:
        payload["retries"] = body.retries
    if body.retry_interval is not None:
        payload["retryInterval"] = body.retry_interval
    answer = await ctx.commander.send(
        charger.identity, charger.id, "SignedUpdateFirmware", payload, user_id=charger.user_id
    )
    return {**answer, "requestId": payload["requestId"]}
