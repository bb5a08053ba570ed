"""OCPP-J 1.6 errors.

Two families live here:

- `OcppError` and its subclasses are the faults a *receiver* reports in a CALLERROR, one class
  per error code of OCPP-J 1.6 section 4.2.3. Raise one from a handler (or let the validators raise
  one) and the endpoint answers with that code. `code` is spelled exactly as the spec spells it,
  typos included ("OccurenceConstraintViolation", "FormationViolation").
- `CallError`, `CallTimeout`, `InvalidResponse` and `EndpointClosed` are what a *caller* sees when
  its own CALL did not get a usable CALLRESULT.
"""

from __future__ import annotations

from typing import Any


class OcppError(Exception):
    """A fault that is answered with a CALLERROR carrying `code`."""

    code: str = "GenericError"
    default_description: str = "Any other error not covered by the other error codes"

    def __init__(self, description: str = "", details: dict[str, Any] | None = None) -> None:
        self.description = description or self.default_description
        self.details: dict[str, Any] = dict(details) if details else {}
        super().__init__(self.description)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.description!r}, {self.details!r})"


class NotImplementedAction(OcppError):
    # Not `NotImplemented`: that name is a Python builtin constant.
    code = "NotImplemented"
    default_description = "Requested Action is not known by receiver"


class NotSupported(OcppError):
    code = "NotSupported"
    default_description = "Requested Action is recognized but not supported by the receiver"


class InternalError(OcppError):
    code = "InternalError"
    default_description = (
        "An internal error occurred and the receiver was not able to process the requested Action"
    )


class ProtocolError(OcppError):
    code = "ProtocolError"
    default_description = "Payload for Action is incomplete"


class SecurityError(OcppError):
    code = "SecurityError"
    default_description = (
        "During the processing of Action a security issue occurred preventing receiver from "
        "completing the Action successfully"
    )


class FormationViolation(OcppError):
    code = "FormationViolation"
    default_description = (
        "Payload for Action is syntactically incorrect or not conform the PDU structure for Action"
    )


class PropertyConstraintViolation(OcppError):
    code = "PropertyConstraintViolation"
    default_description = (
        "Payload is syntactically correct but at least one field contains an invalid value"
    )


class OccurenceConstraintViolation(OcppError):
    code = "OccurenceConstraintViolation"  # sic: the OCPP-J 1.6 spelling
    default_description = (
        "Payload for Action is syntactically correct but at least one of the fields violates "
        "occurence constraints"
    )


class TypeConstraintViolation(OcppError):
    code = "TypeConstraintViolation"
    default_description = (
        "Payload for Action is syntactically correct but at least one of the fields violates "
        "data type constraints"
    )


class GenericError(OcppError):
    code = "GenericError"


class FrameError(FormationViolation):
    """A frame that is not a well-formed OCPP-J message (raised by `frames.parse`).

    `unique_id` is the frame's id when it could be read (a string of at most 36 characters),
    else "-1". `message_type_id` is the frame's message type id when it is an integer, else None:
    3 or 4 means a malformed CALLRESULT/CALLERROR, which a receiver ignores rather than answers.
    """

    def __init__(
        self,
        description: str,
        *,
        unique_id: str = "-1",
        message_type_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.unique_id = unique_id
        self.message_type_id = message_type_id


_BY_CODE: dict[str, type[OcppError]] = {
    cls.code: cls
    for cls in (
        NotImplementedAction,
        NotSupported,
        InternalError,
        ProtocolError,
        SecurityError,
        FormationViolation,
        PropertyConstraintViolation,
        OccurenceConstraintViolation,
        TypeConstraintViolation,
        GenericError,
    )
}
# Spellings that peers use in the wild: the OCPP 1.6 errata and OCPP 2.x corrected the two typos,
# and the `ocpp` package sends "FormatViolation" for an unexpected property.
_BY_CODE["FormatViolation"] = FormationViolation
_BY_CODE["OccurrenceConstraintViolation"] = OccurenceConstraintViolation

ERROR_CODES: frozenset[str] = frozenset(cls.code for cls in _BY_CODE.values())
"""The ten error codes of OCPP-J 1.6, as the spec spells them."""


def error_for_code(code: str) -> type[OcppError]:
    """The `OcppError` subclass for a CALLERROR code; `GenericError` for an unknown code."""
    return _BY_CODE.get(code, GenericError)


class CallError(Exception):
    """The peer answered our CALL with a CALLERROR."""

    def __init__(
        self,
        code: str,
        description: str,
        details: dict[str, Any],
        action: str,
        unique_id: str = "",
    ) -> None:
        self.code = code
        self.description = description
        self.details = details
        self.action = action
        self.unique_id = unique_id
        super().__init__(f"{action}: {code}: {description}")

    @property
    def error_class(self) -> type[OcppError]:
        """The `OcppError` subclass matching `code` (GenericError if the code is unknown)."""
        return error_for_code(self.code)


class CallTimeout(Exception):
    """The peer did not answer our CALL in time. A late answer is ignored (and logged)."""

    def __init__(self, action: str, unique_id: str, timeout: float) -> None:
        self.action = action
        self.unique_id = unique_id
        self.timeout = timeout
        super().__init__(f"{action}: no answer to {unique_id} within {timeout:g} s")


class InvalidResponse(Exception):
    """The peer's CALLRESULT failed schema validation; `error` says how."""

    def __init__(self, action: str, error: OcppError, unique_id: str = "") -> None:
        self.action = action
        self.error = error
        self.unique_id = unique_id
        super().__init__(f"{action}: invalid CALLRESULT: {error.code}: {error.description}")


class EndpointClosed(ConnectionError):
    """The connection closed (or the endpoint was closed) before our CALL was answered."""
