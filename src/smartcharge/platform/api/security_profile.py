"""GET/PUT /api/chargers/{identity}/security-profile: the profile a charger is held to, and
raising it (services/security_profile.py): 409 when it would lower it, the platform does not
serve that profile, or (profile 3) the charger holds no certificate of the platform's CA."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel

from smartcharge.platform.api.access import Managed, Visible
from smartcharge.platform.api.auth import Api
from smartcharge.platform.api.commands import COMMAND_ERRORS
from smartcharge.platform.api.schemas import Strict
from smartcharge.platform.services import security_profile

router = APIRouter(tags=["security"])


class ProfileOut(BaseModel):
    identity: str
    profile: int | None  # None: it has not connected yet


class ProfileRequest(Strict):
    profile: Literal[2, 3]


@router.get("/api/chargers/{identity}/security-profile", response_model=ProfileOut)
async def get_profile(charger: Visible, ctx: Api) -> ProfileOut:
    return ProfileOut(
        identity=charger.identity, profile=await security_profile.current(ctx, charger)
    )


@router.put(
    "/api/chargers/{identity}/security-profile",
    response_model=dict[str, Any],
    responses=COMMAND_ERRORS,
)
async def raise_profile(body: ProfileRequest, charger: Managed, ctx: Api) -> dict[str, Any]:
    """ChangeConfiguration(SecurityProfile): the charger's answer. The new profile is recorded
    when the charger connects with it; from then on a connection below it is refused."""
    return await security_profile.raise_profile(ctx, charger, body.profile)
