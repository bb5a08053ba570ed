"""The server-rendered login page at `/` (no JavaScript, no CDN). The owner web app (issue 6)
builds its pages on the same session cookie."""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartcharge.platform.api.accounts import LoginFailed, client_address, login, set_session_cookie
from smartcharge.platform.api.auth import SESSION_COOKIE, Api, TokenCache

router = APIRouter(include_in_schema=False)

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}"
    "label{display:block;margin-top:1rem}input{width:100%;padding:.5rem;font-size:1rem}"
    "button{margin-top:1.5rem;padding:.6rem 1.2rem;font-size:1rem}.error{color:#a00}"
)


def _page(body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>smartcharge</title><style>{_STYLE}</style></head><body>{body}</body></html>",
        status_code=status_code,
    )


def _login_form(error: str = "", email: str = "", status_code: int = 200) -> HTMLResponse:
    message = f"<p class=error role=alert>{escape(error)}</p>" if error else ""
    return _page(
        "<h1>smartcharge</h1><form method=post action=/login>"
        f"{message}"
        "<label for=email>E-mail address</label>"
        "<input id=email name=email type=email autocomplete=username required"
        f' value="{escape(email)}">'
        "<label for=password>Password</label>"
        "<input id=password name=password type=password autocomplete=current-password required>"
        "<button type=submit>Log in</button></form>",
        status_code,
    )


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, ctx: Api) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    found = None
    if token and len(token) <= 200:
        cache: TokenCache = request.app.state.token_cache
        found = cache.get(token) or await ctx.store.accounts.by_token(token, now=ctx.now())
    if found is None:
        return _login_form()
    account = found[0]
    from smartcharge.platform.api.auth import Caller

    scope = Caller(account, found[1], True).scope
    rows = await ctx.store.history.chargers(scope)
    items = "".join(
        f"<li>{escape(r['identity'])}: "
        f"{'connected' if ctx.ocpp.is_connected(r['identity']) else 'not connected'}</li>"
        for r in rows
    )
    return _page(
        f"<h1>smartcharge</h1><p>Logged in as {escape(account.email)} ({escape(account.role)}).</p>"
        '<p><a href="/app">Open the owner web app</a></p>'
        f"<h2>Chargers</h2><ul>{items or '<li>none yet</li>'}</ul>"
        '<p>The REST API is described at <a href="/docs">/docs</a> '
        '(<a href="/openapi.json">/openapi.json</a>).</p>'
        "<form method=post action=/logout><button type=submit>Log out</button></form>"
    )


@router.post("/login")
async def login_form(
    request: Request,
    ctx: Api,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    if not email or not password:
        return _login_form("Enter your e-mail address and password.", email, 400)
    try:
        _, token = await login(ctx, email, password, client_address(request))
    except LoginFailed as exc:
        return _login_form(exc.message, email, exc.status_code)
    # An owner logging in from the front page wants the web app; `/` still lists the chargers.
    response = RedirectResponse("/app", status_code=303)
    set_session_cookie(response, ctx, token)
    return response


@router.post("/logout")
async def logout_form(request: Request, ctx: Api) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await ctx.store.accounts.revoke(token=token, at=ctx.now())
        cache: TokenCache = request.app.state.token_cache
        cache.drop(token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
