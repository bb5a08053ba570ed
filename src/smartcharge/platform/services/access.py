"""Who is asking, and what they may do: the caller (an account and the session or token it came
with) and a charger the caller may see. A charger outside the caller's scope is
indistinguishable from one that does not exist (`NotFound`)."""

from __future__ import annotations

from dataclasses import dataclass

from smartcharge.platform.services.context import ServiceContext
from smartcharge.platform.services.errors import NotAllowed, NotFound
from smartcharge.platform.store.accounts import Account, TokenInfo
from smartcharge.platform.store.history import Scope

ADMIN_ROLES = ("operator", "owner", "workplace_admin")
"""Who may change a charger's settings and send it any command. A workplace user may only
start and stop charging (RemoteStart/RemoteStop, charge now)."""


@dataclass(frozen=True, slots=True)
class Caller:
    account: Account
    token: TokenInfo
    via_cookie: bool

    @property
    def role(self) -> str:
        return self.account.role

    @property
    def scope(self) -> Scope:
        """The chargers this caller may see."""
        role = self.account.role
        if role == "operator":
            return Scope(everything=True)
        if role == "owner":
            return Scope(owner_id=self.account.id)
        if role in ("workplace_admin", "workplace_user") and self.account.site_id is not None:
            return Scope(site_id=self.account.site_id)
        return Scope()  # aggregators (and a workplace user without a site) see no charger

    @property
    def may_manage(self) -> bool:
        """Owner, workplace administrator, operator: settings. A workplace user: start, stop."""
        return self.role in ADMIN_ROLES


@dataclass(frozen=True, slots=True)
class ChargerAccess:
    id: int
    identity: str
    caller: Caller

    @property
    def user_id(self) -> int:
        return self.caller.account.id

    def require_admin(self) -> None:
        if not self.caller.may_manage:
            raise NotAllowed("a workplace user may start and stop charging, nothing else")


async def visible_charger(ctx: ServiceContext, who: Caller, identity: str) -> ChargerAccess:
    """The charger `identity` if `who` may see it, else `NotFound`."""
    row = await ctx.store.history.charger(who.scope, identity)
    if row is None:
        raise NotFound(f"no charger {identity}")
    return ChargerAccess(int(row["id"]), identity, who)
