"""What a connector is doing and why, in the owner's words: the one source of status wording for
the dashboard, the charger page and the pushed updates (issue 13 item 3).

Pure: the connector's last StatusNotification, the charger's own state for it (the UK extension
GetChargingState: `limit_cause`, `limit_reason`, `random_delay_remaining_s`), the power it last
reported, a grid event in force, the plan's promise and the time now, in; a headline, one line
saying why, and the plan line out. The connector status decides what is happening (energy
flowing, paused by the car, waiting); the cause only says why, and only where it fits: a car
that is full is "paused by the car" whatever the hours are, "off-peak" is never said of hours
the owner chose, and "charging starts at Mon 17:00" says "today", "tomorrow" or the date.
tests/web/test_status_words.py runs every combination and checks no two lines contradict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from smartcharge.regulations import UK_TZ

_STARTS_AT = re.compile(r"charging starts at (Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\d{2}):(\d{2})")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
OVERRIDES = ("owner_override", "end_user_override")

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

WHY_FLOWING = {
    "owner_override": "You chose Charge now: it charges outside your charging hours this session.",
    "end_user_override": "Charge now was chosen at the charger for this session.",
    "default_hours": "Inside your charging hours.",
    "user_schedule": "Inside the time your plan chose.",
    "tariff": "The rate follows your tariff's schedule.",
    "csms_profile": "The rate follows a schedule from your energy company.",
    "load_balancing": "Sharing the supply with the other sockets.",
    "plug_in": "",
    "power_restore": "",
}
WHY_WAITING = {
    "default_hours": "Outside your charging hours. Charge now starts it at once.",
    "user_schedule": "Your plan charges later, at the cheapest time that still meets it.",
    "tariff": "Your tariff's schedule has no charging now.",
    "csms_profile": "A schedule from your energy company has no charging now.",
    "load_balancing": "Another socket is using the supply.",
}
DELAY_WHY = "The law spreads start times so that cars do not all start at once (you may skip it)."


@dataclass(frozen=True, slots=True)
class Words:
    headline: str
    detail: str
    tone: str  # "ok", "wait", "alert": the colour of the badge
    flowing: bool | None = None  # what the card says about energy now (None: says nothing)
    around: tuple[str, str] | None = None  # the headline before and after a delay countdown


def duration(seconds: float) -> str:
    """4 min 12 s; 1 h 5 min; 42 s."""
    s = max(0, round(seconds))
    if s >= 3600:
        return f"{s // 3600} h {s % 3600 // 60} min"
    if s >= 60:
        return f"{s // 60} min {s % 60} s"
    return f"{s} s"


def minutes(seconds: float) -> str:
    """How long, as the owner reads it: 12 min; 1 h 05 min (never seconds)."""
    m = max(0, round(seconds / 60))
    return f"{m // 60} h {m % 60:02d} min" if m >= 60 else f"{m} min"


def longest_delay(seconds: float) -> str:
    """A random-delay maximum as the owner reads it: 10 min; 7 min 17 s; 45 s."""
    s = max(0, round(seconds))
    return minutes(s) if s % 60 == 0 and s else duration(s)


def amps(limit_a: float) -> str:
    """A current limit in the owner's units: about 1.4 kW a phase (6 A), at 230 V."""
    return f"about {power(limit_a * 230)} a phase ({limit_a:g} A)"


def clock(at: datetime) -> str:
    """A time as the owner reads it on a UK clock: 18:30."""
    return at.astimezone(UK_TZ).strftime("%H:%M")


def power(watts: float) -> str:
    """11 kW, 7.4 kW, 0.9 kW: one decimal below 10 kW, whole kW above."""
    kw = watts / 1000
    return f"{kw:.0f} kW" if kw >= 10 else f"{kw:.1f} kW"


def when(at: datetime, now: datetime) -> str:
    """ "today at 17:00", "tomorrow at 07:00", or "on Mon 14 Dec at 17:00" (UK clock)."""
    local, today = at.astimezone(UK_TZ), now.astimezone(UK_TZ).date()
    if local.date() == today:
        return f"today at {local:%H:%M}"
    if local.date() == today + timedelta(days=1):
        return f"tomorrow at {local:%H:%M}"
    return f"on {local:%a %d %b} at {local:%H:%M}"


def starts_at(reason: str, now: datetime | None) -> str:
    """The charger says "charging starts at Mon 17:00" (its next change, within a week): the
    same instant in words that cannot mean the wrong week; "" when it gives none."""
    found = _STARTS_AT.search(reason)
    if not found:
        return ""
    if now is None:
        return f"at {found.group(1)} {found.group(2)}:{found.group(3)}"
    local = now.astimezone(UK_TZ)
    ahead = (_DAYS.index(found.group(1)) - local.weekday()) % 7
    at = local.replace(hour=int(found.group(2)), minute=int(found.group(3)), second=0)
    at = at.replace(microsecond=0) + timedelta(days=ahead)
    if at <= local:
        at += timedelta(days=7)
    return when(at, now)


def describe(
    status: str | None,
    state: dict[str, Any] | None,
    power_w: float | None,
    grid_event_until: datetime | None = None,
    now: datetime | None = None,
) -> Words:
    """The headline and why-line for one connector. `state` is the charger's entry for the
    connector (None when it could not be asked); `grid_event_until` the end of a grid event in
    force that the owner has not opted out of."""
    if status is None:
        return Words("No news from this connector yet", "", "wait")
    if status in ("Faulted", "Unavailable"):
        return Words(STATUS_WORDS[status], "", "alert", False)
    state = state or {}
    cause = state.get("limit_cause")
    reason = str(state.get("limit_reason") or "")
    delay = float(state.get("random_delay_remaining_s") or 0)
    in_session = status in ("Charging", "SuspendedEV", "SuspendedEVSE")
    flowing = status == "Charging" and _offered(state, cause, power_w)
    if not in_session:
        return Words(STATUS_WORDS.get(status, status), "", "ok", False)
    if delay > 0:
        if flowing:
            before = f"Charging{_at(power_w)}: the next change of rate waits "
            return Words(before + duration(delay), DELAY_WHY, "ok", True, (before, ""))
        around = ("Random delay: ", " left")
        return Words(f"Random delay: {duration(delay)} left", DELAY_WHY, "wait", False, around)
    if status == "SuspendedEV":
        return Words(
            STATUS_WORDS["SuspendedEV"],
            "The charger offers power; the car is not taking it.",
            "ok",
            False,
        )
    until = f" until {clock(grid_event_until)}" if grid_event_until else ""
    if cause == "dsr" or grid_event_until is not None:
        if flowing:
            return Words(
                f"Charging{_at(power_w)}, reduced by a grid event{until}", "", "wait", True
            )
        return Words(f"Paused by a grid event{until}", "You may opt out of it.", "wait", False)
    if flowing:
        why = WHY_FLOWING.get(str(cause), "")
        return Words(f"Charging{_at(power_w)}", why, "ok", True)
    start = starts_at(reason, now)
    then = f": charging starts {start}" if start else ""
    if cause == "default_hours":
        return Words(f"Waiting for your charging hours{then}", WHY_WAITING[cause], "wait", False)
    if cause == "user_schedule":
        return Words(f"Waiting for your plan{then}", WHY_WAITING[cause], "wait", False)
    return Words(STATUS_WORDS["SuspendedEVSE"], WHY_WAITING.get(str(cause), ""), "wait", False)


def plan_line(promise: str | None, words: Words) -> str:
    """The plan's promise under the headline, unless the card already says the car is paused
    by itself (then the plan has nothing to add) or there is none."""
    if not promise or words.tone == "alert":
        return ""
    return f"Plan: {promise[:1].lower()}{promise[1:]}"


def _offered(state: dict[str, Any], cause: object, power_w: float | None) -> bool:
    """Whether energy flows on a connector whose status is Charging: the power says so when
    reported; else the charger's limit (0 A: held); else a waiting cause means held."""
    if power_w is not None:
        return power_w > 0
    limit = state.get("limit_a")
    if isinstance(limit, int | float) and not isinstance(limit, bool):
        return limit > 0
    return cause not in WHY_WAITING


def _at(power_w: float | None) -> str:
    return f" at {power(power_w)}" if power_w else ""
