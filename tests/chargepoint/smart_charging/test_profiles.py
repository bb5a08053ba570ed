"""Parsing and checking charging profiles: what the JSON schema cannot catch is a ProfileError."""

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from smartcharge.chargepoint.smart_charging import (
    ChargingProfile,
    ChargingSchedule,
    Period,
    ProfileError,
    parse_profile,
    to_ocpp,
)
from smartcharge.ocpp.schemas import validate_request


def good() -> dict[str, Any]:
    """A Recurring Daily TxDefaultProfile: 11 kW from 23:00 UTC for 8 h, 1-phase 16 A after."""
    return {
        "chargingProfileId": 3,
        "stackLevel": 2,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Recurring",
        "recurrencyKind": "Daily",
        "validFrom": "2026-01-01T00:00:00Z",
        "validTo": "2027-01-01T00:00:00+01:00",
        "chargingSchedule": {
            "duration": 86400,
            "startSchedule": "2026-01-01T23:00:00Z",
            "chargingRateUnit": "W",
            "chargingSchedulePeriod": [
                {"startPeriod": 0, "limit": 11000},
                {"startPeriod": 28800, "limit": 3680.5, "numberPhases": 1},
            ],
            "minChargingRate": 1380,
        },
    }


def test_parses_every_field() -> None:
    p = parse_profile(good())
    assert p == ChargingProfile(
        id=3,
        stack_level=2,
        purpose="TxDefaultProfile",
        kind="Recurring",
        recurrency="Daily",
        valid_from=datetime(2026, 1, 1, tzinfo=UTC),
        valid_to=datetime(2026, 12, 31, 23, tzinfo=UTC),  # +01:00 kept as the same instant
        transaction_id=None,
        schedule=ChargingSchedule(
            unit="W",
            periods=(Period(0, 11000.0), Period(28800, 3680.5, 1)),
            duration=86400,
            start_schedule=datetime(2026, 1, 1, 23, tzinfo=UTC),
            min_charging_rate=1380.0,
        ),
    )


def test_to_ocpp_round_trips_and_is_schema_valid() -> None:
    p = parse_profile(good())
    d = to_ocpp(p)
    assert parse_profile(d) == p
    assert d["validTo"] == "2026-12-31T23:00:00Z"
    assert d["chargingSchedule"]["chargingSchedulePeriod"][1] == {
        "startPeriod": 28800,
        "limit": 3680.5,
        "numberPhases": 1,
    }
    validate_request("SetChargingProfile", {"connectorId": 0, "csChargingProfiles": d})


def test_minimal_relative_tx_profile() -> None:
    p = parse_profile(
        {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Relative",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}],
            },
        },
        remote_start=True,
    )
    assert p.schedule.periods == (Period(0, 16.0),)
    assert p.transaction_id is None and p.valid_from is None and p.schedule.duration is None


def edit(path: str, value: object) -> dict[str, Any]:
    """good() with the field at the dotted `path` set to `value` (or removed for ...)."""
    d = copy.deepcopy(good())
    node: Any = d
    *parents, last = path.split(".")
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is ...:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return d


PERIODS = "chargingSchedule.chargingSchedulePeriod"


@pytest.mark.parametrize(
    ("profile", "reason"),
    [
        (edit(f"{PERIODS}.0.startPeriod", 60), "[0].startPeriod: the first period must start at 0"),
        (edit(f"{PERIODS}.1.startPeriod", 0), "[1].startPeriod: periods must start in strictly"),
        (
            edit(PERIODS, [{"startPeriod": 0, "limit": 1}, {"startPeriod": 0, "limit": 2}]),
            "strictly increasing",
        ),
        (edit(PERIODS, []), "needs at least one period"),
        (edit(f"{PERIODS}.1.limit", -0.1), "[1].limit: must not be negative"),
        (edit(f"{PERIODS}.1.numberPhases", 0), "[1].numberPhases: must be 1, 2 or 3"),
        (edit(f"{PERIODS}.1.numberPhases", 4), "[1].numberPhases: must be 1, 2 or 3"),
        (edit(f"{PERIODS}.0.limit", float("nan")), "[0].limit: must be a finite number"),
        (edit(f"{PERIODS}.0.limit", True), "[0].limit: must be a finite number"),
        (edit("recurrencyKind", ...), "recurrencyKind: required for a Recurring profile"),
        (edit("chargingSchedule.startSchedule", ...), "startSchedule: required for a Recurring"),
        (edit("validTo", "2026-01-01T00:00:00Z"), "validTo: must be after validFrom"),
        (edit("validTo", "2025-12-31T23:59:59Z"), "validTo: must be after validFrom"),
        (edit("validFrom", "2026-01-01T00:00:00"), "validFrom: needs a UTC offset"),
        (edit("validFrom", "yesterday"), "validFrom: not an RFC 3339 date-time"),
        (edit("chargingSchedule.duration", 86401), "duration: longer than one Daily recurrence"),
        (edit("chargingSchedule.duration", 0), "chargingSchedule.duration: must be positive"),
        (edit(f"{PERIODS}.1.startPeriod", 86400), "a period starts after one Daily recurrence"),
        (edit("chargingSchedule.minChargingRate", -1), "minChargingRate: must not be negative"),
        (edit("stackLevel", -1), "stackLevel: must not be negative"),
        (edit("stackLevel", "1"), "stackLevel: must be an integer"),
        (edit("chargingProfileId", ...), "chargingProfileId: required"),
        (edit("chargingProfilePurpose", "Other"), "chargingProfilePurpose: must be one of"),
        (edit("chargingSchedule.chargingRateUnit", "kW"), "chargingRateUnit: must be one of"),
        (edit("chargingSchedule", ...), "chargingSchedule: required"),
        (edit("transactionId", 5), "transactionId: only a TxProfile may name a transaction"),
    ],
)
def test_semantic_errors(profile: dict[str, Any], reason: str) -> None:
    with pytest.raises(ProfileError) as info:
        parse_profile(profile)
    assert reason in info.value.reason


def test_weekly_may_last_a_week_but_no_longer() -> None:
    weekly = edit("recurrencyKind", "Weekly")
    weekly["chargingSchedule"]["duration"] = 7 * 86400
    weekly["chargingSchedule"]["chargingSchedulePeriod"][1]["startPeriod"] = 6 * 86400
    assert parse_profile(weekly).recurrency == "Weekly"
    weekly["chargingSchedule"]["duration"] = 7 * 86400 + 1
    with pytest.raises(ProfileError, match="longer than one Weekly recurrence"):
        parse_profile(weekly)


def test_absolute_needs_a_start() -> None:
    d = edit("chargingProfileKind", "Absolute")
    assert parse_profile(d).kind == "Absolute"
    del d["chargingSchedule"]["startSchedule"]
    with pytest.raises(ProfileError, match="startSchedule: required for an Absolute profile"):
        parse_profile(d)


def test_charge_point_max_cannot_be_relative() -> None:
    d = edit("chargingProfilePurpose", "ChargePointMaxProfile")
    d["chargingProfileKind"] = "Relative"
    with pytest.raises(ProfileError, match="ChargePointMaxProfile cannot be Relative"):
        parse_profile(d)


def tx_profile(**extra: Any) -> dict[str, Any]:
    d = edit("chargingProfilePurpose", "TxProfile")
    d.update(extra)
    return d


def test_transaction_rules() -> None:
    assert parse_profile(tx_profile(transactionId=5)).transaction_id == 5
    # Without transactionId a TxProfile is for whatever transaction runs on its connector...
    assert parse_profile(tx_profile()).transaction_id is None
    # ...unless the station insists (OCPP 1.6 section 3.13.4 asks the central system to name it).
    with pytest.raises(ProfileError, match="a TxProfile must name its transaction"):
        parse_profile(tx_profile(), require_transaction_id=True)
    # RemoteStartTransaction: a TxProfile, and no transaction id (it does not exist yet).
    with pytest.raises(ProfileError, match="must not be set in RemoteStartTransaction"):
        parse_profile(tx_profile(transactionId=5), remote_start=True)
    with pytest.raises(ProfileError, match="RemoteStartTransaction needs a TxProfile"):
        parse_profile(good(), remote_start=True)


def test_not_an_object() -> None:
    with pytest.raises(ProfileError, match="chargingProfile: must be an object"):
        parse_profile([])
    with pytest.raises(ProfileError, match=r"chargingSchedulePeriod\[0\]: must be an object"):
        parse_profile(edit(f"{PERIODS}.0", 5))
