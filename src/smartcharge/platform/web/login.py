"""Log in and out (issue 6 item 1), with the REST API's own `login` (argon2 once, lock-out per
address) and session cookie, and the home page: the chargers this user may see."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartcharge.platform.api.accounts import LoginFailed, client_address, login, set_session_cookie
from smartcharge.platform.api.auth import SESSION_COOKIE, Api, TokenCache
from smartcharge.platform.services import charger_status, firmware, security_log
from smartcharge.platform.web.render import page
from smartcharge.platform.web.session import PageCaller

router = APIRouter()


def _safe_next(value: str) -> str:
    """Only a path of ours (never another site) after login."""
    return value if value.startswith("/app") and "//" not in value and "\\" not in value else "/app"


@router.get("/app/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str = "/app") -> Response:
    return page(request, "login.html", None, next=_safe_next(next[:200]), email="")


@router.post("/app/login")
async def login_form(
    request: Request,
    ctx: Api,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=200)] = "/app",
) -> Response:
    target = _safe_next(next)
    if not email.strip() or not password:
        error = "Enter your e-mail address and password."
        return page(request, "login.html", None, 400, next=target, email=email, error=error)
    try:
        _, token = await login(ctx, email.strip(), password, client_address(request))
    except LoginFailed as exc:
        return page(
            request,
            "login.html",
            None,
            exc.status_code,
            next=target,
            email=email,
            error=exc.message,
        )
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, ctx, token)
    return response


@router.post("/app/logout")
async def logout(request: Request, ctx: Api) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token and len(token) <= 200:
        await ctx.store.accounts.revoke(token=token, at=ctx.now())
        cache: TokenCache = request.app.state.token_cache
        cache.drop(token)
    response = RedirectResponse("/app/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/app", response_class=HTMLResponse)
async def home(request: Request, ctx: Api, who: PageCaller) -> Response:
    rows = await ctx.store.history.chargers(who.scope)
    chargers = []
    for r in rows:
        chargers.append(
            {
                "row": r,
                "connected": charger_status.is_connected(ctx, r),
                "alerts": len(await security_log.standing_alerts(ctx, int(r["id"]))),
                "release": await firmware.offer(ctx, r),
            }
        )
    return page(request, "home.html", who, chargers=chargers)
