"""People's accounts: the users an operator or a workplace administrator manages (each new one
with a fresh CSPRNG password, shown once), one's own password, and the bearer tokens an
integration uses (shown once; the store keeps only their SHA-256)."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from smartcharge.platform.registry import PASSWORD_BYTES, hash_password, verify_password_async
from smartcharge.platform.services import sign_in
from smartcharge.platform.services.access import Caller
from smartcharge.platform.services.context import ServiceContext
from smartcharge.platform.services.errors import Conflict, Invalid, NotAllowed, NotFound
from smartcharge.platform.store.accounts import Account, UserExists

USER_ADMINS = ("operator", "workplace_admin")
WORKPLACE_ROLES = ("workplace_user", "workplace_admin")


@dataclass(frozen=True)
class NewToken:
    id: int
    name: str | None
    created_at: datetime
    expires_at: datetime | None
    token: str  # shown once


async def change_password(
    ctx: ServiceContext, who: Caller, current: str, new: str, *, keep_token: str | None
) -> None:
    """Change one's password; every other session and token of the user is revoked."""
    stored = await ctx.store.accounts.password_hash(who.account.id)
    if not await verify_password_async(stored, current):
        raise NotAllowed("the current password is wrong")
    new_hash = await asyncio.to_thread(hash_password, new)
    await ctx.store.accounts.set_password(who.account.id, new_hash)
    await ctx.store.accounts.revoke(user_id=who.account.id, at=ctx.now(), keep=keep_token)


async def create_token(
    ctx: ServiceContext, who: Caller, name: str | None, expires_in_days: int | None
) -> NewToken:
    """A bearer token for an integration (an aggregator, a script)."""
    token = sign_in.new_token()
    now = ctx.now()
    expires = now + timedelta(days=expires_in_days) if expires_in_days else None
    token_id = await ctx.store.accounts.add_token(
        who.account.id, token, kind="bearer", at=now, expires_at=expires, name=name
    )
    return NewToken(token_id, name, now, expires, token)


async def revoke_token(ctx: ServiceContext, who: Caller, token_id: int) -> None:
    if not await ctx.store.accounts.revoke(token_id=token_id, user_id=who.account.id, at=ctx.now()):
        raise NotFound(f"no token {token_id}")


def _require_admin(who: Caller) -> None:
    if who.role not in USER_ADMINS:
        raise NotAllowed(f"this needs the role {' or '.join(USER_ADMINS)}")


async def users(ctx: ServiceContext, who: Caller) -> list[Account]:
    """Operator: every user. Workplace administrator: the users of their site."""
    _require_admin(who)
    if who.role == "operator":
        return list(await ctx.store.accounts.users())
    if who.account.site_id is None:
        return []
    return list(await ctx.store.accounts.users(site_id=who.account.site_id))


async def create_user(
    ctx: ServiceContext, who: Caller, email: str, role: str, site: str | None
) -> tuple[Account, str]:
    """A new user and their fresh password. An operator creates any role; a workplace
    administrator creates workplace users and administrators of their own site."""
    _require_admin(who)
    site_id = None
    if who.role == "workplace_admin":
        if role not in WORKPLACE_ROLES or who.account.site_id is None:
            raise NotAllowed("a workplace administrator adds workplace users only")
        if site is not None and site != who.account.site:
            raise NotAllowed("only for your own site")
        site_id = who.account.site_id
    elif site is not None:
        site_id = await ctx.store.people.site(site, at=ctx.now())
    if role in WORKPLACE_ROLES and site_id is None:
        raise Invalid("a workplace user needs a site")
    password = secrets.token_urlsafe(PASSWORD_BYTES)
    password_hash = await asyncio.to_thread(hash_password, password)
    try:
        account = await ctx.store.accounts.create(
            email, role=role, password_hash=password_hash, at=ctx.now(), site_id=site_id
        )
    except UserExists as exc:
        raise Conflict(str(exc)) from None
    return account, password
