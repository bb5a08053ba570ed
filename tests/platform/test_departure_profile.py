"""A departure plan reaches the charger as a TxDefaultProfile flagged `user_schedule` (issue 13
item 1): valid OCPP 1.6, installed by the charger's own profile code, full current in each
planned run and 0 A between them, gone after the departure; and the charger's decision names
the owner's schedule as the cause and delays its starts (R24)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from smartcharge.chargepoint.charging import ConnectorInput, ProfileFlags, decide
from smartcharge.chargepoint.ocpp_handlers.uk_extension import ProfileFlagsMsg
from smartcharge.chargepoint.smart_charging.composite import limit_at
from smartcharge.chargepoint.smart_charging.installed import Installed
from smartcharge.chargepoint.smart_charging.profiles import parse_profile
from smartcharge.ocpp.schemas import validate_request
from smartcharge.platform.services.departure_profile import (
    clear_charging_profile,
    profile_flags,
    set_charging_profile,
)
from smartcharge.platform.services.planner import PlanError, plan
from smartcharge.platform.services.tariffs.bands import Band, Tariff
from smartcharge.regulations import Cause, RateChange, applies, default_schedule, intervals

NOW = datetime(2026, 1, 5, 19, 0, 17, 250_000, tzinfo=UTC)  # Monday evening, GMT
DEPARTURE = datetime(2026, 1, 6, 7, 0, tzinfo=UTC)


def _plan():  # type: ignore[no-untyped-def]
    tariff = Tariff(24.0, (Band(time(0, 30), time(4, 30), 7.5),))
    return plan(
        start=NOW,
        departure=DEPARTURE,
        energy_kwh=40,
        power_kw=7.4,
        delay_max_s=600,
        allowed=intervals(default_schedule(600), NOW, DEPARTURE),
        price_at=tariff.price,
    )


def test_r24_the_plan_is_a_valid_profile_the_charger_holds_through_a_network_loss() -> None:
    p = _plan()
    request = set_charging_profile(p, 1, 32.0)
    validate_request("SetChargingProfile", request)
    validate_request("ClearChargingProfile", clear_charging_profile(1))
    installed = Installed()
    installed.install(1, parse_profile(request["csChargingProfiles"]))
    for start, end in p.runs:
        assert limit_at(installed, 1, start) == 32.0
        assert limit_at(installed, 1, end - timedelta(seconds=1)) == 32.0
        assert limit_at(installed, 1, start - timedelta(seconds=1)) == 0.0
    assert limit_at(installed, 1, NOW + timedelta(minutes=5)) == 0.0
    assert limit_at(installed, 1, DEPARTURE + timedelta(minutes=1)) is None  # plan over


def test_r24_the_charger_takes_the_flags_and_delays_the_plans_starts() -> None:
    flags = ProfileFlagsMsg(**profile_flags(1))
    assert flags.cause == "user_schedule" and not flags.alreadyRandomised
    held = decide(
        NOW,
        {
            1: ConnectorInput(
                charging=True,
                hardware_max_a=32,
                profile_limit_a=0.0,
                profile_flags=ProfileFlags(Cause(flags.cause), flags.alreadyRandomised),
            )
        },
        default_hours=None,
    )[1]
    assert held.cause is Cause.USER_SCHEDULE and held.limit_a == 0
    start = RateChange(old_a=0.0, new_a=32.0, cause=Cause.USER_SCHEDULE)
    assert applies(start)


def test_a_plan_with_too_many_runs_or_no_connector_is_refused() -> None:
    with pytest.raises(PlanError, match="one connector"):
        set_charging_profile(_plan(), 0, 32.0)
    base = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
    stripes = [
        (base + timedelta(hours=i), base + timedelta(hours=i, minutes=30)) for i in range(30)
    ]
    many = plan(
        start=base,
        departure=base + timedelta(hours=30),
        energy_kwh=104,  # 892 min: every one of the 30 stripes
        power_kw=7.0,
        delay_max_s=0,
        allowed=stripes,
        price_at=lambda when: 10.0,
    )
    assert len(many.runs) == 30
    with pytest.raises(PlanError, match="too many"):
        set_charging_profile(many, 1, 32.0)
