"""The UK Smart Charge Points Regulations as pure functions: no I/O, no clock, no global random.

Peak hours (R13) in :mod:`.peak`, default charging hours (R14-R16) in :mod:`.default_hours`, the
randomised delay (R21-R26) in :mod:`.random_delay`, the requirement catalogue (R1-R39) in
:mod:`.catalogue`. Times in are aware datetimes; times out are UTC. See docs/regulations.md.
"""

from smartcharge.regulations.calendar import (
    BANK_HOLIDAYS_ARE_WEEKDAYS,
    UK_TZ,
    HolidayCalendar,
)
from smartcharge.regulations.catalogue import CATALOGUE, Requirement
from smartcharge.regulations.default_hours import (
    WeeklySchedule,
    Window,
    allowed,
    default_schedule,
    end_before_peak,
    intervals,
    next_change,
)
from smartcharge.regulations.peak import is_peak, peak_windows
from smartcharge.regulations.random_delay import (
    DEFAULT_MAX_S,
    MAX_ALLOWED_S,
    Cause,
    DelayDecision,
    RandomDelay,
    RateChange,
    applies,
    delay_for,
    validate_max,
)

__all__ = [
    "BANK_HOLIDAYS_ARE_WEEKDAYS",
    "CATALOGUE",
    "DEFAULT_MAX_S",
    "MAX_ALLOWED_S",
    "UK_TZ",
    "Cause",
    "DelayDecision",
    "HolidayCalendar",
    "RandomDelay",
    "RateChange",
    "Requirement",
    "WeeklySchedule",
    "Window",
    "allowed",
    "applies",
    "default_schedule",
    "delay_for",
    "end_before_peak",
    "intervals",
    "is_peak",
    "next_change",
    "peak_windows",
    "validate_max",
]
