"""What the OCPP schemas let through but the platform must not store (issue 15, finding 5).

The schemas type a connector id as any integer and a sampled value as any string. A connector
id of -1, a transaction id of 2^63 (beyond the database's integers: an InternalError on every
retry), or a meter reading of "NaN", "Infinity" or "1e400" (a float without a finite
value: the owner's totals become null, the CSV says inf) would be stored and poison every page
that reads them. Each is refused here, before anything is stored, with PropertyConstraintViolation
naming the field: the whole message changes nothing.
"""

from __future__ import annotations

import math
from typing import Any

from smartcharge.ocpp.errors import PropertyConstraintViolation

CONNECTORS_MAX = 255
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1  # transaction ids, reservation ids, meter registers
METER_MAX_WH = INT32_MAX  # Wh: 2.1 GWh, decades of a 22 kW charger
READING_MAX = 1e12  # any sampled value's magnitude (W, Wh, A, V, %, degrees)
SIGNED_DATA_MAX = 2500  # characters of a SignedData sampled value
STORED_DATA_MAX = 8192  # characters of a DataTransfer's data kept (any vendor)


def connector_id(value: int, *, least: int = 0) -> int:
    """A connector id from `least` (0: the whole charger; 1: the first connector) up."""
    if not least <= value <= CONNECTORS_MAX:
        raise PropertyConstraintViolation(f"connectorId: {least} to {CONNECTORS_MAX}")
    return value


def int32(value: int | None, name: str) -> int | None:
    """Transaction and reservation ids: the platform gives out 32-bit ones and stores them so."""
    if value is not None and not INT32_MIN <= value <= INT32_MAX:
        raise PropertyConstraintViolation(f"{name}: beyond a 32-bit integer")
    return value


def meter_wh(value: int, name: str) -> int:
    if not 0 <= value <= METER_MAX_WH:
        raise PropertyConstraintViolation(f"{name}: 0 to {METER_MAX_WH} Wh")
    return value


def sampled_values(meter_value: list[dict[str, Any]]) -> None:
    """Every sampled value a finite number in range (or bounded signed data)."""
    for mv in meter_value:
        for sv in mv["sampledValue"]:
            text = sv["value"]
            if sv.get("format") == "SignedData":
                if len(text) > SIGNED_DATA_MAX:
                    raise PropertyConstraintViolation(
                        f"sampledValue.value: signed data over {SIGNED_DATA_MAX} characters"
                    )
                continue
            try:
                number = float(text)
            except ValueError:
                raise PropertyConstraintViolation("sampledValue.value: not a number") from None
            if not math.isfinite(number) or abs(number) > READING_MAX:
                raise PropertyConstraintViolation(
                    f"sampledValue.value: a finite number within ±{READING_MAX:g}"
                )
