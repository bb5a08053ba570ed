"""The simulated charger's devices on the wire: meters and EVSE-DIN boards behind Modbus servers,
each connector's physics from a `SimulatedHardware`. `start()` returns the `[hardware]` table that
points the real drivers at them (Modbus TCP on loopback, or RTU over pty pairs)."""

from __future__ import annotations

from typing import Any, Literal

from smartcharge.chargepoint.hardware.device_sims.evse_din import SimulatedEvseDin
from smartcharge.chargepoint.hardware.device_sims.meters import SimulatedMeterDevice
from smartcharge.chargepoint.hardware.device_sims.modbus_server import ModbusDeviceServer
from smartcharge.chargepoint.hardware.device_sims.openevse import SimulatedOpenEvse
from smartcharge.chargepoint.hardware.device_sims.pn532 import SimulatedPn532
from smartcharge.chargepoint.hardware.device_sims.serial_pair import SerialPair
from smartcharge.chargepoint.hardware.simulated.hardware import SimulatedHardware

CONTROLLER_UNIT_BASE = 10  # connector n's board answers at Modbus id 10 + n, its meter at n


class DeviceRig:
    def __init__(
        self,
        hardware: SimulatedHardware,
        *,
        meter_model: str = "sdm630",
        transport: Literal["tcp", "rtu"] = "tcp",
        controller: Literal["evse-din", "openevse"] = "evse-din",
        reader: bool = False,
    ) -> None:
        self.hardware = hardware
        self.meter_model = meter_model
        self.transport = transport
        self.meters = {
            n: SimulatedMeterDevice(n, meter_model, c.simulated_meter.read)
            for n, c in hardware.simulated_connectors.items()
        }
        self.controllers = {
            n: SimulatedEvseDin(CONTROLLER_UNIT_BASE + n, c)
            for n, c in hardware.simulated_connectors.items()
        }
        self.controller_model = controller
        self.openevse = (
            SimulatedOpenEvse(hardware.connector(1)) if controller == "openevse" else None
        )
        self.pn532 = SimulatedPn532() if reader else None
        self.meter_server = ModbusDeviceServer(list(self.meters.values()))
        self.controller_server = ModbusDeviceServer(list(self.controllers.values()))
        self.pairs: list[SerialPair] = []

    async def _serve(self, server: ModbusDeviceServer, port: int = 0) -> dict[str, Any]:
        if self.transport == "tcp":
            port = await server.start_tcp(port=port)
            return {"host": f"127.0.0.1:{port}"}
        pair = SerialPair()
        pair.start()
        self.pairs.append(pair)
        await server.start_serial(pair.a, baudrate=9600)
        return {"port": pair.b, "baudrate": 9600}

    async def start(self, ports: tuple[int, int] = (0, 0)) -> dict[str, Any]:
        """Serve every device (over TCP at `ports`, meters then boards; 0: free ones); the
        `[hardware]` table for the drivers."""
        meter = await self._serve(self.meter_server, ports[0])
        if self.openevse is not None:
            pair = SerialPair()
            pair.start()
            self.pairs.append(pair)
            self.openevse.start(pair.a)
            controller: dict[str, Any] = {"model": "openevse", "port": pair.b, "baudrate": 115200}
        else:
            controller = {
                "model": "evse-din",
                "units": [c.unit for _, c in sorted(self.controllers.items())],
                **await self._serve(self.controller_server, ports[1]),
            }
        table: dict[str, Any] = {
            "kind": "devices",
            "meter": {"model": self.meter_model, "units": sorted(self.meters), **meter},
            "controller": controller,
        }
        if self.pn532 is not None:
            pair = SerialPair()
            pair.start()
            self.pairs.append(pair)
            self.pn532.start(pair.a)
            table["reader"] = {"model": "pn532", "port": pair.b}
        return table

    async def stop(self) -> None:
        await self.meter_server.stop()
        await self.controller_server.stop()
        if self.openevse is not None:
            await self.openevse.stop()
        if self.pn532 is not None:
            await self.pn532.stop()
        for pair in self.pairs:
            pair.close()
