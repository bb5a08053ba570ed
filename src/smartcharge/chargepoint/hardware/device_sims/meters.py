"""A Modbus energy meter (any map in register_maps.py) that reads the simulated EV physics.

`source()` is what flows (a SimulatedMeter's `read`); every read request encodes it into the
map's registers. `words` overrides raw registers, to serve garbage (NaN, a negative or backwards
energy register, 1 MW on a 32 A circuit) exactly as a broken meter would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from pymodbus.constants import ExcCodes
from pymodbus.simulator import DataType, SimData, SimDevice

from smartcharge.chargepoint.hardware.devices.register_maps import (
    METER_MAPS,
    WIDTH,
    MeterMap,
    Register,
    encode,
)
from smartcharge.chargepoint.hardware.ports import MeterReading


def _quantities(m: MeterMap, r: MeterReading) -> list[tuple[Register, float]]:
    return [
        *zip(m.voltage, r.voltage_v, strict=True),
        *zip(m.current, r.current_a, strict=True),
        (m.power, r.power_w),
        (m.energy_import, r.energy_import_wh),
        (m.energy_export, r.energy_export_wh),
    ]


def blocks(first_last: list[tuple[int, int]], function: str) -> tuple[list[SimData], ...]:
    """The four pymodbus register blocks with `first_last` (address, count) holding registers
    (function "holding") or input registers ("input")."""
    regs = [SimData(a, count=n, values=0, datatype=DataType.REGISTERS) for a, n in first_last]
    bits = [SimData(0, values=False, datatype=DataType.BITS)]
    spare = [SimData(0, values=0, datatype=DataType.REGISTERS)]
    if function == "holding":
        return (bits, list(bits), regs, spare)
    return (bits, list(bits), spare, regs)


class SimulatedMeterDevice:
    def __init__(self, unit: int, model: str, source: Callable[[], MeterReading]) -> None:
        self.unit = unit
        self.map = METER_MAPS[model]
        self.source = source
        self.words: dict[int, int] = {}  # address -> raw word served instead of the truth
        # hold(): the next read waits, unanswered, until release() (a kill -9 mid-read)
        self._held: asyncio.Event | None = None
        self.read_waiting = asyncio.Event()

    def hold(self) -> None:
        self.read_waiting.clear()
        self._held = asyncio.Event()

    def release(self) -> None:
        if self._held is not None:
            self._held.set()
            self._held = None

    def set_value(self, quantity: str, value: float) -> None:
        """Serve `value` for one quantity (`energy_import`, `power`, ...) until `clear`."""
        register: Register = getattr(self.map, quantity)
        for i, word in enumerate(encode(register, value)):
            self.words[register.address + i] = word

    def clear(self) -> None:
        self.words.clear()

    def sim_device(self) -> SimDevice:
        layout = blocks(list(self.map.blocks), self.map.function)
        return SimDevice(self.unit, simdata=layout, action=self._action)  # type: ignore[arg-type]

    async def _action(
        self,
        function_code: int,
        start: int,
        address: int,
        count: int,
        registers: list[int],
        values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        if values is not None:
            return ExcCodes.ILLEGAL_ADDRESS  # measurements are read only
        if self._held is not None:
            self.read_waiting.set()
            await self._held.wait()
        for register, value in _quantities(self.map, self.source()):
            for i, word in enumerate(encode(register, value)[: WIDTH[register.kind]]):
                registers[register.address - start + i] = word
        for where, word in self.words.items():
            registers[where - start] = word
        return None
