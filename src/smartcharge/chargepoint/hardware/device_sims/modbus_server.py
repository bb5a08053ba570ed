"""A pymodbus server for simulated devices, on a loopback TCP port or a serial line (RTU).

Each device gives a `SimDevice` whose action fills its registers from the simulated physics on
every read. The server can be told to fall silent (`silent`) or to mangle what it sends
(`mangle`, e.g. a frame of the wrong length): faults on the wire that the drivers must survive.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from pymodbus.server import ModbusSerialServer, ModbusTcpServer
from pymodbus.simulator import SimDevice


class SimulatedModbusDevice(Protocol):
    unit: int

    def sim_device(self) -> SimDevice: ...


class ModbusDeviceServer:
    def __init__(self, devices: Sequence[SimulatedModbusDevice]) -> None:
        self.devices = list(devices)
        self.silent = False
        self.mangle: Callable[[bytes], bytes] | None = None
        self.requests = 0
        self._units = {d.unit for d in self.devices}
        self._stranger = False
        self._tcp = False
        self._server: ModbusTcpServer | ModbusSerialServer | None = None

    def _trace(self, sending: bool, data: bytes) -> bytes:
        if not sending:
            self.requests += 1
            # A request for an id nobody here has gets silence, as on an RS-485 line.
            unit_at = 6 if self._tcp else 0
            self._stranger = len(data) > unit_at and data[unit_at] not in self._units
            return data
        if self.silent or self._stranger:
            return b""
        return self.mangle(data) if self.mangle is not None else data

    async def start_tcp(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Serve Modbus TCP; returns the port (0: a free one)."""
        self._tcp = True
        server = ModbusTcpServer(
            [d.sim_device() for d in self.devices],
            address=(host, port),
            trace_packet=self._trace,
        )
        await server.serve_forever(background=True)
        self._server = server
        return int(server.transport.sockets[0].getsockname()[1])  # type: ignore[attr-defined]

    async def start_serial(self, path: str, baudrate: int = 9600, parity: str = "N") -> None:
        """Serve Modbus RTU on the serial line at `path` (a pty in tests)."""
        server = ModbusSerialServer(
            [d.sim_device() for d in self.devices],
            port=path,
            baudrate=baudrate,
            parity=parity,
            trace_packet=self._trace,
        )
        await server.serve_forever(background=True)
        self._server = server

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.shutdown()
            self._server = None
