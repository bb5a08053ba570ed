"""What a connector is doing and why, in the owner's words (issue 6 item 3).

Pure: the connector's last StatusNotification, the charger's own charging state for it (the
UK extension GetChargingState: `limit_cause`, `limit_reason`, `random_delay_remaining_s`), the
power it last reported and the grid event in force, in; one headline and one detail line out.
The charger's `limit_reason` is already written for the owner ("waiting for the default charging
hours: charging starts at Mon 22:00"); this module picks the headline that fits its cause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from smartcharge.regulations import UK_TZ

_STARTS_AT = re.compile(r"charging starts at (.+)$")

STATUS_WORDS = {
    "Available": "Ready: plug in your car",
    "Preparing": "Car plugged in: press Start or present your card",
    "Charging": "Charging",
    "SuspendedEV": "Paused by the car (full, or its own timer)",
    "SuspendedEVSE": "Paused by the charger",
    "Finishing": "Finished: you can unplug the car",
    "Reserved": "Reserved",
    "Unavailable": "Unavailable (switched off by the operator)",
    "Faulted": "Out of order",
}


@dataclass(frozen=True, slots=True)
class Words:
    headline: str
    detail: str
    tone: str  # "ok", "wait", "alert": the colour of the badge


def duration(seconds: float) -> str:
    """4 min 12 s; 1 h 5 min; 42 s."""
    s = max(0, round(seconds))
    if s >= 3600:
        return f"{s // 3600} h {s % 3600 // 60} min"
    if s >= 60:
        return f"{s // 60} min {s % 60} s"
    return f"{s} s"


def clock(at: datetime) -> str:
    """A time as the owner reads it on a UK clock: 18:30."""
    return at.astimezone(UK_TZ).strftime("%H:%M")


def power(watts: float) -> str:
    return f"{watts / 1000:.1f} kW"


def describe(
    status: str | None,
    state: dict[str, Any] | None,
    power_w: float | None,
    grid_event_until: datetime | None = None,
) -> Words:
    """The headline for one connector. `state` is the charger's entry for the connector (None
    when the charger could not be asked); `grid_event_until` the end of a DSR event in force
    that the owner has not opted out of."""
    if status is None:
        return Words("No news from this connector yet", "", "wait")
    if status in ("Faulted", "Unavailable"):
        return Words(STATUS_WORDS[status], "", "alert")
    state = state or {}
    cause = state.get("limit_cause")
    reason = str(state.get("limit_reason") or "")
    delay = float(state.get("random_delay_remaining_s") or 0)
    if delay > 0:
        return Words(
            f"Random delay: {duration(delay)} left",
            "The law spreads start times so that cars do not all start at once (you may skip it).",
            "wait",
        )
    if cause == "dsr" or (grid_event_until is not None and status != "Charging"):
        until = f" until {clock(grid_event_until)}" if grid_event_until else ""
        rate = f" (now {power(power_w)})" if power_w else ""
        return Words(f"Reduced by a grid event{until}{rate}", _sentence(reason), "wait")
    if cause in ("default_hours", "user_schedule") and not power_w:
        found = _STARTS_AT.search(reason)
        when = f": charging starts at {found.group(1)}" if found else ""
        what = "off-peak hours" if cause == "default_hours" else "your schedule"
        return Words(f"Waiting for {what}{when}", _sentence(reason), "wait")
    if status == "Charging":
        if power_w:
            return Words(f"Charging at {power(power_w)}", _sentence(reason), "ok")
        return Words("Charging", _sentence(reason), "ok")
    if status == "SuspendedEVSE" and reason:
        return Words("Paused by the charger", _sentence(reason), "wait")
    return Words(STATUS_WORDS.get(status, status), _sentence(reason), "ok")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "." if text else ""
