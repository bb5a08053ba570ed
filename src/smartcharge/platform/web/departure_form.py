"""The departure form's values: what the owner typed when it came back with a problem, else the
departure in force, else sensible defaults (07:00, 40 kWh, 7.4 kW, Monday to Friday)."""

from __future__ import annotations

from typing import Any

DEFAULTS: dict[str, Any] = {
    "at": "07:00",
    "on": "",
    "power_kw": "7.4",
    "energy_kwh": "40",
    "target_soc": "",
    "battery_kwh": "",
    "connector": "1",
    "override_hours": False,
    "days": ["0", "1", "2", "3", "4"],
}


def departure_form(spec: dict[str, Any] | None, typed: dict[str, Any] | None) -> dict[str, Any]:
    if typed is not None:
        return {**DEFAULTS, **typed}
    if spec is None:
        return dict(DEFAULTS)
    return {
        "at": spec["at"],
        "on": spec.get("on") or "",
        "power_kw": f"{spec['power_kw']:g}",
        "energy_kwh": f"{spec['energy_kwh']:g}" if spec.get("energy_kwh") is not None else "",
        "target_soc": str(spec["target_soc"]) if spec.get("target_soc") is not None else "",
        "battery_kwh": f"{spec['battery_kwh']:g}" if spec.get("battery_kwh") is not None else "",
        "connector": "1",
        "override_hours": bool(spec.get("override_hours")),
        "days": [str(d) for d in spec.get("days") or []],
    }
