"""The charger in the path, if the caller may see it (else 404: a charger outside the caller's
scope is indistinguishable from one that does not exist), and what the caller may do to it.
The rules are the services' (`services.access`); this module only wires them into FastAPI."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from smartcharge.platform.api.auth import Api, CallerDep
from smartcharge.platform.services import access
from smartcharge.platform.services.access import ChargerAccess

IdentityPath = Annotated[
    str,
    Path(min_length=1, max_length=48, pattern=r"^[A-Za-z0-9._~-]+$", description="OCPP identity"),
]


async def visible_charger(identity: IdentityPath, ctx: Api, who: CallerDep) -> ChargerAccess:
    return await access.visible_charger(ctx, who, identity)


async def admin_charger(
    charger: Annotated[ChargerAccess, Depends(visible_charger)],
) -> ChargerAccess:
    charger.require_admin()
    return charger


Visible = Annotated[ChargerAccess, Depends(visible_charger)]
Managed = Annotated[ChargerAccess, Depends(admin_charger)]

__all__ = ["ChargerAccess", "IdentityPath", "Managed", "Visible"]
