"""The OCPP listener's opening handshakes: bounded by a setting, and every one that times out or
fails logged at warning level with the address, the identity when the request got that far, and
the reason.

websockets bounds the handshake with its `open_timeout` (10 s by default) and, when it runs out,
aborts the connection without a word; during a boot storm chargers then only saw their
connection drop and the platform logged nothing useful (bench/platform.md, "Boot storm"). Here
the listener passes `open_timeout=None` and the connection class keeps the limit itself
(`handshake_timeout_s`), so it knows when one runs out and says so.

Refusals the admission checks make (401, 429) are logged there with their reason and are not
logged again here; any other refusal (404, 400, a request that is no WebSocket upgrade) and a
connection closed before its request are.
"""

from __future__ import annotations

import asyncio
import logging
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import ServerConnection

from smartcharge.logs import redact
from smartcharge.platform.ocpp_admission import address_of, identity_of

log = logging.getLogger("smartcharge.platform.ocpp")


class _NoCredentials(logging.Filter):
    """websockets logs request headers at DEBUG level: mask the Authorization header."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "authorization" in message.lower():
            record.msg, record.args = redact(message), None
        return True


ws_log = logging.getLogger("smartcharge.platform.websockets")
"""The listener's websockets logger."""
ws_log.addFilter(_NoCredentials())

LOGGED_BY_ADMISSION = (HTTPStatus.UNAUTHORIZED, HTTPStatus.TOO_MANY_REQUESTS)


def logged_handshakes(base: type[ServerConnection], timeout: float) -> type[ServerConnection]:
    """`base` (websockets' connection class for the listener) with the handshake bounded by
    `timeout` seconds and its failures logged (module docstring)."""
    if timeout <= 0:
        raise ValueError("the handshake timeout must be positive")

    class LoggedHandshake(base):  # type: ignore[valid-type, misc]
        async def handshake(self, *args: Any, **kwargs: Any) -> None:
            try:
                async with asyncio.timeout(timeout):
                    await super().handshake(*args, **kwargs)
            except TimeoutError:
                stage = "request not received" if self.request is None else "request not answered"
                _warn(self, f"timed out after {timeout:g} s ({stage})")
                raise
            except Exception as exc:  # the refusal could not be sent, say: why it was refused
                _warn(self, _refusal(self) or f"{type(exc).__name__}: {exc}")
                raise
            if self.request is None:
                _warn(self, "connection closed before the request")
                return
            refusal = _refusal(self)
            if refusal:
                _warn(self, refusal)

    return LoggedHandshake


def _refusal(connection: ServerConnection) -> str | None:
    """Why the request was refused, if it was and the admission check did not say so."""
    failure = connection.protocol.handshake_exc
    if failure is not None:
        return f"{type(failure).__name__}: {failure}"
    response = connection.response
    if response is None or response.status_code == HTTPStatus.SWITCHING_PROTOCOLS:
        return None
    if response.status_code in LOGGED_BY_ADMISSION:
        return None
    said = response.body.decode(errors="replace").strip().splitlines()[:1] if response.body else []
    return f"refused with HTTP {response.status_code}" + (f": {said[0][:100]}" if said else "")


def _identity(connection: ServerConnection) -> str | None:
    request = connection.request
    return identity_of(request.path) if request is not None else None


def _warn(connection: ServerConnection, reason: str) -> None:
    log.warning(
        "handshake failed address=%s identity=%s reason=%s",
        address_of(connection),
        _identity(connection) or "unknown",
        reason,
    )
