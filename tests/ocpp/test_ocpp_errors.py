import pytest

from smartcharge.ocpp import errors
from smartcharge.ocpp.errors import (
    ERROR_CODES,
    CallError,
    CallTimeout,
    EndpointClosed,
    FormationViolation,
    FrameError,
    GenericError,
    InternalError,
    InvalidResponse,
    NotImplementedAction,
    NotSupported,
    OccurenceConstraintViolation,
    OcppError,
    PropertyConstraintViolation,
    ProtocolError,
    SecurityError,
    TypeConstraintViolation,
    error_for_code,
)

SPEC_CODES = [
    (NotImplementedAction, "NotImplemented"),
    (NotSupported, "NotSupported"),
    (InternalError, "InternalError"),
    (ProtocolError, "ProtocolError"),
    (SecurityError, "SecurityError"),
    (FormationViolation, "FormationViolation"),
    (PropertyConstraintViolation, "PropertyConstraintViolation"),
    (OccurenceConstraintViolation, "OccurenceConstraintViolation"),
    (TypeConstraintViolation, "TypeConstraintViolation"),
    (GenericError, "GenericError"),
]


@pytest.mark.parametrize(("cls", "code"), SPEC_CODES)
def test_each_class_carries_the_spec_code_and_maps_back(cls: type[OcppError], code: str) -> None:
    assert cls.code == code
    assert issubclass(cls, OcppError)
    assert error_for_code(code) is cls


def test_the_ten_codes_of_ocpp_j_16() -> None:
    assert {code for _, code in SPEC_CODES} == ERROR_CODES
    assert len(ERROR_CODES) == 10


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("FormatViolation", FormationViolation),
        ("OccurrenceConstraintViolation", OccurenceConstraintViolation),
        ("MessageTypeNotSupported", GenericError),
        ("", GenericError),
    ],
)
def test_corrected_spellings_map_to_the_16_class_and_unknown_codes_to_generic(
    code: str, cls: type[OcppError]
) -> None:
    assert error_for_code(code) is cls


def test_description_and_details() -> None:
    err = PropertyConstraintViolation("connectorId 7 does not exist", {"field": "connectorId"})
    assert err.description == "connectorId 7 does not exist"
    assert err.details == {"field": "connectorId"}
    assert str(err) == "connectorId 7 does not exist"
    bare = NotSupported()
    assert bare.description == "Requested Action is recognized but not supported by the receiver"
    assert bare.details == {}


def test_details_are_copied_not_shared() -> None:
    details = {"a": 1}
    err = GenericError("x", details)
    details["a"] = 2
    assert err.details == {"a": 1}


def test_frame_error_is_a_formation_violation_with_id_and_type() -> None:
    err = FrameError("bad", unique_id="42", message_type_id=2)
    assert isinstance(err, FormationViolation)
    assert (err.code, err.unique_id, err.message_type_id) == ("FormationViolation", "42", 2)
    assert FrameError("bad").unique_id == "-1"


def test_caller_side_exceptions() -> None:
    ce = CallError("SecurityError", "no", {"k": "v"}, "Authorize", "id-1")
    assert (ce.code, ce.description, ce.details, ce.action, ce.unique_id) == (
        "SecurityError",
        "no",
        {"k": "v"},
        "Authorize",
        "id-1",
    )
    assert ce.error_class is SecurityError
    timeout = CallTimeout("Heartbeat", "id-2", 1.5)
    assert (timeout.action, timeout.unique_id, timeout.timeout) == ("Heartbeat", "id-2", 1.5)
    inner = TypeConstraintViolation("interval must be integer")
    invalid = InvalidResponse("BootNotification", inner, "id-3")
    assert invalid.error is inner and invalid.action == "BootNotification"
    assert issubclass(EndpointClosed, ConnectionError)
    for exc in (CallError, CallTimeout, InvalidResponse, EndpointClosed):
        assert not issubclass(exc, OcppError)


def test_module_exports_exact_public_names() -> None:
    for name in (
        "OcppError",
        "NotImplementedAction",
        "NotSupported",
        "InternalError",
        "ProtocolError",
        "SecurityError",
        "FormationViolation",
        "PropertyConstraintViolation",
        "OccurenceConstraintViolation",
        "TypeConstraintViolation",
        "GenericError",
        "error_for_code",
        "CallError",
        "CallTimeout",
        "InvalidResponse",
    ):
        assert hasattr(errors, name), name
