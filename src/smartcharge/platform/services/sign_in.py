"""Logging in and out, for the REST API and the web app alike: the password checked once
(argon2 in a worker thread; an unknown address costs the same as a wrong password), a lock-out
per address after repeated failures, and a session token of which the store keeps only the
SHA-256; then, on every request, who holds the token (one cache lookup)."""

from __future__ import annotations

import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import timedelta

from smartcharge.platform.registry import verify_password_async
from smartcharge.platform.services.access import Caller
from smartcharge.platform.services.context import ServiceContext
from smartcharge.platform.services.errors import NotAuthenticated, TooManyAttempts
from smartcharge.platform.store.accounts import Account, TokenInfo

log = logging.getLogger("smartcharge.platform.api")

TOKEN_BYTES = 32
MAX_TOKEN = 200  # longer is not one of ours: refused without a lookup
_CACHE_MAX = 50_000


class TokenCache:
    """token -> (account, token info, read at); bounded, oldest out first."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._items: OrderedDict[str, tuple[Account, TokenInfo, float]] = OrderedDict()

    def get(self, token: str) -> tuple[Account, TokenInfo] | None:
        item = self._items.get(token)
        if item is None or self._clock() - item[2] > self.ttl:
            return None
        return item[0], item[1]

    def put(self, token: str, account: Account, info: TokenInfo) -> None:
        self._items[token] = (account, info, self._clock())
        self._items.move_to_end(token)
        while len(self._items) > _CACHE_MAX:
            self._items.popitem(last=False)

    def drop(self, token: str | None = None, *, user_id: int | None = None) -> None:
        if token is not None:
            self._items.pop(token, None)
        if user_id is not None:
            for key in [k for k, v in self._items.items() if v[0].id == user_id]:
                del self._items[key]


async def caller_for(
    ctx: ServiceContext, cache: TokenCache, token: str | None, *, via_cookie: bool
) -> Caller:
    """Who holds this session or token: one cache lookup, the store at most every `ttl`
    seconds (a token revoked on another node stops working within that time). Raises
    `NotAuthenticated` when there is no token, or it is unknown, revoked or expired."""
    if not token or len(token) > MAX_TOKEN:
        raise NotAuthenticated("log in (session cookie) or send a bearer token")
    found = cache.get(token)
    if found is None:
        found = await ctx.store.accounts.by_token(token, now=ctx.now())
        if found is None:
            raise NotAuthenticated("the session or token is unknown, expired or revoked")
        cache.put(token, *found)
    account, info = found
    if info.expires_at is not None and info.expires_at <= ctx.now():
        cache.drop(token)
        raise NotAuthenticated("the session has expired")
    return Caller(account, info, via_cookie)


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
