"""The charger in the path, if the caller may see it (else 404: a charger outside the caller's
scope is indistinguishable from one that does not exist), and what the caller may do to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Path, status

from smartcharge.platform.api.auth import Api, Caller, CallerDep

IdentityPath = Annotated[
    str,
    Path(min_length=1, max_length=48, pattern=r"^[A-Za-z0-9._~-]+$", description="OCPP identity"),
]

ADMIN_ROLES = ("operator", "owner", "workplace_admin")
"""Who may change a charger's settings and send it any command. A workplace user may only
start and stop charging (RemoteStart/RemoteStop, charge now)."""


@dataclass(frozen=True, slots=True)
class ChargerAccess:
    id: int
    identity: str
    caller: Caller

    @property
    def user_id(self) -> int:
        return self.caller.account.id

    def require_admin(self) -> None:
        if self.caller.role not in ADMIN_ROLES:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                "a workplace user may start and stop charging, nothing else",
            )


async def visible_charger(identity: IdentityPath, ctx: Api, who: CallerDep) -> ChargerAccess:
    row = await ctx.store.history.charger(who.scope, identity)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no charger {identity}")
    return ChargerAccess(int(row["id"]), identity, who)


async def admin_charger(
    charger: Annotated[ChargerAccess, Depends(visible_charger)],
) -> ChargerAccess:
    charger.require_admin()
    return charger


Visible = Annotated[ChargerAccess, Depends(visible_charger)]
Managed = Annotated[ChargerAccess, Depends(admin_charger)]
