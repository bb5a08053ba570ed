import contextlib
import copy
import importlib.resources
from pathlib import Path
from typing import Any

import pytest

from smartcharge.ocpp import schemas
from smartcharge.ocpp.errors import (
    FormationViolation,
    NotImplementedAction,
    OccurenceConstraintViolation,
    OcppError,
    PropertyConstraintViolation,
    ProtocolError,
    TypeConstraintViolation,
)
from smartcharge.ocpp.schemas import (
    ACTIONS_TO_CENTRAL_SYSTEM,
    ACTIONS_TO_CHARGE_POINT,
    validate_request,
    validate_response,
)

REPO = Path(__file__).resolve().parents[2]


def schema_actions() -> set[str]:
    folder = importlib.resources.files("ocpp.v16") / "schemas"
    names = {p.name[: -len(".json")] for p in folder.iterdir() if p.name.endswith(".json")}
    return {n for n in names if not n.endswith("Response")}


def schedule(limit: Any, min_rate: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
    }
    if min_rate is not None:
        out["minChargingRate"] = min_rate
    return out


def profile(limit: Any, min_rate: Any = None) -> dict[str, Any]:
    return {
        "chargingProfileId": 1,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute",
        "chargingSchedule": schedule(limit, min_rate),
    }


def set_charging_profile(limit: Any, min_rate: Any = None) -> dict[str, Any]:
    return {"connectorId": 1, "csChargingProfiles": profile(limit, min_rate)}


def remote_start(limit: Any, min_rate: Any = None) -> dict[str, Any]:
    return {"idTag": "TAG1", "connectorId": 1, "chargingProfile": profile(limit, min_rate)}


def composite(limit: Any, min_rate: Any = None) -> dict[str, Any]:
    return {"status": "Accepted", "connectorId": 1, "chargingSchedule": schedule(limit, min_rate)}


def raises(fn: Any, *args: Any) -> OcppError:
    with pytest.raises(OcppError) as info:
        fn(*args)
    return info.value


# --- where the validators come from -----------------------------------------------------------


def test_the_action_sets_cover_exactly_the_shipped_schemas() -> None:
    assert schema_actions() == ACTIONS_TO_CHARGE_POINT | ACTIONS_TO_CENTRAL_SYSTEM
    assert {"DataTransfer"} == ACTIONS_TO_CHARGE_POINT & ACTIONS_TO_CENTRAL_SYSTEM
    assert len(ACTIONS_TO_CHARGE_POINT) == 26
    assert {
        "BootNotification",
        "Heartbeat",
        "StatusNotification",
        "MeterValues",
        "StartTransaction",
        "StopTransaction",
        "Authorize",
        "DataTransfer",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "SecurityEventNotification",
        "SignedFirmwareStatusNotification",
        "LogStatusNotification",
        "SignCertificate",
    } == ACTIONS_TO_CENTRAL_SYSTEM
    for action in (
        "RemoteStartTransaction",
        "GetConfiguration",
        "SignedUpdateFirmware",
        "InstallCertificate",
        "ExtendedTriggerMessage",
        "GetLog",
        "SetChargingProfile",
        "CertificateSigned",
    ):
        assert action in ACTIONS_TO_CHARGE_POINT


def test_no_schema_files_are_copied_into_the_repository() -> None:
    copied = [p for p in (REPO / "src").rglob("*.json") if "ocpp" in str(p).lower()]
    assert copied == []


@pytest.mark.parametrize("action", sorted(schema_actions()))
def test_every_schema_compiles_and_rejects_a_non_object(action: str) -> None:
    for validate in (validate_request, validate_response):
        err = raises(validate, action, [])
        assert isinstance(err, FormationViolation)
        # {} is either complete (no required fields) or incomplete: never anything else.
        with contextlib.suppress(ProtocolError):
            validate(action, {})


def test_validators_are_compiled_once_and_cached() -> None:
    validate_request("Heartbeat", {})
    before = schemas._compiled.cache_info()
    for _ in range(5):
        validate_request("Heartbeat", {})
    after = schemas._compiled.cache_info()
    assert after.misses == before.misses
    assert after.hits == before.hits + 5


def test_validation_never_changes_the_payload() -> None:
    payload = set_charging_profile(21.4)
    snapshot = copy.deepcopy(payload)
    validate_request("SetChargingProfile", payload)
    assert payload == snapshot


# --- multipleOf 0.1: the charging limits ------------------------------------------------------


CHARGING_LIMITS = [
    (validate_request, "SetChargingProfile", set_charging_profile, "csChargingProfiles."),
    (validate_request, "RemoteStartTransaction", remote_start, "chargingProfile."),
    (validate_response, "GetCompositeSchedule", composite, ""),
]


@pytest.mark.parametrize(("validate", "action", "build", "prefix"), CHARGING_LIMITS)
@pytest.mark.parametrize("limit", [21.4, 7.7, 32, 6.0, 0.1, 11.5, 22.0, 0])
def test_one_decimal_limits_pass(
    validate: Any, action: str, build: Any, prefix: str, limit: float
) -> None:
    validate(action, build(limit, min_rate=limit))


@pytest.mark.parametrize(("validate", "action", "build", "prefix"), CHARGING_LIMITS)
@pytest.mark.parametrize("limit", [4.11, 0.30000000000000004, 7.05, 1e308])
def test_limits_with_more_decimals_fail_naming_the_field(
    validate: Any, action: str, build: Any, prefix: str, limit: float
) -> None:
    err = raises(validate, action, build(limit))
    assert isinstance(err, PropertyConstraintViolation)
    field = prefix + "chargingSchedule.chargingSchedulePeriod[0].limit"
    assert err.details == {"field": field}
    assert field in err.description and "0.1" in err.description

    err = raises(validate, action, build(7.7, min_rate=limit))
    assert isinstance(err, PropertyConstraintViolation)
    assert err.details == {"field": prefix + "chargingSchedule.minChargingRate"}


# --- date-time is really checked --------------------------------------------------------------


@pytest.mark.parametrize(
    "stamp",
    [
        "2024-06-01T12:00:00Z",
        "2024-06-01T12:00:00.123Z",
        "2024-06-01T13:00:00+01:00",
        "2024-02-29T00:00:00Z",
        "2024-06-01t12:00:00z",
    ],
)
def test_rfc3339_timestamps_pass(stamp: str) -> None:
    validate_request("StatusNotification", status_notification(timestamp=stamp))
    validate_response("Heartbeat", {"currentTime": stamp})


@pytest.mark.parametrize(
    "stamp",
    [
        "2024-06-01T12:00:00",  # no offset
        "2024-06-01 12:00:00Z",  # no T
        "2024-13-01T12:00:00Z",  # month 13
        "2023-02-29T00:00:00Z",  # not a leap year
        "2024-06-01T25:00:00Z",
        "2024-06-01",
        "yesterday",
        "",
    ],
)
def test_malformed_timestamps_fail_naming_the_field(stamp: str) -> None:
    err = raises(validate_request, "StatusNotification", status_notification(timestamp=stamp))
    assert isinstance(err, PropertyConstraintViolation)
    assert err.details == {"field": "timestamp"}
    assert "timestamp" in err.description and "date-time" in err.description

    err = raises(validate_response, "Heartbeat", {"currentTime": stamp})
    assert isinstance(err, PropertyConstraintViolation)
    assert err.details == {"field": "currentTime"}


def test_nested_timestamp_in_a_security_schema_with_refs() -> None:
    good = {
        "logType": "SecurityLog",
        "requestId": 1,
        "log": {"remoteLocation": "https://x", "oldestTimestamp": "2024-01-01T00:00:00Z"},
    }
    validate_request("GetLog", good)
    bad = copy.deepcopy(good)
    bad["log"]["oldestTimestamp"] = "2024-01-01T00:00:00"
    err = raises(validate_request, "GetLog", bad)
    assert isinstance(err, PropertyConstraintViolation)
    assert err.details == {"field": "log.oldestTimestamp"}


# --- one fault, one code ----------------------------------------------------------------------


def status_notification(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
    payload.update(changes)
    return payload


def meter_values(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "connectorId": 1,
        "meterValue": [
            {"timestamp": "2024-06-01T12:00:00Z", "sampledValue": [{"value": "1200"}]},
        ],
    }
    payload.update(changes)
    return payload


def test_unknown_action_is_not_implemented() -> None:
    for validate in (validate_request, validate_response):
        err = raises(validate, "FlyToTheMoon", {})
        assert type(err) is NotImplementedAction
        assert err.code == "NotImplemented"
        assert "FlyToTheMoon" in err.description
    # close to a real name, or the schema file name itself, is still unknown
    for action in ("heartbeat", "HeartbeatResponse", "../Heartbeat", ""):
        assert type(raises(validate_request, action, {})) is NotImplementedAction


@pytest.mark.parametrize("payload", [[], "x", 1, None, True, 1.5])
def test_payload_that_is_not_an_object_is_a_formation_violation(payload: Any) -> None:
    err = raises(validate_request, "Heartbeat", payload)
    assert type(err) is FormationViolation
    assert "payload must be a JSON object" in err.description


def test_unexpected_property_is_a_formation_violation_naming_it() -> None:
    err = raises(validate_request, "StatusNotification", status_notification(colour="red"))
    assert type(err) is FormationViolation
    assert err.details == {"field": "colour"}
    assert "unexpected field colour" in err.description

    nested = meter_values()
    nested["meterValue"][0]["sampledValue"][0]["bogus"] = 1
    err = raises(validate_request, "MeterValues", nested)
    assert type(err) is FormationViolation
    assert err.details == {"field": "meterValue[0].sampledValue[0].bogus"}


def test_long_unexpected_property_names_are_cut_short() -> None:
    err = raises(validate_request, "Heartbeat", {"x" * 5000: 1})
    assert type(err) is FormationViolation
    assert len(err.description) < 200


def test_missing_required_field_is_a_protocol_error_naming_it() -> None:
    payload = status_notification()
    del payload["errorCode"]
    err = raises(validate_request, "StatusNotification", payload)
    assert type(err) is ProtocolError
    assert "payload incomplete" in err.description
    assert "errorCode" in err.description and "status" not in err.description
    assert err.details == {"field": "errorCode"}

    nested = set_charging_profile(16)
    del nested["csChargingProfiles"]["chargingSchedule"]["chargingRateUnit"]
    err = raises(validate_request, "SetChargingProfile", nested)
    assert type(err) is ProtocolError
    assert err.details == {"field": "csChargingProfiles.chargingSchedule.chargingRateUnit"}


@pytest.mark.parametrize("value", ["1", 1.5, True, None, [1], {"a": 1}])
def test_wrong_json_type_is_a_type_constraint_violation(value: Any) -> None:
    err = raises(validate_request, "StatusNotification", status_notification(connectorId=value))
    assert type(err) is TypeConstraintViolation
    assert err.details == {"field": "connectorId"}
    assert "connectorId must be of type integer" in err.description


def test_values_out_of_their_set_or_range_are_property_constraint_violations() -> None:
    cases = [
        ("StatusNotification", status_notification(status="Sleeping"), "status"),
        ("StatusNotification", status_notification(info="i" * 51), "info"),
        ("Authorize", {"idTag": "T" * 21}, "idTag"),
        (
            "UpdateFirmware",
            {"location": "not a uri", "retrieveDate": "2024-06-01T12:00:00Z"},
            "location",
        ),
    ]
    for action, payload, field in cases:
        err = raises(validate_request, action, payload)
        assert type(err) is PropertyConstraintViolation, action
        assert err.details == {"field": field}
        assert err.description.startswith(f"{action} request: {field} ")
    validate_request("Authorize", {"idTag": "T" * 20})  # the bound itself is fine


def test_too_few_items_is_an_occurence_constraint_violation() -> None:
    err = raises(validate_request, "MeterValues", meter_values(meterValue=[]))
    assert type(err) is OccurenceConstraintViolation
    assert err.code == "OccurenceConstraintViolation"
    assert err.details == {"field": "meterValue"}

    empty_samples = meter_values()
    empty_samples["meterValue"][0]["sampledValue"] = []
    err = raises(validate_request, "MeterValues", empty_samples)
    assert type(err) is OccurenceConstraintViolation
    assert err.details == {"field": "meterValue[0].sampledValue"}


def test_responses_are_checked_against_the_response_schema() -> None:
    validate_response("BootNotification", {**_boot_result()})
    err = raises(validate_response, "BootNotification", {**_boot_result(), "status": "Maybe"})
    assert type(err) is PropertyConstraintViolation
    assert err.description.startswith("BootNotification response: status ")
    # a request payload is not a valid response
    err = raises(validate_response, "BootNotification", {"chargePointVendor": "A"})
    assert isinstance(err, ProtocolError | FormationViolation)


def test_values_json_cannot_carry_are_rejected_not_crashing() -> None:
    nan = float("nan")
    err = raises(validate_request, "SetChargingProfile", set_charging_profile(nan))
    assert isinstance(err, OcppError)


def _boot_result() -> dict[str, Any]:
    return {"currentTime": "2024-06-01T12:00:00Z", "interval": 300, "status": "Accepted"}
