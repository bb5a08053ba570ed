"""The services' domain errors as HTTP answers: a status and the message as JSON `detail`."""

from __future__ import annotations

import math
from typing import Any

from fastapi import Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from smartcharge.platform.services.errors import (
    Conflict,
    Invalid,
    NotAllowed,
    NotAuthenticated,
    NotFound,
    ServiceError,
    TooManyAttempts,
)

STATUS = {
    NotFound: status.HTTP_404_NOT_FOUND,
    NotAllowed: status.HTTP_403_FORBIDDEN,
    Invalid: 422,  # Unprocessable Content (the name changed between Starlette versions)
    Conflict: status.HTTP_409_CONFLICT,
    NotAuthenticated: status.HTTP_401_UNAUTHORIZED,
    TooManyAttempts: status.HTTP_429_TOO_MANY_REQUESTS,
}


def http_status(exc: ServiceError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return status.HTTP_400_BAD_REQUEST


def headers(exc: ServiceError) -> dict[str, str] | None:
    if isinstance(exc, TooManyAttempts) and exc.retry_after:
        return {"Retry-After": str(int(exc.retry_after) + 1)}
    return None


async def service_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return JSONResponse({"detail": exc.message}, http_status(exc), headers=headers(exc))


def invalid_request(exc: RequestValidationError) -> JSONResponse:
    """FastAPI's 422 for a body that failed its schema, each error's `input` echoed as JSON
    can carry it: a NaN or Infinity sent (Python's json reads them) is echoed as text, where
    FastAPI's own answer would fail to encode it and turn a 422 into a 500."""

    def safe(value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return str(value)
        if isinstance(value, dict):
            return {k: safe(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [safe(v) for v in value]
        return value

    return JSONResponse({"detail": jsonable_encoder(safe(exc.errors()))}, status_code=422)
