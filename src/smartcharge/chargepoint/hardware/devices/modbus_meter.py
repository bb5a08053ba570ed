"""An energy meter over Modbus (RTU or TCP), by register map: Eastron SDM630 and SDM72D-M, ABB
B23/B24 (register_maps.py). `poll()` reads and checks; `read()` (the Meter port) returns the last
reading that passed the checks, so the energy we report never goes backwards."""

from __future__ import annotations

from smartcharge.chargepoint.hardware.devices.faults import (
    METER_FAILURE,
    Circuit,
    DeviceError,
    check_reading,
)
from smartcharge.chargepoint.hardware.devices.modbus_line import ModbusLine
from smartcharge.chargepoint.hardware.devices.register_maps import WIDTH, MeterMap, Register, decode
from smartcharge.chargepoint.hardware.ports import MeterReading

NO_READING = MeterReading(0.0, 0.0, 0.0, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0))


class ModbusMeter:
    """Implements `Meter` for one meter (Modbus id `unit`) on `line`."""

    def __init__(self, line: ModbusLine, register_map: MeterMap, unit: int, circuit: Circuit):
        self.line = line
        self.map = register_map
        self.unit = unit
        self.circuit = circuit
        self._last: MeterReading | None = None
        self._last_at = 0.0
        self.floor_wh = 0.0  # what we reported before a restart: never report less
        self._offset_wh = 0.0
        self._below: MeterReading | None = None  # a first reading below floor_wh, to confirm

    def restore(self, floor_wh: float) -> None:
        """A boot: what was reported before it (never report less). The next reading starts
        afresh, judged on its own and not as a jump from one taken before the boot."""
        self.floor_wh = floor_wh
        self._last = None

    def describe(self) -> str:
        return f"{self.map.model} meter (Modbus id {self.unit} on {self.line.where})"

    async def fetch(self) -> MeterReading:
        """Read the meter's registers and decode them (no checks)."""
        words: dict[int, int] = {}
        for first, count in self.map.blocks:
            values = await self.line.read(
                self.map.function, first, count, self.unit, code=METER_FAILURE, what="meter"
            )
            words.update(zip(range(first, first + count), values, strict=True))

        def value(register: Register) -> float:
            return decode(
                register, [words[register.address + i] for i in range(WIDTH[register.kind])]
            )

        m = self.map
        return MeterReading(
            energy_import_wh=value(m.energy_import),
            energy_export_wh=value(m.energy_export),
            power_w=value(m.power),
            current_a=(value(m.current[0]), value(m.current[1]), value(m.current[2])),
            voltage_v=(value(m.voltage[0]), value(m.voltage[1]), value(m.voltage[2])),
        )

    async def poll(self, now: float) -> MeterReading:
        """Read and check (faults.check_reading); the reading is kept only when sane."""
        raw = await self.fetch()
        below = self._below
        check_reading(raw, self.circuit, self._last or below, now - self._last_at)
        if self._last is None and raw.energy_import_wh + self._offset_wh < self.floor_wh:
            # Below what we reported: a replaced (or reset) meter, or a glitch. Only a second
            # reading that agrees makes it a new meter, counted on from what was reported.
            self._below, self._last_at = raw, now
            if below is None:
                raise DeviceError(
                    METER_FAILURE, "the meter's register is below what was reported before"
                )
            self._offset_wh = self.floor_wh - raw.energy_import_wh
        self._below = None
        self._last, self._last_at = raw, now
        return raw

    def read(self) -> MeterReading:
        last = self._last
        if last is None:
            return NO_READING if not self.floor_wh else _with_energy(NO_READING, self.floor_wh)
        return _with_energy(last, last.energy_import_wh + self._offset_wh)


def _with_energy(reading: MeterReading, energy_wh: float) -> MeterReading:
    return MeterReading(
        energy_import_wh=energy_wh,
        energy_export_wh=reading.energy_export_wh,
        power_w=reading.power_w,
        current_a=reading.current_a,
        voltage_v=reading.voltage_v,
        soc_percent=reading.soc_percent,
    )
