"""Faults of the rate and time signals and of their reporting (R2, R3, R9), for
broken_charger.py (which says how faults are injected and observed).

Each is narrow on purpose: it acts only where the suite's smart_signals scenario looks, so its
double need not run every scenario that changes a rate (compliance_doubles.FIRES).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

SMART_FAULTS = ("raise-ignored", "start-local-time", "offered-zero-dropped")

UK = ZoneInfo("Europe/London")


def patches(fault: str) -> list[Any] | None:
    """The broken_charger.Patch list of `fault`, or None if it is not one of SMART_FAULTS."""
    from broken_charger import Patch

    if fault == "raise-ignored":
        from smartcharge.chargepoint.charge_control import ChargeControl

        def raising(self: Any, connector_id: int, profile_dict: dict[str, Any]) -> bool:
            """Whether this profile at least doubles a nonzero limit set by a profile of the same
            id (a step up of 10 to 16 A, as the delay scenarios make, is taken)."""
            try:
                new = float(profile_dict["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"])
                pid = int(profile_dict["chargingProfileId"])
            except (KeyError, IndexError, TypeError, ValueError):
                return False
            for e in self.profiles:
                if e.connector_id == connector_id and e.profile.id == pid:
                    old = e.profile.schedule.periods[0].limit
                    return old > 0 and new >= 2 * old
            return False

        def small_steps_only(orig: Callable[..., Any]) -> Callable[..., Any]:
            def set_charging_profile(self: Any, connector_id: int, profile: Any) -> bool:
                # A big step up taken for a bad value: answered Accepted, never installed.
                return (
                    True
                    if raising(self, connector_id, profile)
                    else orig(self, connector_id, profile)
                )

            return set_charging_profile

        return [Patch(ChargeControl, "set_charging_profile", small_steps_only, fires=raising)]
    if fault == "start-local-time":
        from smartcharge.chargepoint import charge_control

        def local(orig: Callable[..., Any]) -> Callable[..., Any]:
            def parse_profile(*args: Any, **kwargs: Any) -> Any:
                out = orig(*args, **kwargs)
                start = out.schedule.start_schedule
                if start is None:
                    return out
                # Its UTC wall time read as UK time: an hour early in summer, right in winter.
                wall = start.astimezone(UTC).replace(tzinfo=UK)
                moved = dataclasses.replace(out.schedule, start_schedule=wall.astimezone(UTC))
                return dataclasses.replace(out, schedule=moved)

            return parse_profile

        return [Patch(charge_control, "parse_profile", local)]
    if fault == "offered-zero-dropped":
        from smartcharge.chargepoint import metering

        def falsy(orig: Callable[..., Any]) -> Callable[..., Any]:
            def sampled_values(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
                out = orig(*args, **kwargs)
                if kwargs.get("offered_a"):
                    return out
                # `if offered_a:` taken for "no reading": an offer of 0 A is never reported.
                return [sv for sv in out if sv["measurand"] != "Current.Offered"]

            return sampled_values

        return [Patch(metering, "sampled_values", falsy)]
    return None
