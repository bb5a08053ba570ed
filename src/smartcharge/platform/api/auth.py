"""Who is calling: a session cookie (the web app) or a bearer token (integrations).

A password is verified once, at login (argon2, ~170 ms of CPU, in a worker thread); the login
creates a random token, of which the store keeps only the SHA-256. Each request then costs one
cache lookup; a token is re-read from the database at most every `token_cache_s` seconds, so a
token revoked on another node stops working within that time (at once on this node).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response, status
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from smartcharge.platform.api.context import ApiContext
from smartcharge.platform.services import sign_in
from smartcharge.platform.services.access import Caller
from smartcharge.platform.services.errors import NotAuthenticated
from smartcharge.platform.services.sign_in import TokenCache

SESSION_COOKIE = "smartcharge_session"

bearer_scheme = HTTPBearer(auto_error=False, description="An API token (POST /api/auth/tokens)")
cookie_scheme = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description="The web app's session (POST /api/auth/login)",
)


def api(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.ctx
    return ctx


Api = Annotated[ApiContext, Depends(api)]


def _cache(request: Request) -> TokenCache:
    cache: TokenCache = request.app.state.token_cache
    return cache


async def authenticate(
    request: Request, ctx: ApiContext, token: str | None, *, via_cookie: bool
) -> Caller:
    """The caller this token belongs to (`sign_in.caller_for`: `NotAuthenticated` when there
    is none). A cookie-authenticated request that changes something must come from our own
    pages: a foreign `Origin` gets 403 (the cookie is also SameSite)."""
    who = await sign_in.caller_for(ctx, _cache(request), token, via_cookie=via_cookie)
    if via_cookie and request.method not in ("GET", "HEAD", "OPTIONS"):
        origin = request.headers.get("origin")
        host = request.headers.get("host", "")
        if origin is not None and origin.split("://", 1)[-1] != host:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "cross-site request refused")
    request.state.token = token
    return who


async def caller(
    request: Request,
    ctx: Api,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    cookie: Annotated[str | None, Depends(cookie_scheme)],
) -> Caller:
    """The authenticated caller, or 401 (the web app's pages send the login page instead)."""
    token = bearer.credentials if bearer is not None else cookie
    try:
        return await authenticate(request, ctx, token, via_cookie=bearer is None)
    except NotAuthenticated as exc:
        headers = {"WWW-Authenticate": "Bearer"}
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, exc.message, headers=headers) from None


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
    "authenticate",
    "caller",
    "client_address",
    "role",
    "set_session_cookie",
]
