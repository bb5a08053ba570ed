"""Metering: turning meter readings into OCPP MeterValues, and the sampling calendar.

R9/R11: the meter is read every second; power and energy are kept per second (samples table) and
sent per MeterValueSampleInterval (sampled data, 1 s allowed) and ClockAlignedDataInterval
(aligned data, counted from midnight UTC, OCPP 1.6 section 3.16.2).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from smartcharge.chargepoint.hardware.ports import MeterReading
from smartcharge.ocpp.times import format_time

PHASES = ("L1", "L2", "L3")


def _sv(value: float, measurand: str, unit: str, context: str, **extra: str) -> dict[str, Any]:
    return {
        "value": f"{value:.0f}" if unit in ("Wh", "W") else f"{value:.1f}",
        "context": context,
        "format": "Raw",
        "measurand": measurand,
        "location": extra.pop("location", "Outlet"),
        "unit": unit,
        **extra,
    }


def sampled_values(
    reading: MeterReading,
    measurands: list[str],
    *,
    context: str,
    offered_a: float,
    phases: int,
) -> list[dict[str, Any]]:
    """OCPP SampledValue entries for `measurands`, in the order configured."""
    out: list[dict[str, Any]] = []
    used = PHASES[:phases]
    for m in measurands:
        if m == "Energy.Active.Import.Register":
            out.append(_sv(reading.energy_import_wh, m, "Wh", context))
        elif m == "Energy.Active.Export.Register":
            out.append(_sv(reading.energy_export_wh, m, "Wh", context))
        elif m == "Power.Active.Import":
            out.append(_sv(reading.power_w, m, "W", context))
        elif m == "Current.Import":
            for i, ph in enumerate(used):
                out.append(_sv(reading.current_a[i], m, "A", context, phase=ph))
        elif m == "Voltage":
            for i, ph in enumerate(used):
                out.append(_sv(reading.voltage_v[i], m, "V", context, phase=f"{ph}-N"))
        elif m == "Current.Offered":
            out.append(_sv(offered_a, m, "A", context))
        elif m == "SoC" and reading.soc_percent is not None:
            out.append(_sv(reading.soc_percent, m, "Percent", context, location="EV"))
        # Measurands this meter cannot measure are left out rather than invented.
    return out


def meter_value(timestamp: datetime, values: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "timestamp": format_time(timestamp, "seconds"),
        "sampledValue": values,
    }


def aligned_start(now: datetime, interval_s: int) -> datetime:
    """The clock-aligned instant that opened the interval `now` falls in (UTC).

    Clock-aligned values carry this instant, not the tick's: the tick that notices a new interval
    may run a moment after its boundary (ticks are on a one-second grid, later under load), and
    the central system lines readings of many chargers up by these timestamps."""
    u = now.astimezone(UTC)
    midnight = u.replace(hour=0, minute=0, second=0, microsecond=0)
    into = int((u - midnight).total_seconds()) // interval_s * interval_s
    return midnight + timedelta(seconds=into)


def aligned_slot(now: datetime, interval_s: int) -> int | None:
    """Index of the clock-aligned interval `now` falls in (counted from midnight UTC)."""
    if interval_s <= 0:
        return None
    u = now.astimezone(UTC)
    midnight = u.replace(hour=0, minute=0, second=0, microsecond=0)
    day = int(midnight.timestamp()) // 86400
    return day * 100000 + int((u - midnight).total_seconds()) // interval_s
