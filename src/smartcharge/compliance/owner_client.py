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


@dataclass(frozen=True)
class Probe:
    """One connection attempt: `version` negotiated, or `refused` with the error."""

    version: str | None
    refused: str | None = None
    peer_cert_sha256: str | None = None
    # The suite's own TLS library could not even offer the version (never a pass).
    unsupported_here: bool = False


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


async def probe_tls(host: str, port: int, version: ssl.TLSVersion | None) -> Probe:
    """Try a TLS handshake offering only `version` (None: the client's default range)."""
    try:
        ctx = _client_context(version)
    except (ValueError, ssl.SSLError) as exc:
        return Probe(None, f"this client cannot offer it: {exc}", unsupported_here=True)
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=ctx, server_hostname=host), 10
        )
    except ssl.SSLError as exc:
        text = str(exc)
        # OpenSSL says NO_PROTOCOLS_AVAILABLE when it refuses to offer the version itself.
        mine = "NO_PROTOCOLS_AVAILABLE" in text or "NO_CIPHERS_AVAILABLE" in text
        return Probe(None, text, unsupported_here=mine)
    except (OSError, TimeoutError) as exc:
        return Probe(None, f"{type(exc).__name__}: {exc}")
    ssl_object = writer.get_extra_info("ssl_object")
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    digest = None
    if der:
        digest = x509.load_der_x509_certificate(der).fingerprint(hashes.SHA256()).hex(":")
    negotiated = ssl_object.version() if ssl_object is not None else None
    writer.close()
    with contextlib.suppress(OSError, ssl.SSLError):
        await writer.wait_closed()
    del reader
    return Probe(negotiated, peer_cert_sha256=digest)


async def probe_plain_http(host: str, port: int) -> str | None:
    """A plain-HTTP request to the TLS port: the status line if it was answered as HTTP, None if
    the charger did not speak HTTP in clear (what R33 wants)."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
    except (OSError, TimeoutError):
        return None
    try:
        writer.write(b"GET /api/setup HTTP/1.1\r\nHost: charger\r\nConnection: close\r\n\r\n")
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), 10)
    except (OSError, TimeoutError):
        line = b""
    finally:
        writer.close()
    text = line.decode("latin-1").strip()
    return text if text.startswith("HTTP/") else None


def cert_sha256(cert_file: Path) -> str:
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    return cert.fingerprint(hashes.SHA256()).hex(":")
