"""The owner web app (issue 6): server-rendered pages at /app on the REST API's app, its session
cookie, roles, store and command functions; our own CSS and one small script for live updates
(no CDN, nothing fetched from the internet). See docs/web-app.md.

`mount(api)` is the one hook the composition root calls.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from smartcharge.platform.api.errors import http_status, invalid_request
from smartcharge.platform.api.errors import service_error as api_service_error
from smartcharge.platform.services.errors import ServiceError
from smartcharge.platform.web import (
    about,
    cards,
    charger,
    dashboard,
    energy,
    firmware,
    hours,
    login,
    privacy,
    schedule,
    security,
    static,
)
from smartcharge.platform.web.render import page
from smartcharge.platform.web.session import LoginNeeded
from smartcharge.platform.web.settings import WebSettings

ROUTERS = (
    login.router,
    charger.router,
    dashboard.router,
    hours.router,
    energy.router,
    schedule.router,
    firmware.router,
    security.router,
    privacy.router,
    cards.router,
    about.router,
    static.router,
)


def mount(api: FastAPI, settings: WebSettings | None = None) -> None:
    """Add the web app's pages, its static files and its two error pages to `api`."""
    api.state.web_settings = settings or WebSettings()  # the fallbacks of the about page
    for router in ROUTERS:
        api.include_router(router, include_in_schema=False)

    @api.exception_handler(LoginNeeded)
    async def login_needed(_request: Request, exc: LoginNeeded) -> Response:
        return RedirectResponse(f"/app/login?next={exc.next_url}", status_code=303)

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """A page gets a page; the API keeps its own JSON errors."""
        if _is_page(request):
            return page(request, "error.html", None, exc.status_code, detail=exc.detail)
        return await http_exception_handler(request, exc)

    @api.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> Response:
        """A domain error (no such charger, not allowed): a page says it in words."""
        if _is_page(request):
            return page(request, "error.html", None, http_status(exc), detail=exc.message)
        return await api_service_error(request, exc)  # the API keeps its JSON

    @api.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if _is_page(request):
            first = exc.errors()[0] if exc.errors() else {}
            return page(request, "error.html", None, 422, detail=_refusal(first))
        return invalid_request(exc)


def _refusal(error: dict[str, Any]) -> str:
    """A hand-made or oversized form field, in plain words (never the library's own)."""
    where = ".".join(str(x) for x in error.get("loc", ())[1:]) or "the form"
    limit = (error.get("ctx") or {}).get("max_length")
    if error.get("type") == "string_too_long" and isinstance(limit, int):
        return f"Nothing changed: that is too long: {where} takes at most {limit:,} characters."
    if error.get("type") == "missing":
        return f"Nothing changed: {where} is missing."
    return f"Nothing changed: {where} is not something this form sends."


def _is_page(request: Request) -> bool:
    path = request.url.path
    return path == "/app" or path.startswith("/app/")


__all__ = ["WebSettings", "mount"]
