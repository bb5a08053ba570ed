"""Logging in and out, for the REST API and the web app alike: the password checked once
(argon2 in a worker thread; an unknown address costs the same as a wrong password), a lock-out
per address after repeated failures, and a session token of which the store keeps only the
SHA-256."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from smartcharge.platform.registry import verify_password_async
from smartcharge.platform.services.context import ServiceContext
from smartcharge.platform.services.errors import NotAuthenticated, TooManyAttempts
from smartcharge.platform.store.accounts import Account

log = logging.getLogger("smartcharge.platform.api")

TOKEN_BYTES = 32
MAX_TOKEN = 200  # longer is not one of ours: refused without a lookup


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


async def log_in(
    ctx: ServiceContext, email: str, password: str, address: str
) -> tuple[Account, str]:
    """The account and a new session token; `TooManyAttempts` while `address` is locked out,
    `NotAuthenticated` for a wrong address or password (which also counts towards it)."""
    locked = ctx.login_lockout.remaining(address)
    if locked > 0:
        raise TooManyAttempts("too many failed logins: try again later", locked)
    found = await ctx.store.accounts.login_record(email)
    password_hash = found[1] if found else None
    # Verified even for an unknown address (against a dummy hash): same work, same time.
    ok = await verify_password_async(password_hash, password)
    if found is None or not ok:
        now_locked = ctx.login_lockout.failure(address)
        log.warning(
            "login refused address=%s%s", address, " (now locked out)" if now_locked else ""
        )
        raise NotAuthenticated("wrong e-mail address or password")
    ctx.login_lockout.success(address)
    account = found[0]
    token = new_token()
    now = ctx.now()
    await ctx.store.accounts.add_token(
        account.id,
        token,
        kind="session",
        at=now,
        expires_at=now + timedelta(seconds=ctx.session_ttl_s),
    )
    log.info("login user_id=%s role=%s", account.id, account.role)
    return account, token


async def log_out(ctx: ServiceContext, token: str | None) -> bool:
    """End the session (or revoke the token); False if there was none to end."""
    if not token or len(token) > MAX_TOKEN:
        return False
    return bool(await ctx.store.accounts.revoke(token=token, at=ctx.now()))
