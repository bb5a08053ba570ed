"""A site's own meter read by the platform over Modbus TCP (issue 14 item 5): a pymodbus server
speaking the Eastron SDM630 register map on loopback. Its reading of the whole site's import
(the house included) reduces what the chargers (`ocpp`-package charge points) may take; a meter
that stops answering holds every charger at its fallback share and says so in words; bad
settings are refused with words and change nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from api_harness import UkPeer, user_client
from platform_harness import Platform
from test_site_balancer import OpenPeer, charging, live, until

from smartcharge.chargepoint.hardware.device_sims.meters import SimulatedMeterDevice
from smartcharge.chargepoint.hardware.device_sims.modbus_server import ModbusDeviceServer
from smartcharge.chargepoint.hardware.ports import MeterReading

URL = "/api/sites/depot/meter"


class House:
    """What flows through the site meter: `amps` on each phase."""

    def __init__(self) -> None:
        self.amps = 0.0

    def read(self) -> MeterReading:
        a = self.amps
        return MeterReading(1_000_000.0, 0.0, a * 230 * 3, (a, a, a), (230.0, 230.0, 230.0))


@pytest.fixture
async def site_meter() -> AsyncIterator[tuple[House, ModbusDeviceServer, int]]:
    house = House()
    server = ModbusDeviceServer([SimulatedMeterDevice(7, "sdm630", house.read)])
    port = await server.start_tcp()
    yield house, server, port
    await server.stop()


@pytest.mark.both_databases
async def test_the_site_meter_reduces_the_chargers_share_and_a_silent_one_falls_back(
    platform: Platform, peers: OpenPeer, site_meter: tuple[House, ModbusDeviceServer, int]
) -> None:
    house, server, port = site_meter
    for name in ("H-1", "H-2"):
        await platform.add(name, site="depot")
    fleet = [await peers(platform, name, cls=UkPeer) for name in ("H-1", "H-2")]
    for peer in fleet:
        await charging(peer)
    balancer = platform.app.balancer
    async with user_client(platform, "op@example.org", "operator") as op:
        r = await op.put("/api/sites/depot/supply", json={"limit_a": [40] * 3})
        assert r.status_code == 200, r.text
        meter = {"host": "127.0.0.1", "port": port, "unit": 7, "model": "sdm630"}
        r = await op.put(URL, json=meter)
        assert r.status_code == 200, r.text
        # Nothing else on the site: 40 A less the 1 A margin, shared by two.
        await until(lambda: all(live(p) == 19.5 for p in fleet))
        assert (await op.get(URL)).json()["reading_a"] == [0.0, 0.0, 0.0]

        # The house takes 20 A: the chargers are cut at once to (40 - 21) / 2.
        house.amps = 20.0
        balancer.changed(0)
        await until(lambda: all(live(p) == 9.5 for p in fleet))

        # The meter falls silent: each charger is held at its fallback share (6 A), and the
        # operator reads why.
        server.silent = True
        balancer.changed(0)
        await until(lambda: all(live(p) == 6 for p in fleet))
        problem = (await op.get(URL)).json()["problem"]
        assert f"127.0.0.1:{port}" in problem and "did not answer" in problem, problem

        # It answers again: shared on its reading once more (an increase, in ramp steps).
        server.silent = False
        balancer.changed(0)
        await until(lambda: all(live(p) == 9.5 for p in fleet))
        assert (await op.get(URL)).json()["problem"] is None

        # Removed: the fixed figure (0) counts again.
        assert (await op.delete(URL)).status_code == 204
        assert (await op.get(URL)).status_code == 404
        balancer.changed(0)
        await until(lambda: all(live(p) == 20 for p in fleet))


BAD: list[Any] = [
    {},
    {"host": ""},
    {"host": "meter.local:502"},  # the port goes in port
    {"host": "a b"},
    {"host": "x" * 254},
    {"host": "meter.local", "port": 0},
    {"host": "meter.local", "port": 65536},
    {"host": "meter.local", "port": "502"},
    {"host": "meter.local", "unit": 0},
    {"host": "meter.local", "unit": 248},
    {"host": "meter.local", "model": "sdm120"},
    {"host": "meter.local", "extra": 1},
    ["meter.local"],
]


@pytest.mark.both_databases
async def test_bad_meter_settings_are_refused_with_words_and_change_nothing(
    platform: Platform,
) -> None:
    await platform.add("D-1", site="depot")
    good = {"host": "10.0.0.9", "port": 1502, "unit": 3, "model": "abb-b23"}
    async with user_client(platform, "op@example.org", "operator") as op:
        assert (await op.get(URL)).status_code == 404
        r = await op.put(URL, json=good)
        assert r.status_code == 200, r.text
        for body in BAD:
            r = await op.put(URL, json=body)
            assert r.status_code == 422, (body, r.status_code, r.text)
            assert "Traceback" not in r.text and r.json()["detail"], body
        kept = (await op.get(URL)).json()
        assert {k: kept[k] for k in good} == good
        r = await op.put(URL, json={"host": "meter.local", "model": "sdm120"})
        assert "sdm630" in r.json()["detail"]
        r = await op.put(URL, json={"host": "meter.local", "unit": 300})
        assert "Modbus id" in r.json()["detail"]
    async with user_client(platform, "boss@example.org", "workplace_admin", site="depot") as a:
        assert (await a.get(URL)).json()["host"] == "10.0.0.9"
        assert (await a.put(URL, json=good)).status_code == 403
        assert (await a.delete(URL)).status_code == 403
