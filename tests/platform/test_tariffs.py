"""Tariffs (issue 13 item 2): typed bands (overlaps refused), fixed-window presets, Octopus Agile
prices fetched from a local HTTP server that serves the products API's documented JSON (and
garbage, errors and silence), the typed bands behind unknown prices, and session costs at the
price in force in each half-hour. Nothing here reaches the internet."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from aiohttp import web

from smartcharge.ocpp.times import format_time
from smartcharge.platform.services.tariffs.agile import AgileClient, AgileError, parse_agile
from smartcharge.platform.services.tariffs.bands import Tariff, TariffError, parse_tariff
from smartcharge.platform.services.tariffs.cost import session_cost_p
from smartcharge.platform.services.tariffs.fixed import fixed_window_tariff
from smartcharge.platform.services.tariffs.prices import Prices

DAY = datetime(2026, 1, 15, 0, 0, tzinfo=UTC)
AGILE = parse_agile("AGILE-24-10-01", "c")
PATH = "/v1/products/AGILE-24-10-01/electricity-tariffs/E-1R-AGILE-24-10-01-C/standard-unit-rates/"


def _rows(start: datetime, prices: list[float]) -> list[dict[str, Any]]:
    rows = [
        {
            "value_exc_vat": round(p / 1.05, 4),
            "value_inc_vat": p,
            "valid_from": format_time(start + timedelta(minutes=30 * i), "seconds"),
            "valid_to": format_time(start + timedelta(minutes=30 * i + 30), "seconds"),
            "payment_method": None,
        }
        for i, p in enumerate(prices)
    ]
    return rows[::-1]  # newest first, as the API answers


@dataclass
class FakeOctopus:
    """A local stand-in for the products API: `answers` are served in turn (the last repeats)."""

    answers: list[Any] = field(default_factory=list)
    asked: list[dict[str, str]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    base: str = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.asked.append(dict(request.query))
        answer = self.answers[min(len(self.asked), len(self.answers)) - 1]
        if answer == "silence":
            await self.release.wait()  # never answers before the client gives up
            return web.Response(status=504)
        if isinstance(answer, int):
            return web.Response(status=answer, text="busy")
        if isinstance(answer, bytes):
            return web.Response(body=answer, content_type="application/json")
        return web.json_response(answer)


@pytest.fixture
async def octopus() -> AsyncIterator[FakeOctopus]:
    fake = FakeOctopus()
    app = web.Application()
    app.router.add_get(PATH, fake.handle)
    app.router.add_get("/page2", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.base = f"http://127.0.0.1:{port}"
    yield fake
    fake.release.set()
    await runner.cleanup()


class Clock:
    def __init__(self) -> None:
        self.now = DAY

    def __call__(self) -> datetime:
        return self.now


async def _nap(_: float) -> None:
    """The client's pause between attempts, taken at once (the test's clock is manual)."""


def _client(http: httpx.AsyncClient, fake: FakeOctopus, clock: Clock, **kw: Any) -> AgileClient:
    return AgileClient(http, now=clock, base_url=fake.base, sleep=_nap, **kw)


async def test_agile_prices_are_read_from_the_documented_json_and_cached(
    octopus: FakeOctopus,
) -> None:
    prices = [15.0, 12.5, -3.0, 30.1]
    octopus.answers = [{"count": 4, "next": None, "previous": None, "results": _rows(DAY, prices)}]
    clock = Clock()
    async with httpx.AsyncClient() as http:
        client = _client(http, octopus, clock)
        got = await client.prices(AGILE, DAY, DAY + timedelta(hours=2))
        assert got == {DAY + timedelta(minutes=30 * i): p for i, p in enumerate(prices)}
        assert octopus.asked == [
            {"period_from": "2026-01-15T00:00:00Z", "period_to": "2026-01-16T00:00:00Z"}
        ]
        assert await client.prices(AGILE, DAY, DAY + timedelta(hours=2)) == got
        assert len(octopus.asked) == 1  # cached
        clock.now += timedelta(minutes=31)
        assert await client.prices(AGILE, DAY, DAY + timedelta(hours=2)) == got
        assert len(octopus.asked) == 2  # the cache expired


async def test_agile_pages_are_followed_on_the_same_host_only(octopus: FakeOctopus) -> None:
    first = {"count": 2, "next": None, "previous": None, "results": _rows(DAY, [10.0])}
    second = {
        "count": 2,
        "next": None,
        "previous": None,
        "results": _rows(DAY + timedelta(minutes=30), [11.0]),
    }
    clock = Clock()
    async with httpx.AsyncClient() as http:
        client = _client(http, octopus, clock)
        octopus.answers = [{**first, "next": f"{octopus.base}/page2?page=2"}, second]
        got = await client.prices(AGILE, DAY, DAY + timedelta(hours=1))
        assert got == {DAY: 10.0, DAY + timedelta(minutes=30): 11.0}
        octopus.answers = [{**first, "next": "https://elsewhere.example/page2"}]
        fresh = _client(http, octopus, clock)  # nothing cached
        assert await fresh.prices(AGILE, DAY, DAY + timedelta(hours=3)) is None


@pytest.mark.parametrize(
    "garbage",
    [
        b"not json",
        b"[1, 2, 3]",
        {"results": "nope"},
        {"results": [{"value_inc_vat": "12", "valid_from": "2026-01-15T00:00:00Z"}]},
        {
            "results": [
                {
                    "value_inc_vat": 1e9,
                    "valid_from": "2026-01-15T00:00:00Z",
                    "valid_to": "2026-01-15T00:30:00Z",
                }
            ]
        },
        {
            "results": [
                {
                    "value_inc_vat": 12,
                    "valid_from": "2026-01-15T00:10:00Z",
                    "valid_to": "2026-01-15T00:40:00Z",
                }
            ]
        },
        {"results": [{"value_inc_vat": 12, "valid_from": "yesterday", "valid_to": None}]},
        {
            "results": [
                {
                    "value_inc_vat": 12,
                    "valid_from": "2026-01-15T01:00:00Z",
                    "valid_to": "2026-01-15T00:30:00Z",
                }
            ]
        },
        {"results": [*_rows(DAY, [10.0]), 7]},
    ],
)
async def test_agile_garbage_means_prices_unknown_never_half_a_list(
    octopus: FakeOctopus, garbage: Any
) -> None:
    octopus.answers = [garbage]
    async with httpx.AsyncClient() as http:
        got = await _client(http, octopus, Clock()).prices(AGILE, DAY, DAY + timedelta(hours=1))
    assert got is None


async def test_agile_errors_and_silence_are_retried_then_unknown(octopus: FakeOctopus) -> None:
    good = {"count": 1, "next": None, "previous": None, "results": _rows(DAY, [9.0])}
    async with httpx.AsyncClient() as http:
        client = _client(http, octopus, Clock(), timeout_s=0.2, attempts=3)
        octopus.answers = [503, "silence", good]
        assert await client.prices(AGILE, DAY, DAY + timedelta(minutes=30)) == {DAY: 9.0}
        assert len(octopus.asked) == 3
        octopus.asked.clear()
        octopus.answers = ["silence"]
        tomorrow = DAY + timedelta(days=1)  # not cached
        assert await client.prices(AGILE, tomorrow, tomorrow + timedelta(hours=5)) is None
        assert len(octopus.asked) == 3  # three attempts, each timed out


async def test_agile_an_answer_too_large_is_refused(octopus: FakeOctopus) -> None:
    octopus.answers = [b'{"results": [' + b" " * 1_100_000 + b"]}"]
    async with httpx.AsyncClient() as http:
        got = await _client(http, octopus, Clock()).prices(AGILE, DAY, DAY + timedelta(hours=1))
    assert got is None


def test_agile_product_and_region_are_checked() -> None:
    assert parse_agile(" agile-24-10-01 ", "_C").tariff_code == "E-1R-AGILE-24-10-01-C"
    for product, region in (
        ("", "C"),
        ("AGILE/../x", "C"),
        ("AGILE-24-10-01", "I"),
        ("AGILE-24-10-01", "CC"),
    ):
        with pytest.raises(AgileError):
            parse_agile(product, region)


def test_unknown_prices_fall_back_to_the_typed_bands_and_say_so() -> None:
    typed = Tariff(24.0, ())
    prices = Prices({DAY: 5.0}, fallback=typed, dynamic=True)
    assert prices.price(DAY + timedelta(minutes=10)) == 5.0
    assert prices.price(DAY + timedelta(minutes=30)) == 24.0
    assert prices.unknown_from(DAY, DAY + timedelta(hours=1)) == DAY + timedelta(minutes=30)
    assert Prices(fallback=typed).unknown_from(DAY, DAY + timedelta(hours=1)) is None
    nothing = Prices()
    assert nothing.price(DAY) == 0.0 and nothing.unknown_from(DAY, DAY + timedelta(hours=1)) == DAY


def test_bands_that_overlap_are_refused_with_both_lines_named() -> None:
    with pytest.raises(TariffError, match="band lines 1 and 3 overlap"):
        parse_tariff("30", "00:30-04:30 7.5\n12:00-13:00 20\n04:00-05:00 9")
    with pytest.raises(TariffError, match="band lines 1 and 2 overlap"):
        parse_tariff("30", "23:00-01:00 7.5\n00:30-02:00 8")  # past midnight
    assert len(parse_tariff("30", "23:00-00:30 7.5\n00:30-04:30 8").bands) == 2  # adjacent


def test_fixed_window_presets_are_bands() -> None:
    go = fixed_window_tariff("octopus_go", "27.5", "8.5")
    assert go.price_at(time(0, 30)) == 8.5 and go.price_at(time(5, 30)) == 27.5
    e7 = fixed_window_tariff("economy_7", "30", "12")
    assert e7.price_at(time(7, 0)) == 12
    with pytest.raises(TariffError, match="night price"):
        fixed_window_tariff("intelligent_go", "27", "lots")
    with pytest.raises(TariffError, match="pick a tariff"):
        fixed_window_tariff("cheap_one", "27", "8")


def test_session_cost_uses_the_price_in_force_in_each_half_hour() -> None:
    prices = Prices({DAY: 10.0, DAY + timedelta(minutes=30): 40.0}, dynamic=True)
    # 2 kWh in the first half-hour, 1 kWh in the second (from the meter readings)
    readings = [
        (DAY, 0.0),
        (DAY + timedelta(minutes=30), 2000.0),
        (DAY + timedelta(hours=1), 3000.0),
    ]
    cost = session_cost_p(prices.price, DAY, DAY + timedelta(hours=1), 3000, readings)
    assert cost == pytest.approx(2 * 10 + 1 * 40)
    # without readings the energy is spread evenly: 1.5 kWh each
    even = session_cost_p(prices.price, DAY, DAY + timedelta(hours=1), 3000)
    assert even == pytest.approx(1.5 * 10 + 1.5 * 40)
