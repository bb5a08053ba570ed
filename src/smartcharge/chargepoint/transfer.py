"""HTTP(S) transfers for firmware downloads and diagnostics/log uploads, with OCPP's retries.

Both UpdateFirmware and GetDiagnostics give a `retries` count and a `retryInterval`; the interval
runs on the injected clock so the simulated charger can be tested quickly.

HTTPS servers are verified against `[security] transfer_ca_file` (a PEM bundle), or the system's
CAs when it is unset, TLS 1.2 or newer (`client_context`). `Transfers` makes that context on the
first transfer (the system's CAs take about 2.5 MB that a charger which never transfers a file
does not spend; an unreadable CA file fails that transfer) and holds the charger's rules: uploads
(logs, diagnostics) only over https:// from security profile 2 on, and a server certificate that
does not verify is a security event (`on_bad_certificate`).
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from smartcharge.clock import Clock

if TYPE_CHECKING:
    pass

log = logging.getLogger("smartcharge.chargepoint.transfer")

T = TypeVar("T")
MAX_IMAGE_BYTES = 64 * 1024 * 1024


class TransferError(Exception):
    pass


class CertificateRejected(TransferError):
    """The server's TLS certificate did not verify: retrying will not change that."""


def client_context(ca_file: Path | None) -> ssl.SSLContext:
    """Verify servers (chain and host name) against `ca_file`, or the system's CAs."""
    context = ssl.create_default_context(cafile=None if ca_file is None else str(ca_file))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def check_location(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise TransferError(f"only http(s) locations are supported, not {parts.scheme or url!r}")


def redact(url: str) -> str:
    """A location without any user:password part, for logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


async def with_retries(
    clock: Clock, retries: int | None, interval: int | None, attempt: Callable[[], Awaitable[T]]
) -> T:
    import aiohttp  # on first use: about 15 MB a charger that never transfers does not spend

    tries = 1 + max(0, retries or 0)
    for n in range(1, tries + 1):
        try:
            return await attempt()
        except aiohttp.ClientConnectorCertificateError as exc:
            why = f"server certificate not trusted: {exc.certificate_error}"
            raise CertificateRejected(why) from exc
        except (TransferError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning("transfer attempt %s/%s failed: %s", n, tries, exc)
            if n == tries:
                raise TransferError(str(exc)) from exc
            await clock.sleep(max(1, interval or 60))
    raise AssertionError("unreachable")


async def download(
    url: str, timeout_s: float = 60.0, *, tls: ssl.SSLContext | None = None
) -> bytes:
    import aiohttp

    check_location(url)
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with (
        aiohttp.ClientSession(timeout=timeout) as http,
        http.get(url, ssl=tls or True) as resp,
    ):
        if resp.status != 200:
            raise TransferError(f"download of {redact(url)} answered HTTP {resp.status}")
        body = await resp.content.read(MAX_IMAGE_BYTES + 1)
        if len(body) > MAX_IMAGE_BYTES:
            raise TransferError("image larger than the charger can hold")
        return body


async def upload(
    url: str,
    filename: str,
    data: bytes,
    timeout_s: float = 60.0,
    *,
    tls: ssl.SSLContext | None = None,
) -> None:
    """POST the file as multipart/form-data (field `file`), the common HTTP form of OCPP uploads."""
    import aiohttp

    check_location(url)
    form = aiohttp.FormData()
    form.add_field("file", data, filename=filename, content_type="application/gzip")
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with (
        aiohttp.ClientSession(timeout=timeout) as http,
        http.post(url, data=form, ssl=tls or True) as resp,
    ):
        if resp.status >= 300:
            raise TransferError(f"upload to {redact(url)} answered HTTP {resp.status}")


@dataclass(frozen=True)
class Transfers:
    """The charger's file transfers: its TLS context and its rules (see the module)."""

    ca_file: Path | None = None
    https_only_uploads: Callable[[], bool] = lambda: False
    on_bad_certificate: Callable[[str], object] = lambda what: None

    @cached_property
    def tls(self) -> ssl.SSLContext:
        return client_context(self.ca_file)

    def check_upload(self, url: str) -> None:
        """Raise TransferError for a location the charger will not upload to."""
        check_location(url)
        if self.https_only_uploads() and urlsplit(url).scheme != "https":
            raise TransferError("uploads go over https:// only at security profile 2 and above")

    async def download(self, url: str, timeout_s: float = 60.0) -> bytes:
        return await download(url, timeout_s, tls=self.tls)

    async def upload_and_report(
        self,
        clock: Clock,
        location: str,
        name: str,
        data: bytes,
        retries: int | None,
        interval: int | None,
        report: Callable[[str], Awaitable[None]],
        *,
        failed: str,
    ) -> None:
        """Upload with OCPP's retries, then `report("Uploaded")` or `report(failed)` (the status
        names of GetDiagnostics and GetLog differ only in the failure)."""
        try:
            self.check_upload(location)  # again: the security profile may have gone up
            await with_retries(
                clock, retries, interval, lambda: upload(location, name, data, tls=self.tls)
            )
        except TransferError as exc:
            log.warning("upload of %s failed: %s", name, exc)
            if isinstance(exc, CertificateRejected):
                self._bad_certificate(location, str(exc))
            await report(failed)
            return
        await report("Uploaded")

    def _bad_certificate(self, url: str, why: str) -> None:
        self.on_bad_certificate(f"{redact(url)[:120]}: {why}"[:255])
