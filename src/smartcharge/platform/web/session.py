"""Who is looking at a page: the API's session cookie and `authenticate` check (login, roles,
expiry, cross-site refusal), with a redirect to the login page instead of a 401."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials

from smartcharge.platform.api.auth import SESSION_COOKIE, Api, Caller, authenticate, bearer_scheme
from smartcharge.platform.services.access import ChargerAccess, visible_charger
from smartcharge.platform.services.errors import NotAuthenticated

ROLE_NAMES = {
    "owner": "owner",
    "workplace_admin": "workplace administrator",
    "workplace_user": "workplace user",
    "operator": "operator",
    "aggregator": "aggregator",
}


class LoginNeeded(Exception):
    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


async def page_caller(
    request: Request,
    ctx: Api,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Caller:
    """The API's check; a bearer token works too (scripts, the API's isolation test)."""
    token = bearer.credentials if bearer is not None else request.cookies.get(SESSION_COOKIE)
    try:
        return await authenticate(request, ctx, token, via_cookie=bearer is None)
    except NotAuthenticated:
        target = request.url.path if request.method == "GET" else "/app"
        raise LoginNeeded(quote(target)) from None


PageCaller = Annotated[Caller, Depends(page_caller)]


async def page_charger(identity: str, ctx: Api, who: PageCaller) -> ChargerAccess:
    """The charger in the path, if this user may see it (else 404, as the API does)."""
    if not 1 <= len(identity) <= 48:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such charger")
    return await visible_charger(ctx, who, identity)


PageCharger = Annotated[ChargerAccess, Depends(page_charger)]


def may_manage(who: Caller) -> bool:
    """Owner, workplace administrator, operator: settings. A workplace user: start and stop."""
    return who.may_manage
