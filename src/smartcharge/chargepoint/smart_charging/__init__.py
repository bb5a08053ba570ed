"""OCPP 1.6 smart charging as pure functions: profiles and the installed collection.

- `profiles`: the typed, validated profile (`parse_profile`, `to_ocpp`, `ProfileError`).
- `installed`: the installed collection with OCPP's replacement and clear rules, as JSON.

No I/O and no clock: the station passes the time in.
"""

from smartcharge.chargepoint.smart_charging.installed import (
    CHARGE_POINT,
    Installed,
    InstalledProfile,
    Limits,
    allowed_units,
    expired,
)
from smartcharge.chargepoint.smart_charging.profiles import (
    ChargingProfile,
    ChargingSchedule,
    Kind,
    Period,
    ProfileError,
    Purpose,
    Recurrency,
    Unit,
    parse_profile,
    to_ocpp,
)

__all__ = [
    "CHARGE_POINT",
    "ChargingProfile",
    "ChargingSchedule",
    "Installed",
    "InstalledProfile",
    "Kind",
    "Limits",
    "Period",
    "ProfileError",
    "Purpose",
    "Recurrency",
    "Unit",
    "allowed_units",
    "expired",
    "parse_profile",
    "to_ocpp",
]
