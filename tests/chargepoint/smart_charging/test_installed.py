"""The installed collection: OCPP 1.6 replacement rules, limits, ClearChargingProfile, JSON."""

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from smartcharge.chargepoint.smart_charging import (
    ChargingProfile,
    Installed,
    InstalledProfile,
    Limits,
    ProfileError,
    Purpose,
    allowed_units,
    parse_profile,
)
from smartcharge.ocpp.schemas import validate_request


def prof(
    id: int,
    purpose: Purpose = "TxDefaultProfile",
    stack: int = 0,
    *,
    unit: str = "A",
    periods: int = 1,
    valid_to: str | None = None,
    duration: int | None = None,
) -> ChargingProfile:
    d: dict[str, Any] = {
        "chargingProfileId": id,
        "stackLevel": stack,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {
            "startSchedule": "2026-01-10T00:00:00Z",
            "chargingRateUnit": unit,
            "chargingSchedulePeriod": [
                {"startPeriod": 60 * i, "limit": 16.0} for i in range(periods)
            ],
        },
    }
    if valid_to:
        d["validTo"] = valid_to
    if duration:
        d["chargingSchedule"]["duration"] = duration
    return parse_profile(d)


def ids(installed: Installed) -> list[tuple[int, int]]:
    """(connector, profile id) in installation order."""
    return [(e.connector_id, e.profile.id) for e in installed]


def test_same_id_replaces_even_on_another_connector() -> None:
    inst = Installed()
    inst.install(1, prof(1, stack=0))
    replaced = inst.install(2, prof(1, stack=3))
    assert ids(inst) == [(2, 1)]
    assert [e.connector_id for e in replaced] == [1]


def test_same_stack_level_and_purpose_replaces_on_the_same_connector_only() -> None:
    inst = Installed()
    inst.install(1, prof(1, stack=2))
    inst.install(2, prof(2, stack=2))  # other connector: added
    inst.install(1, prof(3, stack=1))  # other stack level: added
    inst.install(1, prof(4, "TxProfile", 2), transaction_running=True)  # other purpose: added
    assert ids(inst) == [(1, 1), (2, 2), (1, 3), (1, 4)]
    inst.install(1, prof(5, stack=2))  # same connector, purpose and level as id 1: replaces it
    assert ids(inst) == [(2, 2), (1, 3), (1, 4), (1, 5)]


def test_connector_zero_default_is_replaced_per_connector_only() -> None:
    # Section 3.13.2: a TxDefaultProfile on connector n replaces the connector-0 one only for n,
    # so installing it must not remove the connector-0 profile.
    inst = Installed()
    inst.install(0, prof(1, stack=1))
    inst.install(1, prof(2, stack=1))
    assert ids(inst) == [(0, 1), (1, 2)]


def test_one_new_profile_may_replace_two() -> None:
    inst = Installed()
    inst.install(1, prof(1, stack=1))
    inst.install(1, prof(2, stack=2))
    inst.install(1, prof(1, stack=2))  # id 1 (the old id 1) and level 2 (id 2) both go
    assert ids(inst) == [(1, 1)]
    assert next(iter(inst)).profile.stack_level == 2


@pytest.mark.parametrize(
    ("connector", "profile", "running", "reason"),
    [
        (1, prof(1, "ChargePointMaxProfile"), False, "ChargePointMaxProfile must be set on conn"),
        (0, prof(1, "TxProfile"), True, "a TxProfile must be set on a connector > 0"),
        (1, prof(1, "TxProfile"), False, "no transaction on connector 1"),
        (3, prof(1), False, "connectorId: no connector 3"),
        (-1, prof(1), False, "connectorId: no connector -1"),
        (1, prof(1, stack=4), False, "stackLevel: above ChargeProfileMaxStackLevel (3)"),
        (1, prof(1, periods=6), False, "more than ChargingScheduleMaxPeriods (5)"),
        (1, prof(1, unit="W"), False, "not in ChargingScheduleAllowedChargingRateUnit"),
    ],
)
def test_refusals_change_nothing(
    connector: int, profile: ChargingProfile, running: bool, reason: str
) -> None:
    limits = Limits(max_stack_level=3, max_periods=5, units=frozenset({"A"}), connectors=2)
    inst = Installed(limits)
    inst.install(1, prof(1, stack=3))  # same id as every refused profile: must survive
    with pytest.raises(ProfileError) as info:
        inst.install(connector, profile, transaction_running=running)
    assert reason in info.value.reason
    assert ids(inst) == [(1, 1)]


def test_max_profiles_installed_counts_after_replacement() -> None:
    inst = Installed(Limits(max_profiles=2))
    inst.install(1, prof(1, stack=0))
    inst.install(1, prof(2, stack=1))
    with pytest.raises(ProfileError, match="MaxChargingProfilesInstalled"):
        inst.install(1, prof(3, stack=2))
    inst.install(1, prof(3, stack=1))  # replaces id 2: still two
    assert ids(inst) == [(1, 1), (1, 3)]


def populated() -> Installed:
    inst = Installed()
    inst.install(0, prof(1, "ChargePointMaxProfile", 0))
    inst.install(0, prof(2, "TxDefaultProfile", 0))
    inst.install(1, prof(3, "TxDefaultProfile", 1))
    inst.install(1, prof(4, "TxProfile", 1), transaction_running=True)
    inst.install(2, prof(5, "TxProfile", 1), transaction_running=True)
    return inst


@pytest.mark.parametrize(
    ("criteria", "left"),
    [
        # id alone decides; the other criteria are ignored (here they would match nothing).
        ({"id": 3, "connector_id": 2, "purpose": "TxProfile"}, [1, 2, 4, 5]),
        # connector 0 means the charge point's own profiles, not every connector.
        ({"connector_id": 0}, [3, 4, 5]),
        ({"purpose": "TxProfile"}, [1, 2, 3]),
        ({"stack_level": 1}, [1, 2]),
        ({"connector_id": 1, "stack_level": 1}, [1, 2, 5]),
        ({"connector_id": 1, "purpose": "TxDefaultProfile", "stack_level": 1}, [1, 2, 4, 5]),
        ({}, []),
    ],
)
def test_clear(criteria: dict[str, Any], left: list[int]) -> None:
    inst = populated()
    assert inst.clear(**criteria) is True
    assert [e.profile.id for e in inst] == left


@pytest.mark.parametrize(
    "criteria",
    [
        {"id": 9},
        {"connector_id": 2, "purpose": "TxDefaultProfile"},
        {"purpose": "ChargePointMaxProfile", "stack_level": 1},
    ],
)
def test_clear_nothing_matching_is_unknown(criteria: dict[str, Any]) -> None:
    inst = populated()
    assert inst.clear(**criteria) is False
    assert len(inst) == 5


def test_end_transaction_deletes_its_tx_profiles_only() -> None:
    inst = populated()
    assert inst.end_transaction(1) is True
    assert [e.profile.id for e in inst] == [1, 2, 3, 5]
    assert inst.end_transaction(1) is False


def test_prune_expired() -> None:
    inst = Installed()
    inst.install(1, prof(1, stack=0, valid_to="2026-01-10T12:00:00Z"))
    inst.install(1, prof(2, stack=1, duration=3600))  # Absolute from 00:00: over at 01:00
    inst.install(1, prof(3, stack=2))
    assert inst.prune(datetime(2026, 1, 10, 0, 59, 59, tzinfo=UTC)) is False
    assert inst.prune(datetime(2026, 1, 10, 1, tzinfo=UTC)) is True
    assert [e.profile.id for e in inst] == [1, 3]
    assert inst.prune(datetime(2026, 1, 10, 12, tzinfo=UTC)) is True
    assert [e.profile.id for e in inst] == [3]


def test_json_round_trip_as_set_charging_profile_requests() -> None:
    inst = populated()
    text = inst.dumps()
    for request in json.loads(text):
        validate_request("SetChargingProfile", request)
    back = Installed.loads(text)
    assert list(back) == list(inst)
    assert isinstance(next(iter(back)), InstalledProfile)


@pytest.mark.parametrize(
    "text", ["{", "{}", '[{"csChargingProfiles": {}}]', '[{"connectorId": 1}]']
)
def test_loads_refuses_damaged_text(text: str) -> None:
    with pytest.raises(ProfileError):
        Installed.loads(text)


def test_allowed_units_from_the_configuration_key() -> None:
    assert allowed_units("Current,Power") == {"A", "W"}
    assert allowed_units("Power") == {"W"}
    with pytest.raises(ValueError, match="unknown charging rate unit 'Watts'"):
        allowed_units("Current,Watts")
