"""Who may open an OCPP connection: the checks made on the HTTP upgrade request, before any
WebSocket exists (websockets' `process_request`).

In order: the path names a well-formed identity (else 404); at most one Authorization header
(else 400); the `ocpp1.6` subprotocol is offered (else 400); not locked out (else 429 with
Retry-After); a known charger not over `ocpp_handshakes_per_hour` successful handshakes
(else 429 with Retry-After: a reconnect storm is held off); the credentials of the security
profile hold (else 401, which counts towards the lock-out). Every refusal is logged with
identity, address and reason, never the password or the header.

The lock-out of a known identity is keyed by address *and* identity: behind one NAT address,
a charger with a stale password locks out only itself, not the site. Failures naming unknown
identities count against the address alone (so guessing identities is still locked out).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from collections.abc import Callable
from datetime import datetime
from http import HTTPStatus
from typing import cast
from urllib.parse import unquote

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from smartcharge.platform.connection_limits import REFUSED, ConnectionLimits
from smartcharge.platform.lockout import Lockout, Throttle
from smartcharge.platform.registry import (
    IDENTITY,
    password_check,
    verify_charger_password_async,
)
from smartcharge.platform.store import Credentials, Store

log = logging.getLogger("smartcharge.platform.ocpp")

SUBPROTOCOL = "ocpp1.6"
PROFILE_DOWNGRADE = "SecurityProfileDowngradeRefused"  # the security event of a refusal
PATH_PREFIX = "/ocpp/"


class Admission:
    """The upgrade checks of one OCPP listener."""

    def __init__(
        self,
        store: Store,
        *,
        security_profile: int,
        lockout: Lockout,
        now: Callable[[], datetime],
        throttle: Throttle | None = None,
    ) -> None:
        self.store = store
        self.security_profile = security_profile
        self.lockout = lockout
        self.throttle = throttle or Throttle(max_events=60, window=3600.0)
        self._now = now

    async def check(self, connection: ServerConnection, request: Request) -> Response | Credentials:
        """The charger's credentials when it may connect, else the HTTP refusal to send."""
        address = address_of(connection)
        identity = identity_of(request.path)
        if identity is None:
            return connection.respond(HTTPStatus.NOT_FOUND, "Not Found: use /ocpp/{identity}\n")
        if len(request.headers.get_all("Authorization")) > 1:
            log.warning(
                "charger refused identity=%r address=%s reason=several Authorization headers",
                identity,
                address,
            )
            return connection.respond(HTTPStatus.BAD_REQUEST, "One Authorization header\n")
        offered = {
            p.strip()
            for value in request.headers.get_all("Sec-WebSocket-Protocol")
            for p in value.split(",")
        }
        if SUBPROTOCOL not in offered:
            return connection.respond(HTTPStatus.BAD_REQUEST, "Subprotocol ocpp1.6 required\n")

        credentials = await self.store.chargers.credentials(identity)
        key = address if credentials is None else f"{address} {identity}"
        locked = self.lockout.remaining(key)
        if locked > 0:
            return _too_many(connection, identity, address, "locked out", locked)
        if credentials is not None:
            wait = self.throttle.remaining(identity)
            if wait > 0:
                storm = f"over {self.throttle.max_events} handshakes in {self.throttle.window:g} s"
                return _too_many(connection, identity, address, storm, wait)
        profile = connection_profile(connection)
        refusal = await self._refusal(connection, request, identity, credentials, profile)
        if refusal is None and credentials is not None:
            refusal = await self._below_recorded(credentials, profile, address)
        if refusal is not None:
            locked_now = self.lockout.failure(key)
            log.warning(
                "charger refused identity=%r address=%s reason=%s%s",
                identity,
                address,
                refusal,
                " (now locked out)" if locked_now else "",
            )
            response = connection.respond(HTTPStatus.UNAUTHORIZED, "Unauthorized\n")
            if profile < 3:
                response.headers["WWW-Authenticate"] = 'Basic realm="smartcharge", charset="UTF-8"'
            return response
        assert credentials is not None
        self.lockout.success(key)
        # Only handshakes that authenticated count: a stranger naming this charger cannot use
        # up its allowance (the failures above lock out that stranger's address instead).
        self.throttle.record(identity)
        if credentials.security_profile is None or profile > credentials.security_profile:
            await self.store.chargers.raise_security_profile(credentials.id, profile)
            log.info("charger security profile identity=%s profile=%s", identity, profile)
        return credentials

    async def _refusal(
        self,
        connection: ServerConnection,
        request: Request,
        identity: str,
        credentials: Credentials | None,
        profile: int,
    ) -> str | None:
        """Why this request is refused, or None when it may connect."""
        if profile == 3:
            if credentials is None:
                return "unknown identity"
            common_name = _client_common_name(connection)
            if common_name != identity:
                return "client certificate does not name the identity"
            return None
        password = _basic_password(request.headers.get("Authorization"), identity)
        if credentials is None:
            # Verified against a dummy hash anyway: same work, same time as a known identity.
            await verify_charger_password_async(None, password or "")
            return "unknown identity"
        if password is None:
            await verify_charger_password_async(None, "")
            return "no basic auth for this identity"
        ok = await password_check(self.store, credentials, password, now=self._now)
        return None if ok else "wrong password"

    async def _below_recorded(
        self, credentials: Credentials, profile: int, address: str
    ) -> str | None:
        """A charger is never let in below the profile it is held to (a downgrade is what an
        attacker who has a password but not the charger's key would try): refused, and stored
        as the charger's security event."""
        held = credentials.security_profile
        if held is None or profile >= held:
            return None
        reason = f"security profile {profile} below the charger's {held}"
        now = self._now()
        await self.store.history.add_security_event(
            credentials.id,
            type=PROFILE_DOWNGRADE,
            tech_info=f"{reason}, from {address}",
            timestamp=now,
            received_at=now,
        )
        return reason


def connection_profile(connection: ServerConnection) -> int:
    """The security profile a connection arrived with: 1 without TLS, 3 with a client
    certificate the listener verified against `tls_client_ca`, else 2 (TLS, a password)."""
    transport = connection.transport
    if transport.get_extra_info("ssl_object") is None:
        return 1
    return 3 if transport.get_extra_info("peercert") else 2


def _too_many(
    connection: ServerConnection, identity: str, address: str, reason: str, wait: float
) -> Response:
    log.warning("charger refused identity=%r address=%s reason=%s", identity, address, reason)
    response = connection.respond(HTTPStatus.TOO_MANY_REQUESTS, "Too Many Requests\n")
    response.headers["Retry-After"] = str(int(wait) + 1)
    return response


def identity_of(path: str) -> str | None:
    if not path.startswith(PATH_PREFIX):
        return None
    identity = unquote(path[len(PATH_PREFIX) :].split("?", 1)[0])
    return identity if IDENTITY.fullmatch(identity) else None


def address_of(connection: ServerConnection) -> str:
    remote = connection.remote_address
    return str(remote[0]) if remote else "unknown"


def _basic_password(header: str | None, identity: str) -> str | None:
    """The password of a `Basic` Authorization header for `identity`, else None.

    The whitepaper writes an AuthorizationKey as hexadecimal digits; some chargers send those
    digits, others the octets they stand for. Octets that are not printable text are read as
    the hexadecimal digits they stand for, so both ways open the charger."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        raw = base64.b64decode(token.strip(), validate=True)
    except binascii.Error:
        return None
    user, sep, secret = raw.partition(b":")
    if not sep or user != identity.encode():
        return None
    try:
        password = secret.decode("utf-8")
    except UnicodeDecodeError:
        return secret.hex()
    return password if password.isprintable() else secret.hex()


def _client_common_name(connection: ServerConnection) -> str | None:
    cert = connection.transport.get_extra_info("peercert")
    if not cert:
        return None
    for rdn in cert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return None


def limited_connections(limits: ConnectionLimits) -> type[ServerConnection]:
    """websockets' connection class for a listener with these caps: a connection over them is
    answered 503 and closed before websockets reads a byte of it."""

    class LimitedConnection(ServerConnection):
        _counted_as: str | None = None

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            peer = transport.get_extra_info("peername")
            address = str(peer[0]) if peer else "unknown"
            if not limits.admit(address):
                # A stream transport (asyncio's or uvloop's, which is no asyncio subclass).
                stream = cast(asyncio.Transport, transport)
                stream.write(REFUSED)
                stream.abort()
                return
            self._counted_as = address
            super().connection_made(transport)

        def connection_lost(self, exc: Exception | None) -> None:
            if self._counted_as is None:
                return  # refused at the door: websockets never knew it
            limits.release(self._counted_as)
            self._counted_as = None
            super().connection_lost(exc)

    return LimitedConnection
