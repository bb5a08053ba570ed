"""The services' domain errors as HTTP answers: a status and the message as JSON `detail`."""

from __future__ import annotations

from fastapi import Request, status
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
