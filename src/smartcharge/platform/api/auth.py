"""Who is calling: a session cookie (the web app) or a bearer token (integrations).

A password is verified once, at login (argon2, ~170 ms of CPU, in a worker thread); the login
creates a random token, of which the store keeps only the SHA-256. Each request then costs one
cache lookup; a token is re-read from the database at most every `token_cache_s` seconds, so a
token revoked on another node stops working within that time (at once on this node).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response, status
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from smartcharge.platform.api.context import ApiContext
from smartcharge.platform.services.access import Caller
from smartcharge.platform.services.sign_in import MAX_TOKEN
from smartcharge.platform.store.accounts import Account, TokenInfo

SESSION_COOKIE = "smartcharge_session"
_CACHE_MAX = 50_000

bearer_scheme = HTTPBearer(auto_error=False, description="An API token (POST /api/auth/tokens)")
cookie_scheme = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description="The web app's session (POST /api/auth/login)",
)


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


def api(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.ctx
    return ctx


Api = Annotated[ApiContext, Depends(api)]


def _cache(request: Request) -> TokenCache:
    cache: TokenCache = request.app.state.token_cache
    return cache


async def caller(
    request: Request,
    ctx: Api,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    cookie: Annotated[str | None, Depends(cookie_scheme)],
) -> Caller:
    """The authenticated caller, or 401. A cookie-authenticated request that changes something
    must come from our own pages: a foreign `Origin` gets 403 (the cookie is also SameSite)."""
    token = bearer.credentials if bearer is not None else cookie
    if not token or len(token) > MAX_TOKEN:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "log in (session cookie) or send a bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    cache = _cache(request)
    found = cache.get(token)
    if found is None:
        found = await ctx.store.accounts.by_token(token, now=ctx.now())
        if found is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "the session or token is unknown, expired or revoked",
                headers={"WWW-Authenticate": "Bearer"},
            )
        cache.put(token, *found)
    account, info = found
    if info.expires_at is not None and info.expires_at <= ctx.now():
        cache.drop(token)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "the session has expired")
    via_cookie = bearer is None
    if via_cookie and request.method not in ("GET", "HEAD", "OPTIONS"):
        origin = request.headers.get("origin")
        host = request.headers.get("host", "")
        if origin is not None and origin.split("://", 1)[-1] != host:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "cross-site request refused")
    request.state.token = token
    return Caller(account, info, via_cookie)


CallerDep = Annotated[Caller, Depends(caller)]


def set_session_cookie(response: Response, ctx: ApiContext, token: str) -> None:
    """The session cookie the API and the web app share (HttpOnly, SameSite=Lax)."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(ctx.session_ttl_s),
        httponly=True,
        secure=ctx.secure_cookies,
        samesite="lax",
        path="/",
    )


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def role(*roles: str) -> Callable[[Caller], Awaitable[Caller]]:
    """A dependency: the caller, if it has one of `roles`, else 403."""

    async def check(who: CallerDep) -> Caller:
        if who.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"this needs the role {' or '.join(roles)}"
            )
        return who

    return check


Operator = Annotated[Caller, Depends(role("operator"))]
Aggregator = Annotated[Caller, Depends(role("aggregator"))]

__all__ = [
    "Api",
    "Caller",
    "CallerDep",
    "TokenCache",
    "caller",
    "client_address",
    "role",
    "set_session_cookie",
]
