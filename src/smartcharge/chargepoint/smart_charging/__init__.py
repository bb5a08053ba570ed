"""OCPP 1.6 smart charging as pure functions: profiles, the composite schedule, sharing a cap.

- `profiles`: the typed, validated profile (`parse_profile`, `to_ocpp`, `ProfileError`).
- `installed`: the installed collection with OCPP's replacement and clear rules, as JSON.
- `composite`: `composite_schedule`, `limit_at`, `charge_point_cap`, GetCompositeSchedule output.
- `sharing`: `share`, splitting the charge point's cap between charging connectors.

No I/O and no clock: the station passes the time in. See docs/smart-charging.md.
"""

from smartcharge.chargepoint.smart_charging.composite import (
    CompositePeriod,
    CompositeSchedule,
    charge_point_cap,
    charging_schedule,
    composite_response,
    composite_schedule,
    limit_at,
)
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
from smartcharge.chargepoint.smart_charging.sharing import share
from smartcharge.chargepoint.smart_charging.units import MIN_CHARGING_A, UK_VOLTAGE, convert

__all__ = [
    "CHARGE_POINT",
    "MIN_CHARGING_A",
    "UK_VOLTAGE",
    "ChargingProfile",
    "ChargingSchedule",
    "CompositePeriod",
    "CompositeSchedule",
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
    "charge_point_cap",
    "charging_schedule",
    "composite_response",
    "composite_schedule",
    "convert",
    "expired",
    "limit_at",
    "parse_profile",
    "share",
    "to_ocpp",
]
