"""Sharing a ChargePointMaxProfile between charging connectors, worked by hand."""

from datetime import UTC, datetime

import pytest

from smartcharge.chargepoint.smart_charging import (
    InstalledProfile,
    charge_point_cap,
    parse_profile,
    share,
)


def test_32_a_between_two_connectors_is_16_each() -> None:
    assert share(32, {1: 32, 2: 32}) == {1: 16, 2: 16}


def test_a_connector_needing_only_6_a_leaves_26_a_to_the_other() -> None:
    # Equal shares would be 16/16, but connector 2 needs only 6: 32 - 6 = 26 for connector 1.
    assert share(32, {1: 32, 2: 6}) == {1: 26, 2: 6}


def test_what_one_does_not_need_is_redistributed_among_the_rest() -> None:
    # Three connectors under 32 A: equal shares 10.67. Connector 1 needs 8, so the other two
    # share 32 - 8 = 24: 12 each.
    assert share(32, {1: 8, 2: 32, 3: 32}) == {1: 8, 2: 12, 3: 12}
    # Unequal needs: 1 wants 7, 2 wants 11, 3 wants 32: 7 + 11 + 14 = 32.
    assert share(32, {1: 7, 2: 11, 3: 32}) == {1: 7, 2: 11, 3: 14}
    # Three equal: 32 / 3 = 10.666 -> 10.6 each (rounded down, 31.8 <= 32).
    assert share(32, {1: 32, 2: 32, 3: 32}) == {1: 10.6, 2: 10.6, 3: 10.6}


def test_everyone_gets_their_demand_when_it_fits() -> None:
    assert share(32, {1: 10, 2: 12.5}) == {1: 10, 2: 12.5}
    assert share(None, {1: 40, 2: 12.5}) == {1: 40, 2: 12.5}


def test_not_charging_or_below_6_a_gets_nothing() -> None:
    # Connector 2 is not charging (0) and 3 is limited to 5 A by its own schedule: both 0,
    # connector 1 has the whole 32 A (it wants 32).
    assert share(32, {1: 32, 2: 0, 3: 5}) == {1: 32, 2: 0, 3: 0}


def test_a_cap_too_small_for_everyone_serves_the_preferred_first() -> None:
    # 10 A cannot give two connectors 6 A each (5 A each is below the pilot's minimum): one
    # charges at 10, the other gets 0. Lowest connector id first, unless `priority` says.
    assert share(10, {1: 32, 2: 32}) == {1: 10, 2: 0}
    assert share(10, {1: 32, 2: 32}, priority=[2]) == {1: 0, 2: 10}
    # 13 A, three connectors: two can have 6 A or more (6.5 each), the third none.
    assert share(13, {1: 32, 2: 32, 3: 32}) == {1: 6.5, 2: 6.5, 3: 0}
    assert share(5.9, {1: 32}) == {1: 0}


def test_min_charging_rate_is_honoured_where_it_fits() -> None:
    # Connector 1's EV charges at no less than 20 A: 20 for it, 32 - 20 = 12 for connector 2.
    assert share(32, {1: 32, 2: 32}, min_rates={1: 20}) == {1: 20, 2: 12}
    # Both want at least 20: 40 does not fit in 32, so connector 2 (less preferred) gives its
    # minimum up: 1 keeps 20, 2 gets 12.
    assert share(32, {1: 32, 2: 32}, min_rates={1: 20, 2: 20}) == {1: 20, 2: 12}
    # A minimum above the demand only asks for the demand.
    assert share(32, {1: 10, 2: 32}, min_rates={1: 20}) == {1: 10, 2: 22}


def test_bad_demand() -> None:
    with pytest.raises(ValueError, match="demand of connector 1"):
        share(32, {1: float("nan")})
    assert share(-5, {1: 10}) == {1: 0}


def test_from_a_charge_point_max_profile() -> None:
    # The whole chain the station runs each tick: cap from the ChargePointMaxProfile, then share.
    cap_profile = parse_profile(
        {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "ChargePointMaxProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "startSchedule": "2026-01-01T00:00:00Z",
                "chargingRateUnit": "W",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 22080}],  # 32 A * 690 V
            },
        }
    )
    cap = charge_point_cap([InstalledProfile(0, cap_profile)], datetime(2026, 3, 1, tzinfo=UTC))
    assert cap == 32
    assert share(cap, {1: 32, 2: 32}) == {1: 16, 2: 16}
