"""The one login page (issue 6 item 1), at /app/login and at the server's front page `/`, with
the sign-in service the REST API's login uses too (argon2 once, lock-out per address) and the
same session cookie; logging out; and the home page: the chargers this user may see."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartcharge.platform.api.auth import (
    SESSION_COOKIE,
    Api,
    TokenCache,
    client_address,
    set_session_cookie,
)
from smartcharge.platform.api.errors import http_status
from smartcharge.platform.services import sign_in
from smartcharge.platform.services.errors import ServiceError
from smartcharge.platform.web.dashboard import cards
from smartcharge.platform.web.render import page
from smartcharge.platform.web.session import LoginNeeded, PageCaller, page_caller

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
        _, token = await sign_in.log_in(ctx, email.strip(), password, client_address(request))
    except ServiceError as exc:
        return page(
            request,
            "login.html",
            None,
            http_status(exc),
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
    await sign_in.log_out(ctx, token)
    if token:
        cache: TokenCache = request.app.state.token_cache
        cache.drop(token)
    response = RedirectResponse("/app/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/", response_class=HTMLResponse)
async def front(request: Request, ctx: Api) -> Response:
    """The server's front page: the web app's home once logged in, else the one login page
    (shown here, not redirected to, so a first visit sees the form at once)."""
    try:
        who = await page_caller(request, ctx, None)
    except LoginNeeded:
        return page(request, "login.html", None, next="/app", email="")
    return await home(request, ctx, who)


@router.get("/app", response_class=HTMLResponse)
async def home(request: Request, ctx: Api, who: PageCaller) -> Response:
    """The dashboard: every charger and socket at a glance, pushed live (`web/dashboard.py`)."""
    chargers = await cards(ctx, who)
    return page(request, "home.html", who, chargers=chargers)
