"""One Modbus line (an RS-485 serial port with RTU framing, or a Modbus TCP host) shared by every
device on it, with short timeouts and no retries: a device that does not answer within
`timeout_s` is a fault now, not after pymodbus's default three tries of three seconds.

Requests on one line go one at a time (RS-485 is half duplex). Errors come out as `DeviceError`
in plain words, never a pymodbus exception text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException
from pymodbus.pdu import ModbusPDU

from smartcharge.chargepoint.hardware.config import Line
from smartcharge.chargepoint.hardware.devices.faults import DeviceError

log = logging.getLogger("smartcharge.chargepoint.hardware")
Client = AsyncModbusTcpClient | AsyncModbusSerialClient

_EXCEPTIONS = {
    1: "does not support that request (wrong device model?)",
    2: "has no such register (wrong register map?)",
    3: "refused the value",
    4: "reported a failure of its own",
    11: "did not answer behind the gateway (wrong Modbus id?)",
}


class ModbusLine:
    def __init__(self, config: Line) -> None:
        # The pymodbus client is made at first use: it needs the running event loop, and the
        # composition root builds the hardware before the loop runs.
        self.config = config
        self.where = config.describe()
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    def _make_client(self) -> Client:
        config = self.config
        client: Client
        if config.host is not None:
            host, port = config.address
            client = AsyncModbusTcpClient(
                host, port=port, timeout=config.timeout_s, retries=0, reconnect_delay=0
            )
        else:
            assert config.port is not None
            client = AsyncModbusSerialClient(
                config.port,
                baudrate=config.baudrate,
                parity=config.parity,
                stopbits=config.stopbits,
                timeout=config.timeout_s,
                retries=0,
                reconnect_delay=0,
            )
        return client

    async def _connected(
        self, code: str, what: str
    ) -> AsyncModbusTcpClient | AsyncModbusSerialClient:
        if self._client is None:
            self._client = self._make_client()
        client = self._client
        if client.connected:
            return client
        try:
            ok = await asyncio.wait_for(client.connect(), self.config.timeout_s * 3)
        except (TimeoutError, OSError, ModbusException):
            ok = False
        if not ok:
            raise DeviceError(code, f"cannot open {self.where} to reach the {what}")
        return client

    async def read(
        self, function: str, address: int, count: int, unit: int, *, code: str, what: str
    ) -> list[int]:
        """`count` registers from `address` of device `unit` (input or holding registers)."""
        async with self._lock:
            client = await self._connected(code, what)
            call = (
                client.read_input_registers
                if function == "input"
                else client.read_holding_registers
            )
            response = await self._call(
                lambda: call(address, count=count, device_id=unit), code, what
            )
        registers = list(getattr(response, "registers", []))
        if len(registers) != count:
            raise DeviceError(code, f"the {what} answered with the wrong number of registers")
        return registers

    async def write(self, address: int, value: int, unit: int, *, code: str, what: str) -> None:
        async with self._lock:
            client = await self._connected(code, what)
            await self._call(
                lambda: client.write_register(address, value, device_id=unit), code, what
            )

    async def _call(self, request: Callable[[], Any], code: str, what: str) -> ModbusPDU:
        # One lost or corrupted frame is tried once more (RS-485 noise, or our own event loop
        # held up past the timeout): the config keeps poll + 2 timeouts within a second.
        for attempt in (1, 2):
            try:
                response: ModbusPDU = await asyncio.wait_for(request(), self.config.timeout_s)
                break
            except (TimeoutError, ModbusException, OSError, ValueError, IndexError) as exc:
                log.debug("%s on %s (try %s): %s", what, self.where, attempt, exc)
        else:
            raise DeviceError(code, f"the {what} did not answer on {self.where}")
        if response.isError():
            reason = _EXCEPTIONS.get(getattr(response, "exception_code", 0), "answered an error")
            raise DeviceError(code, f"the {what} {reason}")
        return response

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
