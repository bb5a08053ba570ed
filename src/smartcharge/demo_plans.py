"""What the demo shows off (issue 13 item 7): the first charger plans to a departure under an
Agile-like tariff, the second charges now.

The tariff's half-hourly prices come from `AgileReplay`: a local HTTP server on 127.0.0.1 that
answers the products API's standard-unit-rates requests with one made-up day
(demo_data/agile_day.json) replayed for whatever days are asked, so the demo's platform fetches
"Agile" prices exactly as it would from Octopus, and nothing leaves the machine."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from importlib import resources
from typing import Any

from aiohttp import web

from smartcharge.ocpp import uk_extension
from smartcharge.ocpp.times import format_time, parse_time
from smartcharge.platform.app import PlatformApp
from smartcharge.platform.services import departure_plans
from smartcharge.platform.services.departures import Departure

PRODUCT, REGION = "AGILE-DEMO", "C"
FALLBACK = (24.5, [("00:30", "04:30", 9.0)])  # typed prices behind any unknown half-hour


def day_prices() -> list[float]:
    text = resources.files("smartcharge.demo_data").joinpath("agile_day.json").read_text()
    return [float(p) for p in json.loads(text)["prices_inc_vat"]]


class AgileReplay:
    """The products API's unit rates for the demo's tariff, from the fixture, on loopback."""

    def __init__(self) -> None:
        self.prices = day_prices()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        app = web.Application()
        path = (
            f"/v1/products/{PRODUCT}/electricity-tariffs/E-1R-{PRODUCT}-{REGION}"
            "/standard-unit-rates/"
        )
        app.router.add_get(path, self._rates)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _rates(self, request: web.Request) -> web.Response:
        try:
            lo = _instant(request.query["period_from"])
            hi = _instant(request.query["period_to"])
        except (KeyError, ValueError):
            return web.json_response({"detail": "period_from and period_to"}, status=400)
        rows: list[dict[str, Any]] = []
        at = lo
        while at < hi and len(rows) < 1500:
            price = self.prices[(at.hour * 60 + at.minute) // 30]
            rows.append(
                {
                    "value_exc_vat": round(price / 1.05, 4),
                    "value_inc_vat": price,
                    "valid_from": format_time(at, "seconds"),
                    "valid_to": format_time(at + timedelta(minutes=30), "seconds"),
                    "payment_method": None,
                }
            )
            at += timedelta(minutes=30)
        rows.reverse()  # newest first, as the API answers
        return web.json_response(
            {"count": len(rows), "next": None, "previous": None, "results": rows}
        )


def _instant(text: str) -> datetime:
    when = parse_time(text)
    return when.replace(minute=when.minute - when.minute % 30, second=0, microsecond=0)


async def show_off(platform: PlatformApp, planned: str, charging_now: str | None) -> str:
    """The first charger: Agile prices (the typed ones behind them) and a departure every day
    at 07:00 with 30 kWh on socket 1; the second: charge now on socket 1. The plan's promise."""
    store = platform.store
    found = await store.chargers.credentials(planned)
    assert found is not None
    now = platform.now()
    await store.owner_records.set_tariff(found.id, FALLBACK[0], FALLBACK[1], at=now)
    await store.owner_records.set_feed(found.id, PRODUCT, REGION, at=now)
    every_day = Departure(time(7), tuple(range(7)), None, 11.0, energy_kwh=30.0)
    await store.owner_records.set_departure(found.id, 1, departure_plans.to_spec(every_day), at=now)
    words = await departure_plans.replan(platform.api_context, found.id, planned, user_id=None)
    if charging_now is not None:
        other = await store.chargers.credentials(charging_now)
        assert other is not None
        await platform.commander.uk(
            charging_now,
            other.id,
            uk_extension.CHARGE_NOW,
            {"connectorId": 1, "by": "owner"},
            user_id=None,
        )
    return words
