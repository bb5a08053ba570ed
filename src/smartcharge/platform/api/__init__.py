"""The REST API (FastAPI): one module per resource; OpenAPI at /openapi.json, docs at /docs.

`create_api(ctx)` builds the ASGI app on the platform's store, OCPP server and services; the
composition root (`platform.app`) serves it with uvicorn. See docs/rest-api.md.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from smartcharge import __version__
from smartcharge.platform.api import (
    accounts,
    cards,
    certificates,
    chargers,
    commands,
    device,
    dsr,
    firmware,
    passwords,
    plans,
    schedules,
    security,
    security_profile,
    sessions,
    sites,
)
from smartcharge.platform.api.auth import TokenCache
from smartcharge.platform.api.context import ApiContext
from smartcharge.platform.api.errors import service_error
from smartcharge.platform.commands import CommandFailed
from smartcharge.platform.services.errors import ServiceError

ROUTERS = (
    accounts.router,
    chargers.router,
    sessions.router,
    commands.router,
    device.router,
    schedules.router,
    plans.router,
    firmware.router,
    security.router,
    passwords.router,
    security_profile.router,
    cards.router,
    certificates.router,
    dsr.router,
    sites.router,
)


def create_api(ctx: ApiContext) -> FastAPI:
    api = FastAPI(
        title="smartcharge platform",
        version=__version__,
        description="Chargers, sessions, reports, commands, owner controls, DSR intake. "
        "Log in with POST /api/auth/login (session cookie) or send a bearer token.",
        # The schema and the docs page are served by platform/api_docs.py (no CDN, a login).
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    api.state.ctx = ctx
    api.state.token_cache = TokenCache(ctx.token_cache_s)
    for router in ROUTERS:
        api.include_router(router)
    api.add_exception_handler(ServiceError, service_error)  # the services' domain errors

    @api.exception_handler(CommandFailed)
    async def command_failed(_request: Request, exc: CommandFailed) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.message, "outcome": exc.outcome, **exc.details},
            status_code=exc.status,
        )

    return api


__all__ = ["ApiContext", "create_api"]
