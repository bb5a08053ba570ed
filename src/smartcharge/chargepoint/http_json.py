"""JSON over HTTP for the charger's small aiohttp services (the simulator's control API, the
owner API): strict request bodies, and every answer JSON, errors included.

A bad body gets a 4xx `{"error": "...", "field": "..."}` before any handler touches anything; an
unexpected exception is logged and answered `500 {"error": "internal error"}`, never a trace.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import orjson
from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError

log = logging.getLogger(__name__)


class Body(BaseModel):
    """A request body: strict types, no unknown fields, no NaN or infinity."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, frozen=True)


B = TypeVar("B", bound=Body)


class BadRequest(Exception):
    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=orjson.dumps(data), status=status, headers=headers, content_type="application/json"
    )


def error_response(status: int, message: str, field: str | None = None) -> web.Response:
    body: dict[str, Any] = {"error": message}
    if field is not None:
        body["field"] = field
    return json_response(body, status)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every answer is JSON: our own 4xx, aiohttp's (404, 405, 413) and unexpected errors."""
    try:
        return await handler(request)
    except BadRequest as exc:
        return error_response(exc.status, exc.message, exc.field)
    except web.HTTPException as exc:
        allow = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return json_response({"error": exc.reason}, exc.status, allow)
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return error_response(500, "internal error")


async def read_body(request: web.Request, model: type[B], *, required: bool = True) -> B:
    raw = await request.read()
    if not raw.strip():
        if required:
            raise BadRequest(400, "a JSON object body is required")
        data: Any = {}
    else:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise BadRequest(400, f"body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadRequest(400, "body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        fields = [".".join(str(p) for p in e["loc"]) for e in errors]
        message = "; ".join(
            f"{f}: {e['msg']}" if f else e["msg"] for f, e in zip(fields, errors, strict=True)
        )
        raise BadRequest(422, message, fields[0] or None) from None


class JsonService:
    """An aiohttp application served on one address: `start`, `port`, `stop`.

    No access log: it would record who used the service when, which is the owner's business.
    """

    name = "the service"

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    async def start(
        self, host: str = "127.0.0.1", port: int = 0, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        """Listen on host:port (port 0 picks a free one; see `port`)."""
        if self._runner is not None:
            raise RuntimeError(f"{self.name} is already running")
        runner = web.AppRunner(self.app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port, ssl_context=ssl_context).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    @property
    def port(self) -> int:
        """The port it listens on; `RuntimeError` before `start`."""
        if self._port is None:
            raise RuntimeError(f"{self.name} has not been started")
        return self._port
