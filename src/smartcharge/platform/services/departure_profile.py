"""A departure plan as the charger holds it: one TxDefaultProfile on the connector (OCPP 1.6),
so the plan keeps working through a loss of network (R7), and the UK-extension ProfileFlags
that tell the charger the profile is the owner's own schedule (cause `user_schedule`): its
starts are relevant times the charger delays (R24), which is why the planner left room.

The profile runs from the plan's start to the departure, full current in each planned run and
0 A between them, then ends, so after the departure (or before a repeating plan's window) the
connector charges as it would with no plan. Each connector has its own profile id, so a new
plan replaces the last; clearing that id removes the plan. Pure: builds the two messages."""

from __future__ import annotations

from typing import Any

from smartcharge.ocpp.times import format_time
from smartcharge.platform.services.planner import ChargePlan, PlanError

PROFILE_ID_BASE = 7100
"""The plan's profile id on connector n is PROFILE_ID_BASE + n (ids the operator's own profiles
are told to avoid in docs/owner-app.md)."""
STACK_LEVEL = 5
MAX_PERIODS = 48  # the charger's ChargingScheduleMaxPeriods by default


def profile_id(connector_id: int) -> int:
    return PROFILE_ID_BASE + connector_id


def set_charging_profile(plan: ChargePlan, connector_id: int, limit_a: float) -> dict[str, Any]:
    """The SetChargingProfile request for `plan` on `connector_id`, `limit_a` in each run."""
    if connector_id < 1:
        raise PlanError("a departure plan belongs to one connector (1 or more)")
    start0 = plan.start.replace(microsecond=0)
    periods: list[dict[str, Any]] = []

    def add(at_s: int, limit: float) -> None:
        if periods and periods[-1]["startPeriod"] == at_s:
            periods[-1]["limit"] = limit
        elif not periods or periods[-1]["limit"] != limit:
            periods.append({"startPeriod": at_s, "limit": limit})

    add(0, 0.0)
    for start, end in plan.runs:
        add(int((start - start0).total_seconds()), float(limit_a))
        add(int((end - start0).total_seconds()), 0.0)
    if len(periods) > MAX_PERIODS:
        raise PlanError("the plan has too many separate charging runs for the charger to hold")
    duration = int((plan.departure - start0).total_seconds())
    return {
        "connectorId": connector_id,
        "csChargingProfiles": {
            "chargingProfileId": profile_id(connector_id),
            "stackLevel": STACK_LEVEL,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "startSchedule": format_time(start0, "seconds"),
                "duration": duration,
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": periods,
            },
        },
    }


def profile_flags(connector_id: int) -> dict[str, Any]:
    """The UK-extension ProfileFlags: the owner's schedule, not yet randomised (R24, R26)."""
    return {
        "chargingProfileId": profile_id(connector_id),
        "cause": "user_schedule",
        "alreadyRandomised": False,
    }


def clear_charging_profile(connector_id: int) -> dict[str, Any]:
    return {"id": profile_id(connector_id)}
