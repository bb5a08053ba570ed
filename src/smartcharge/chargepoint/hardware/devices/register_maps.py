"""Register maps of the supported Modbus devices, as data.

Facts from the manufacturers' public register documentation (addresses are the protocol addresses
on the wire, 0-based; multi-register values are big-endian, high word first):

- Eastron SDM630 (v2) and SDM72D-M: input registers (function 04), IEEE 754 float32 in volts,
  amps, watts and kWh. Phase voltages 0x0000-0x0004, phase currents 0x0006-0x000A, total system
  power 0x0034, import active energy 0x0048, export active energy 0x004A. Eastron limits one
  request to 30 parameters (60 registers), so the map reads three blocks.
- ABB B23/B24: holding registers (function 03). Active import energy 0x5000 and export 0x5004
  (unsigned 64-bit, 0.01 kWh), phase voltages 0x5B00-0x5B04 (unsigned 32-bit, 0.1 V), phase
  currents 0x5B0C-0x5B10 (unsigned 32-bit, 0.01 A), total active power 0x5B14 (signed 32-bit,
  0.01 W).
- EVSE-DIN / SimpleEVSE controller: holding registers 1000 configured current (A, read/write),
  1001 actual current, 1002 vehicle state (1 ready, 2 EV present, 3 charging, 4 charging with
  ventilation, 5 failure such as the diode check), 1004 bit 0 "turn off" (read/write), 1005
  firmware version, 1006 EVSE state (1 steady 12 V, 2 PWM, 3 off), 1007 RCD status (0 = fine).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Literal

Kind = Literal["f32", "u32", "s32", "u64"]
WIDTH = {"f32": 2, "u32": 2, "s32": 2, "u64": 4}


@dataclass(frozen=True, slots=True)
class Register:
    """One quantity: where it is, how it is encoded, and `scale` to our unit (W, Wh, A, V)."""

    address: int
    kind: Kind
    scale: float = 1.0


@dataclass(frozen=True, slots=True)
class MeterMap:
    model: str
    function: Literal["input", "holding"]
    voltage: tuple[Register, Register, Register]
    current: tuple[Register, Register, Register]
    power: Register
    energy_import: Register
    energy_export: Register
    blocks: tuple[tuple[int, int], ...]  # (first address, count): the reads that cover them all

    def registers(self) -> tuple[Register, ...]:
        return (*self.voltage, *self.current, self.power, self.energy_import, self.energy_export)


def _f32(address: int, scale: float = 1.0) -> Register:
    return Register(address, "f32", scale)


_EASTRON = dict(
    function="input",
    voltage=(_f32(0x0000), _f32(0x0002), _f32(0x0004)),
    current=(_f32(0x0006), _f32(0x0008), _f32(0x000A)),
    power=_f32(0x0034),
    energy_import=_f32(0x0048, 1000.0),  # kWh -> Wh
    energy_export=_f32(0x004A, 1000.0),
    blocks=((0x0000, 12), (0x0034, 2), (0x0048, 4)),
)

METER_MAPS: dict[str, MeterMap] = {
    "sdm630": MeterMap(model="sdm630", **_EASTRON),  # type: ignore[arg-type]
    "sdm72d-m": MeterMap(model="sdm72d-m", **_EASTRON),  # type: ignore[arg-type]
    "abb-b23": MeterMap(
        model="abb-b23",
        function="holding",
        voltage=(
            Register(0x5B00, "u32", 0.1),
            Register(0x5B02, "u32", 0.1),
            Register(0x5B04, "u32", 0.1),
        ),
        current=(
            Register(0x5B0C, "u32", 0.01),
            Register(0x5B0E, "u32", 0.01),
            Register(0x5B10, "u32", 0.01),
        ),
        power=Register(0x5B14, "s32", 0.01),
        energy_import=Register(0x5000, "u64", 10.0),  # 0.01 kWh -> Wh
        energy_export=Register(0x5004, "u64", 10.0),
        blocks=((0x5000, 8), (0x5B00, 22)),
    ),
}


def decode(register: Register, words: list[int]) -> float:
    """The value of `register` from its 16-bit words (high word first), in our unit."""
    raw = b"".join(struct.pack(">H", w & 0xFFFF) for w in words)
    match register.kind:
        case "f32":
            value: float = struct.unpack(">f", raw)[0]
        case "u32":
            value = struct.unpack(">I", raw)[0]
        case "s32":
            value = struct.unpack(">i", raw)[0]
        case "u64":
            value = struct.unpack(">Q", raw)[0]
    return value * register.scale


def encode(register: Register, value: float) -> list[int]:
    """The words a device holds for `value` (our unit): what the simulators serve."""
    raw_value = value / register.scale
    match register.kind:
        case "f32":
            raw = struct.pack(">f", raw_value)
        case "u32":
            raw = struct.pack(">I", _clamp_int(raw_value, 0, 2**32 - 1))
        case "s32":
            raw = struct.pack(">i", _clamp_int(raw_value, -(2**31), 2**31 - 1))
        case "u64":
            raw = struct.pack(">Q", _clamp_int(raw_value, 0, 2**64 - 1))
    return [w for (w,) in struct.iter_unpack(">H", raw)]


def _clamp_int(value: float, lo: int, hi: int) -> int:
    if not math.isfinite(value):
        return hi
    return max(lo, min(hi, round(value)))


# --- the EVSE-DIN controller ---------------------------------------------------------------------

EVSE_DIN_FIRST = 1000
EVSE_DIN_COUNT = 8  # 1000..1007
EVSE_DIN_CURRENT = 1000
EVSE_DIN_ACTUAL = 1001
EVSE_DIN_VEHICLE = 1002
EVSE_DIN_TURN_OFF = 1004
EVSE_DIN_FIRMWARE = 1005
EVSE_DIN_STATE = 1006
EVSE_DIN_RCD = 1007
