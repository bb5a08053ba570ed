"""HTTP(S) transfers for firmware downloads and diagnostics/log uploads, with OCPP's retries.

Both UpdateFirmware and GetDiagnostics give a `retries` count and a `retryInterval`; the interval
runs on the injected clock so the simulated charger can be tested quickly.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar
from urllib.parse import urlsplit

import aiohttp

from smartcharge.sim.clock import Clock

log = logging.getLogger("smartcharge.chargepoint.transfer")

T = TypeVar("T")
MAX_IMAGE_BYTES = 64 * 1024 * 1024


class TransferError(Exception):
    pass


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
    tries = 1 + max(0, retries or 0)
    for n in range(1, tries + 1):
        try:
            return await attempt()
        except (TransferError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning("transfer attempt %s/%s failed: %s", n, tries, exc)
            if n == tries:
                raise TransferError(str(exc)) from exc
            await clock.sleep(max(1, interval or 60))
    raise AssertionError("unreachable")


async def download(url: str, timeout_s: float = 60.0) -> bytes:
    check_location(url)
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(timeout=timeout) as http, http.get(url) as resp:
        if resp.status != 200:
            raise TransferError(f"download of {redact(url)} answered HTTP {resp.status}")
        body = await resp.content.read(MAX_IMAGE_BYTES + 1)
        if len(body) > MAX_IMAGE_BYTES:
            raise TransferError("image larger than the charger can hold")
        return body


async def upload(url: str, filename: str, data: bytes, timeout_s: float = 60.0) -> None:
    """POST the file as multipart/form-data (field `file`), the common HTTP form of OCPP uploads."""
    check_location(url)
    form = aiohttp.FormData()
    form.add_field("file", data, filename=filename, content_type="application/gzip")
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(timeout=timeout) as http, http.post(url, data=form) as resp:
        if resp.status >= 300:
            raise TransferError(f"upload to {redact(url)} answered HTTP {resp.status}")


async def upload_and_report(
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
        await with_retries(clock, retries, interval, lambda: upload(location, name, data))
    except TransferError as exc:
        log.warning("upload of %s failed: %s", name, exc)
        await report(failed)
        return
    await report("Uploaded")
