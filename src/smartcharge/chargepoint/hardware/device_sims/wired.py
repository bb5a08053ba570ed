"""`[hardware] kind = "simulated-devices"`: the simulated charger behind its devices on the wire.

The charger's connectors run on the real drivers (an SDM630 meter and an EVSE-DIN board per
connector over Modbus TCP on loopback), and the devices are the protocol-level simulators driven
by a `SimulatedHardware` world, which the simulator's control API acts on (plug an EV, inject a
fault) as usual. The card reader, tamper switch, indicator and network stay the world's own. So
the demo, the compliance suite and the crash test run the whole stack through the drivers.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping
from typing import Any

from smartcharge.chargepoint.hardware.config import HardwareConfig
from smartcharge.chargepoint.hardware.device_sims.rig import CONTROLLER_UNIT_BASE, DeviceRig
from smartcharge.chargepoint.hardware.devices.build import DeviceHardware
from smartcharge.chargepoint.hardware.simulated.hardware import SimulatedHardware

POLL_INTERVAL_S = 0.1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class WiredSimulation(DeviceHardware):
    """Real drivers for the connectors; `world` is the simulation behind the devices."""

    def __init__(
        self,
        world: SimulatedHardware,
        *,
        max_current_a: float,
        phases: int,
        monotonic: Callable[[], float],
    ) -> None:
        n = len(world.connectors)
        self.ports = (_free_port(), _free_port())
        table = {
            "kind": "devices",
            "poll_interval_s": POLL_INTERVAL_S,
            "meter": {
                "model": "sdm630",
                "host": f"127.0.0.1:{self.ports[0]}",
                "units": list(range(1, n + 1)),
            },
            "controller": {
                "model": "evse-din",
                "host": f"127.0.0.1:{self.ports[1]}",
                "units": [CONTROLLER_UNIT_BASE + i for i in range(1, n + 1)],
            },
        }
        super().__init__(
            HardwareConfig.model_validate(table),
            connectors=n,
            max_current_a=max_current_a,
            phases=phases,
            monotonic=monotonic,
        )
        self.world = world
        self.rig = DeviceRig(world)
        self.rfid = world.rfid
        self.tamper = world.tamper
        self.indicator = world.indicator
        self.network = world.network

    async def serve(self) -> None:
        """Put the simulated devices on the wire, at the ports the drivers were given."""
        await self.rig.start(ports=self.ports)

    def restore_registers(self, registers: Mapping[int, float]) -> None:
        # The simulated meters keep their registers over a restart, as real meters do.
        self.world.restore_registers(registers)
        super().restore_registers(registers)

    async def stop_serving(self) -> None:
        await self.rig.stop()

    def __getattr__(self, name: str) -> Any:
        # What the simulator's user does (plug an EV, present a card, inject a fault, read the
        # truth) goes to the world behind the devices, as with the plain simulator.
        if name.startswith("_") or name in ("world", "rig"):
            raise AttributeError(name)
        return getattr(self.world, name)
