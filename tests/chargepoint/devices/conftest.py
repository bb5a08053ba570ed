"""Real drivers against their protocol-level simulators: Modbus TCP on loopback and Modbus RTU over
pty pairs, the physics on a clock that stands still unless a test advances it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import gpio_guest
import gpio_guest_items
import pytest

from smartcharge.chargepoint.hardware.config import HardwareConfig
from smartcharge.chargepoint.hardware.device_sims.rig import DeviceRig
from smartcharge.chargepoint.hardware.devices.build import DeviceHardware
from smartcharge.chargepoint.hardware.simulated import SimulatedHardware
from smartcharge.sim.clock import ManualClock

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


class Bench:
    """The simulated world, its devices on the wire, and the real drivers pointed at them."""

    def __init__(self, clock: ManualClock, sim: SimulatedHardware, rig: DeviceRig) -> None:
        self.clock = clock
        self.sim = sim
        self.rig = rig
        self.drivers: DeviceHardware | None = None
        self.table: dict[str, Any] = {}

    async def start(self, **overrides: Any) -> DeviceHardware:
        self.table = await self.rig.start()
        for part, keys in overrides.items():
            self.table[part].update(keys)
        config = HardwareConfig.model_validate(self.table)
        self.drivers = DeviceHardware(
            config,
            connectors=len(self.sim.connectors),
            max_current_a=32.0,
            phases=3,
            monotonic=self.clock.monotonic,
        )
        return self.drivers


@pytest.fixture(params=["tcp", "rtu"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def make_bench(
    transport: str, meter_model: str = "sdm630", controller: str = "evse-din", reader: bool = False
) -> Bench:
    clock = ManualClock(T0)
    sim = SimulatedHardware(clock, connectors=2 if controller == "evse-din" else 1)
    rig = DeviceRig(
        sim,
        meter_model=meter_model,
        transport=transport,  # type: ignore[arg-type]
        controller=controller,  # type: ignore[arg-type]
        reader=reader,
    )
    return Bench(clock, sim, rig)


@pytest.fixture
async def bench(transport: str) -> AsyncIterator[Bench]:
    b = await make_bench(transport)
    yield b
    if b.drivers is not None:
        b.drivers.close()
    await b.rig.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Where this machine's kernel has no gpio-sim, the tests marked gpio_sim run in a guest
    kernel that has it (tests/support/gpio_guest_items.py)."""
    if gpio_guest.gpio_sim_missing() is not None:
        gpio_guest_items.replace(items)
