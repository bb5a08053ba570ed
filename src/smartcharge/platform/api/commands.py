"""/api/chargers/{identity}/commands and /uk: any OCPP command, or a UK extension, to a charger.

The answer is the charger's own (200). Otherwise: 409 charger offline, 504 no answer in time,
502 the charger answered CALLERROR or something invalid, 422 an invalid request (nothing is
sent). A workplace user may only start and stop charging.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query

from smartcharge.ocpp import uk_extension as uk
from smartcharge.platform.api.access import Visible
from smartcharge.platform.api.auth import Api
from smartcharge.platform.api.schemas import ExtensionAnswer, Problem
from smartcharge.platform.commands import COMMANDS, START_STOP

router = APIRouter(tags=["commands"])

Command = Enum("Command", {name: name for name in COMMANDS}, type=str)  # type: ignore[misc]

UK_MESSAGES = (
    uk.GET_CHARGING_STATE,
    uk.GET_DEVICE_INFO,
    uk.GET_DEFAULT_HOURS,
    uk.SET_DEFAULT_HOURS,
    uk.GET_USER_SCHEDULE,
    uk.SET_USER_SCHEDULE,
    uk.CHARGE_NOW,
    uk.SKIP_DELAY,
    uk.DSR_OPT_OUT,
    uk.PROFILE_FLAGS,
)
"""The UK extensions an API user may send (DsrEvent comes only through the DSR intake, so each
one is recorded with its deliveries; FactoryReset only through /factory-reset, which checks who
asks)."""
UkMessage = Enum("UkMessage", {name: name for name in UK_MESSAGES}, type=str)  # type: ignore[misc]
WORKPLACE_USER_UK = frozenset(
    {
        uk.GET_CHARGING_STATE,
        uk.GET_DEVICE_INFO,
        uk.GET_DEFAULT_HOURS,
        uk.GET_USER_SCHEDULE,
        uk.CHARGE_NOW,
        uk.SKIP_DELAY,
    }
)

COMMAND_ERRORS: dict[int | str, dict[str, Any]] = {
    409: {"model": Problem, "description": "The charger is offline"},
    502: {"model": Problem, "description": "The charger answered CALLERROR or an invalid answer"},
    504: {"model": Problem, "description": "The charger did not answer in time"},
}

Timeout = Annotated[
    float | None, Query(ge=1, le=300, description="seconds to wait (default: call_timeout_s)")
]


@router.post(
    "/api/chargers/{identity}/commands/{action}",
    response_model=dict[str, Any],
    responses=COMMAND_ERRORS,
)
async def command(
    charger: Visible,
    action: Command,
    ctx: Api,
    payload: Annotated[
        dict[str, Any], Body(description="The OCPP 1.6 request payload, camelCase, as sent")
    ],
    timeout: Timeout = None,
) -> dict[str, Any]:
    """Send an OCPP 1.6 command (validated against the official schema) and return the
    charger's CALLRESULT payload."""
    name = str(action.value)
    if name not in START_STOP:
        charger.require_admin()
    if name == "DataTransfer" and payload.get("vendorId") == uk.VENDOR_ID:
        raise HTTPException(
            422,
            "UK extensions go through /uk/{message_id} (DSR events through /api/dsr/events)",
        )
    return await ctx.commander.send(
        charger.identity, charger.id, name, payload, user_id=charger.user_id, timeout=timeout
    )


@router.post(
    "/api/chargers/{identity}/uk/{message_id}",
    response_model=ExtensionAnswer,
    responses=COMMAND_ERRORS,
)
async def uk_extension(
    charger: Visible,
    message_id: UkMessage,
    ctx: Api,
    data: Annotated[dict[str, Any], Body(description="The extension's data object")],
    timeout: Timeout = None,
) -> ExtensionAnswer:
    """A UK extension (DataTransfer vendorId org.smartcharge.uk, docs/ocpp-extensions.md); the
    answer's `data` is decoded from JSON."""
    name = str(message_id.value)
    if name not in WORKPLACE_USER_UK:
        charger.require_admin()
    answer = await ctx.commander.uk(
        charger.identity, charger.id, name, data, user_id=charger.user_id, timeout=timeout
    )
    return ExtensionAnswer(**answer)
