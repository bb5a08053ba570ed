"""Octopus Agile: half-hourly prices from Octopus Energy's public products API (no key needed).

    GET {base}/v1/products/{product}/electricity-tariffs/E-1R-{product}-{region}/
        standard-unit-rates/?period_from=...Z&period_to=...Z

answers ``{"count", "next", "previous", "results": [{"value_exc_vat", "value_inc_vat",
"valid_from", "valid_to", "payment_method"}, ...]}``, newest first, paged through ``next``.
The owner pays the price with VAT (`value_inc_vat`, pence per kWh; it can be negative).

Everything from the network is checked before it is believed: a page that is not that shape, a
price that is not a finite number in range, a time that is not a UTC instant on a half-hour,
or more than `MAX_BYTES` is garbage, and garbage means "prices unknown" (the caller falls back
to the typed bands), never half a price list. Each request has a timeout; a failure is retried
a few times with a growing pause; good answers (a UTC day each) are cached for `ttl`, so a
page or a replan does not ask Octopus again. Only ``next`` links to the same host are followed.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import re
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from smartcharge.ocpp.times import MissingOffset, format_time, parse_time

log = logging.getLogger("smartcharge.platform.tariffs")


@functools.cache
def public_tls() -> ssl.SSLContext:
    """The trust store for Octopus's HTTPS, httpx's own default (certifi's, or SSL_CERT_FILE),
    loaded once per process: loading it costs about 25 ms of CPU, and a platform starts even
    where it never asks for prices (a context is shared safely by every connection)."""
    return httpx.create_ssl_context()


REGIONS = frozenset("ABCDEFGHJKLMNP")
"""The grid supply point groups (the letter after the underscore in a postcode's GSP)."""
DEFAULT_BASE = "https://api.octopus.energy"
MAX_BYTES = 1_000_000
MAX_PAGES = 5
MAX_PRICE_P = 1000.0
SLOT = timedelta(minutes=30)
_PRODUCT = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,48}$")


class AgileError(ValueError):
    """The product code or region the owner typed is not one (says which)."""


@dataclass(frozen=True, slots=True)
class AgileTariff:
    product: str  # like AGILE-24-10-01
    region: str  # A..P

    @property
    def tariff_code(self) -> str:
        return f"E-1R-{self.product}-{self.region}"


def parse_agile(product: str, region: str) -> AgileTariff:
    p, r = product.strip().upper(), region.strip().upper().lstrip("_")
    if not _PRODUCT.match(p):
        raise AgileError("product code: letters, digits and dashes, like AGILE-24-10-01")
    if r not in REGIONS:
        raise AgileError("region: one letter from A to P (not I or O), from your postcode")
    return AgileTariff(p, r)


Sleep = Callable[[float], Awaitable[None]]


class AgileClient:
    """Fetches and caches the half-hourly prices of Agile tariffs."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        now: Callable[[], datetime],
        base_url: str = DEFAULT_BASE,
        timeout_s: float = 10.0,
        attempts: int = 3,
        ttl: timedelta = timedelta(minutes=30),
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._http = http
        self._now = now
        self._base = base_url.rstrip("/")
        self._timeout = httpx.Timeout(timeout_s)
        self._attempts = attempts
        self._ttl = ttl
        self._sleep = sleep
        self._cache: dict[tuple[str, datetime], tuple[datetime, dict[datetime, float]]]
        self._cache = {}

    async def prices(
        self, tariff: AgileTariff, start: datetime, end: datetime
    ) -> dict[datetime, float] | None:
        """Half-hour start (UTC) -> pence per kWh inc. VAT over [start, end); None when the
        prices are unknown (no answer, garbage). Prices not yet published are simply absent.
        Asked a whole UTC day at a time, so that any window inside a cached day is free."""
        lo, hi = _floor_slot(start.astimezone(UTC)), end.astimezone(UTC)
        found: dict[datetime, float] = {}
        day = lo.replace(hour=0, minute=0)
        while day < hi:
            prices = await self._day(tariff, day)
            if prices is None:
                return None
            found.update({t: p for t, p in prices.items() if lo <= t < hi})
            day += timedelta(days=1)
        return found

    async def _day(self, tariff: AgileTariff, day: datetime) -> dict[datetime, float] | None:
        key = (tariff.tariff_code, day)
        cached = self._cache.get(key)
        if cached is not None and self._now() - cached[0] < self._ttl:
            return cached[1]
        url = (
            f"{self._base}/v1/products/{tariff.product}/electricity-tariffs/"
            f"{tariff.tariff_code}/standard-unit-rates/"
        )
        end = day + timedelta(days=1)
        params = {
            "period_from": format_time(day, "seconds"),
            "period_to": format_time(end, "seconds"),
        }
        found: dict[datetime, float] = {}
        for _ in range(MAX_PAGES):
            page = await self._get(url, params)
            if page is None:
                return None
            try:
                found.update(_rates(page, day, end))
            except ValueError as exc:
                log.warning("Agile prices garbage tariff=%s problem=%s", tariff.tariff_code, exc)
                return None
            nxt = page.get("next")
            if not nxt:
                break
            if not isinstance(nxt, str) or urlsplit(nxt).netloc != urlsplit(self._base).netloc:
                log.warning("Agile next link to another host refused tariff=%s", tariff.tariff_code)
                return None
            url, params = nxt, {}
        self._cache = {k: v for k, v in self._cache.items() if self._now() - v[0] < self._ttl}
        self._cache[key] = (self._now(), found)
        return found

    async def _get(self, url: str, params: dict[str, str]) -> dict[str, Any] | None:
        for attempt in range(self._attempts):
            if attempt:
                await self._sleep(2.0**attempt)
            try:
                body = await self._read(url, params)
            except (httpx.HTTPError, ValueError) as exc:
                log.warning(
                    "Agile prices failed attempt=%d problem=%s", attempt + 1, type(exc).__name__
                )
                continue
            if isinstance(body, dict):
                return body
            log.warning("Agile prices garbage problem=not a JSON object")
            return None
        return None

    async def _read(self, url: str, params: dict[str, str]) -> object:
        async with self._http.stream("GET", url, params=params, timeout=self._timeout) as answer:
            if answer.status_code != 200:
                raise httpx.HTTPStatusError(
                    f"status {answer.status_code}", request=answer.request, response=answer
                )
            data = bytearray()
            async for chunk in answer.aiter_bytes():
                data += chunk
                if len(data) > MAX_BYTES:
                    raise ValueError("answer too large")
        return orjson.loads(bytes(data))


def _rates(page: dict[str, Any], lo: datetime, hi: datetime) -> dict[datetime, float]:
    results = page.get("results")
    if not isinstance(results, list):
        raise ValueError("no results list")
    out: dict[datetime, float] = {}
    for row in results:
        if not isinstance(row, dict):
            raise ValueError("a result is not an object")
        price = row.get("value_inc_vat")
        if isinstance(price, bool) or not isinstance(price, int | float):
            raise ValueError("value_inc_vat is not a number")
        if not math.isfinite(price) or abs(price) > MAX_PRICE_P:
            raise ValueError("value_inc_vat out of range")
        start = _instant(row.get("valid_from"))
        end = hi if row.get("valid_to") is None else _instant(row.get("valid_to"))
        if end <= start:
            raise ValueError("valid_to is not after valid_from")
        at = max(start, lo)
        while at < min(end, hi):
            out[at] = float(price)
            at += SLOT
    return out


def _instant(value: object) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("a time is not a string")
    try:
        when = parse_time(value)
    except MissingOffset:
        raise ValueError("a time has no zone") from None
    if when != _floor_slot(when):
        raise ValueError("a time is not on a half-hour")
    return when


def _floor_slot(when: datetime) -> datetime:
    return when.replace(minute=when.minute - when.minute % 30, second=0, microsecond=0)
