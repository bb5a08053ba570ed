"""A client for the simulated charger's HTTP control API (docs/simulator.md).

Only the simulated target has one: through it the suite plays the outside world (plugs an EV,
presents a card, pulls the network cable, opens the enclosure, skews the meter).
"""

from __future__ import annotations

from typing import Any

import aiohttp


class SimulatorError(Exception):
    pass


class SimulatorControl:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None

    async def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        async with self._session.request(method, self.base_url + path, json=body) as res:
            data = await res.json(content_type=None)
            if res.status != 200:
                raise SimulatorError(f"{method} {path}: {res.status} {data}")
            return data

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def state(self) -> dict[str, Any]:
        return dict(await self._request("GET", "/state"))

    async def connector(self, n: int) -> dict[str, Any]:
        return dict((await self.state())["connectors"][str(n)])

    async def plug(
        self, n: int, battery_kwh: float = 200.0, soc: float = 10.0, max_power_w: float = 11000.0
    ) -> None:
        body = {"battery_kwh": battery_kwh, "soc": soc, "max_power_w": max_power_w}
        await self._request("POST", f"/connectors/{n}/plug", body)

    async def unplug(self, n: int) -> None:
        await self._request("POST", f"/connectors/{n}/unplug")

    async def present_card(self, id_tag: str) -> None:
        await self._request("POST", "/rfid", {"id_tag": id_tag})

    async def tamper(self, description: str = "enclosure opened") -> None:
        await self._request("POST", "/tamper", {"description": description})

    async def network(self, up: bool) -> None:
        await self._request("POST", "/network", {"up": up})

    async def meter_error(self, n: int, fraction: float) -> None:
        await self._request("POST", f"/connectors/{n}/meter", {"error_fraction": fraction})
