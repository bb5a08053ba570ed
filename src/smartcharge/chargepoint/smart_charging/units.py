"""Amps and watts, and the 0.1 resolution OCPP limits are sent with.

Conversion assumes a balanced supply: W = A * V * phases, with V the phase-to-neutral voltage
(230 V in the UK). OCPP's schemas give limits `multipleOf 0.1`, so what leaves this package is
rounded to a tenth: limits downwards (a rounded limit never exceeds the one it came from) and
minimum rates upwards (a rounded minimum never undercuts the one it came from).
"""

from __future__ import annotations

import math

from smartcharge.chargepoint.smart_charging.profiles import Unit

UK_VOLTAGE = 230.0
MIN_CHARGING_A = 6.0
"""Below 6 A the control pilot cannot offer current (IEC 61851-1): a connector gets 6 A or none."""

_EPS = 1e-6  # absorbs binary noise such as 16.1 * 10 == 160.99999999999997


def convert(value: float, unit: Unit, to: Unit, *, voltage: float, phases: int) -> float:
    """`value` in `unit`, expressed in `to` (W = A * voltage * phases)."""
    if unit == to:
        return value
    if unit == "A":
        return value * voltage * phases
    return value / (voltage * phases)


def floor_tenth(value: float) -> float:
    """`value` rounded down to a multiple of 0.1 whose repr has one decimal (16.0, 7.7)."""
    return math.floor(value * 10 + _EPS) / 10


def ceil_tenth(value: float) -> float:
    """`value` rounded up to a multiple of 0.1 whose repr has one decimal."""
    return math.ceil(value * 10 - _EPS) / 10
