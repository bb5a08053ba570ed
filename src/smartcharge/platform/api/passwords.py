"""POST /api/chargers/{identity}/password-rotation: a fresh AuthorizationKey for a connected
charger (services/passwords.py), on one node or many. 409 when the charger is offline, uses a
client certificate or already has a rotation waiting for its reconnect; 502 when it answered
CALLERROR. The new password goes to the charger only: the answer never carries it."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from smartcharge.platform.api.access import Managed
from smartcharge.platform.api.auth import Api
from smartcharge.platform.api.commands import Timeout
from smartcharge.platform.api.schemas import Problem
from smartcharge.platform.services import passwords

router = APIRouter(tags=["security"])


class RotationOut(BaseModel):
    identity: str
    status: str  # Accepted, RebootRequired, Rejected, NotSupported or NoAnswer
    detail: str


@router.post(
    "/api/chargers/{identity}/password-rotation",
    response_model=RotationOut,
    responses={
        409: {"model": Problem, "description": "Offline, certificate-only, or already rotating"},
        502: {"model": Problem, "description": "The charger answered CALLERROR"},
    },
)
async def rotate(charger: Managed, ctx: Api, timeout: Timeout = None) -> RotationOut:
    """Rotate the charger's password: the old one stays valid until the charger connects with
    the new one, so nothing along the way can lock it out (docs/platform.md)."""
    rotation = await passwords.rotate(ctx, charger, timeout=timeout)
    return RotationOut(identity=charger.identity, status=rotation.status, detail=rotation.words)
