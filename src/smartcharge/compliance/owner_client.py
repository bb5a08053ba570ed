"""The suite as the owner: a client of the charger's HTTPS owner API (docs/owner-api.md), and the
probes that show the API speaks nothing but TLS 1.2 or later (R33).

The charger makes its own certificate at first start (data_dir/owner_api/owner-api.pem); the
suite trusts exactly that certificate, as the owner's browser does once the fingerprint on the
label matched, so a charger presenting any other certificate is not talked to.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import ssl
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from cryptography import x509
from cryptography.hazmat.primitives import hashes

CERT_PATH = Path("owner_api") / "owner-api.pem"


class OwnerApiError(Exception):
    """The owner API answered with an error status (`status`, and its JSON body)."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        super().__init__(f"{method} {path}: {status} {body}")
        self.status = status
        self.body = body


class OwnerClient:
    """Signed in as the owner; `request` answers the decoded JSON or raises OwnerApiError."""

    def __init__(
        self, host: str, port: int, cert_file: Path, setup_code: str | None = None
    ) -> None:
        self.host, self.port, self.cert_file = host, port, cert_file
        self.setup_code = setup_code  # from the charger's label: first use needs it
        self.base = f"https://{host}:{port}/api"
        self._ssl = ssl.create_default_context(cafile=str(cert_file))
        self._session: aiohttp.ClientSession | None = None
        self._token: str | None = None
        self.password = secrets.token_urlsafe(18)  # the owner's own, chosen at first use

    def repoint(self, port: int) -> None:
        """The charger was started again and listens on `port` now (same owner, same password)."""
        self.port = port
        self.base = f"https://{self.host}:{port}/api"

    async def request(self, method: str, path: str, body: Any = None, *, again: bool = True) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        async with self._session.request(
            method, self.base + path, json=body, headers=headers, ssl=self._ssl
        ) as res:
            data = await res.json(content_type=None)
            expired = res.status == 401 and self._token is not None
            if expired and again:
                # A sign-in lasts so long on the charger's clock, which may run many times
                # faster than real time: sign in again, once.
                await self.first_use()
                return await self.request(method, path, body, again=False)
            if res.status >= 400:
                raise OwnerApiError(method, path, res.status, data)
            return data

    async def text(self, path: str) -> tuple[str, str]:
        """A non-JSON answer (a CSV download): (content type, text)."""
        assert self._session is not None
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        async with self._session.get(self.base + path, headers=headers, ssl=self._ssl) as res:
            if res.status >= 400:
                raise OwnerApiError("GET", path, res.status, await res.text())
            return res.content_type, await res.text()

    async def first_use(self) -> None:
        """Set the owner's password (first use) or sign in with it again (after a restart)."""
        setup = await self.request("GET", "/setup")
        if setup.get("passwordSet"):
            answer = await self.request("POST", "/login", {"password": self.password})
        else:
            body = {"password": self.password, "setupCode": self.setup_code}
            answer = await self.request("POST", "/setup", body)
        self._token = str(answer["token"])

    async def until_up(self, timeout: float = 20.0) -> None:
        """Wait until the API answers (it answers 503 between two boots), then sign in."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            try:
                await self.first_use()
                return
            except (OwnerApiError, aiohttp.ClientError, OSError):
                if loop.time() > end:
                    raise
                await asyncio.sleep(0.1)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


# --- R33: what the owner API accepts on the wire ------------------------------------------------


# Generous: a probe ends as soon as the charger answers or refuses; only a silent one waits it out.
PROBE_WAIT_S = 10.0


@dataclass(frozen=True)
class Probe:
    """One connection attempt: `version` negotiated, or `refused` with the error."""

    version: str | None
    refused: str | None = None
    peer_cert_sha256: str | None = None
    # The suite's own TLS library could not even offer the version (never a pass).
    unsupported_here: bool = False
    # Nothing came back within the wait (no connection, or a handshake left unanswered): no
    # evidence either way, never a pass. `refused` then says what was seen.
    silent: bool = False


def _client_context(version: ssl.TLSVersion | None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the probe is about the protocol; trust is checked apart
    if version is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0/1.1 on purpose
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # let OpenSSL 3 offer the old versions
            ctx.minimum_version = version
            ctx.maximum_version = version
    return ctx


async def _connect(
    host: str, port: int, wait: float
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | str:
    """A TCP connection, or why there is none (the charger said nothing about the probe yet)."""
    try:
        return await asyncio.wait_for(asyncio.open_connection(host, port), wait)
    except (OSError, TimeoutError) as exc:
        return f"no TCP connection in {wait:g} s: {type(exc).__name__}: {exc}"


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError, ssl.SSLError):
        await writer.wait_closed()


def _drop(writer: asyncio.StreamWriter) -> None:
    # After a failed start_tls the stream's protocol no longer owns the connection, so waiting
    # for it to close would wait for ever: the connection is dropped instead.
    writer.transport.abort()


async def probe_tls(
    host: str, port: int, version: ssl.TLSVersion | None, wait: float = PROBE_WAIT_S
) -> Probe:
    """Try a TLS handshake offering only `version` (None: the client's default range). The TCP
    connection is made first, so that a refusal is the charger's answer to the handshake (an
    alert, or the connection closed or reset), never a connection or an answer that did not come
    in time (`silent`)."""
    try:
        ctx = _client_context(version)
    except (ValueError, ssl.SSLError) as exc:
        return Probe(None, f"this client cannot offer it: {exc}", unsupported_here=True)
    connected = await _connect(host, port, wait)
    if isinstance(connected, str):
        return Probe(None, connected, silent=True)
    _, writer = connected
    try:
        await asyncio.wait_for(writer.start_tls(ctx, server_hostname=host), wait)
    except ssl.SSLError as exc:
        _drop(writer)
        text = str(exc)
        # OpenSSL says NO_PROTOCOLS_AVAILABLE when it refuses to offer the version itself.
        mine = "NO_PROTOCOLS_AVAILABLE" in text or "NO_CIPHERS_AVAILABLE" in text
        return Probe(None, text, unsupported_here=mine)
    except ConnectionError as exc:  # closed or reset by the charger during the handshake
        _drop(writer)
        return Probe(
            None, f"{type(exc).__name__} during the handshake" + (f": {exc}" if str(exc) else "")
        )
    except (OSError, TimeoutError) as exc:
        _drop(writer)
        return Probe(
            None, f"no answer to the handshake in {wait:g} s ({type(exc).__name__})", silent=True
        )
    ssl_object = writer.get_extra_info("ssl_object")
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    digest = None
    if der:
        digest = x509.load_der_x509_certificate(der).fingerprint(hashes.SHA256()).hex(":")
    negotiated = ssl_object.version() if ssl_object is not None else None
    await _close(writer)
    return Probe(negotiated, peer_cert_sha256=digest)


@dataclass(frozen=True)
class PlainHttp:
    """A plain-HTTP request to the TLS port: `answered` True (its status line in `seen`), False
    when the charger refused to speak HTTP in clear (closed the connection, or sent something
    that is not HTTP), None when nothing came back within the wait."""

    answered: bool | None
    seen: str


async def probe_plain_http(host: str, port: int, wait: float = PROBE_WAIT_S) -> PlainHttp:
    connected = await _connect(host, port, wait)
    if isinstance(connected, str):
        return PlainHttp(None, connected)
    reader, writer = connected
    try:
        writer.write(b"GET /api/setup HTTP/1.1\r\nHost: charger\r\nConnection: close\r\n\r\n")
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), wait)
    except ConnectionError as exc:
        return PlainHttp(False, f"connection {type(exc).__name__}")
    except (OSError, TimeoutError):
        return PlainHttp(None, f"no answer and the connection still open after {wait:g} s")
    finally:
        await _close(writer)
    text = line.decode("latin-1").strip()
    if text.startswith("HTTP/"):
        return PlainHttp(True, text)
    return PlainHttp(False, f"not HTTP: {line[:16]!r}" if line else "closed with no answer")


def cert_sha256(cert_file: Path) -> str:
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    return cert.fingerprint(hashes.SHA256()).hex(":")
