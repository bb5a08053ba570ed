"""Payload validation against the official OCPP 1.6 JSON schemas.

The schemas are the ones shipped inside the installed `ocpp` package (`ocpp/v16/schemas/*.json`,
which include the security whitepaper messages); we never copy them. Each one is compiled once,
on first use, into a plain Python function by `fastjsonschema` and cached per action and
direction.

Two things about the compiled validators were checked rather than assumed (tests pin them):

- `format: date-time` is enforced: fastjsonschema knows that format and checks it as RFC 3339,
  so a timestamp needs a date, a time and an offset ("Z" or "+01:00"); impossible dates fail.
- `multipleOf: 0.1` (charging limits in SetChargingProfile, RemoteStartTransaction and the
  GetCompositeSchedule response) is decided on the decimal representation (`repr`) of the
  number, so 21.4 and 7.7 pass and 4.11 fails, although 21.4 / 0.1 is not an integer in binary
  floating point. A float produced by arithmetic (0.1 + 0.2) must be rounded before it is sent.

A failed validation raises the `OcppError` whose code OCPP-J 1.6 assigns to that fault; its
description names the offending field (as a path such as `csChargingProfiles.chargingSchedule.
chargingSchedulePeriod[0].limit`) and never quotes the offending value.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from collections.abc import Callable
from typing import Any

import fastjsonschema
import orjson

from smartcharge.ocpp.errors import (
    FormationViolation,
    NotImplementedAction,
    OccurenceConstraintViolation,
    OcppError,
    PropertyConstraintViolation,
    ProtocolError,
    TypeConstraintViolation,
)

ACTIONS_TO_CHARGE_POINT: frozenset[str] = frozenset(
    {
        # Core
        "ChangeAvailability",
        "ChangeConfiguration",
        "ClearCache",
        "DataTransfer",
        "GetConfiguration",
        "RemoteStartTransaction",
        "RemoteStopTransaction",
        "Reset",
        "UnlockConnector",
        # Firmware Management
        "GetDiagnostics",
        "UpdateFirmware",
        # Local Auth List Management
        "GetLocalListVersion",
        "SendLocalList",
        # Reservation
        "CancelReservation",
        "ReserveNow",
        # Smart Charging
        "ClearChargingProfile",
        "GetCompositeSchedule",
        "SetChargingProfile",
        # Remote Trigger
        "TriggerMessage",
        # Security whitepaper
        "CertificateSigned",
        "DeleteCertificate",
        "ExtendedTriggerMessage",
        "GetInstalledCertificateIds",
        "GetLog",
        "InstallCertificate",
        "SignedUpdateFirmware",
    }
)
"""Actions a central system may send to a charge point."""

ACTIONS_TO_CENTRAL_SYSTEM: frozenset[str] = frozenset(
    {
        # Core
        "Authorize",
        "BootNotification",
        "DataTransfer",
        "Heartbeat",
        "MeterValues",
        "StartTransaction",
        "StatusNotification",
        "StopTransaction",
        # Firmware Management
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        # Security whitepaper
        "LogStatusNotification",
        "SecurityEventNotification",
        "SignCertificate",
        "SignedFirmwareStatusNotification",
    }
)
"""Actions a charge point may send to a central system."""

ACTIONS: frozenset[str] = ACTIONS_TO_CHARGE_POINT | ACTIONS_TO_CENTRAL_SYSTEM
"""Every OCPP 1.6 action (with the security whitepaper) that has a schema."""

_SCHEMA_PACKAGE = "ocpp.v16"
_SCHEMA_DIR = "schemas"

Validator = Callable[[Any], Any]

# Which OCPP-J error code each JSON-schema keyword maps to (OCPP-J 1.6 section 4.2.3).
_PROPERTY_RULES = frozenset(
    {
        "enum",
        "const",
        "maxLength",
        "minLength",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
    }
)
_OCCURRENCE_RULES = frozenset({"minItems", "maxItems", "uniqueItems", "contains"})
_MAX_NAME = 40  # longest peer-chosen property name we repeat in a description


def validate_request(action: str, payload: object) -> None:
    """Check a CALL payload for `action`; raise the matching `OcppError` if it is not valid."""
    _validate(action, payload, response=False)


def validate_response(action: str, payload: object) -> None:
    """Check a CALLRESULT payload for `action`; raise the matching `OcppError` if not valid."""
    _validate(action, payload, response=True)


def _validate(action: str, payload: object, *, response: bool) -> None:
    validator = _validator(action, response)
    try:
        validator(payload)
    except fastjsonschema.JsonSchemaValueException as exc:
        raise _translate(action, response, exc) from None
    except Exception as exc:  # a value no JSON text can hold (say NaN) upset the validator
        what = "response" if response else "request"
        raise FormationViolation(f"{action} {what}: payload is not plain JSON data") from exc


def _validator(action: str, response: bool) -> Validator:
    if action not in ACTIONS:
        raise NotImplementedAction(f"unknown action {_short(action)!r}")
    return _compiled(action, response)


@functools.cache
def _compiled(action: str, response: bool) -> Validator:
    # functools.cache: a race between two threads can only compile twice, never corrupt.
    name = f"{action}Response.json" if response else f"{action}.json"
    resource = importlib.resources.files(_SCHEMA_PACKAGE) / _SCHEMA_DIR / name
    schema = orjson.loads(resource.read_bytes())
    # use_default=False: validation must never write defaults into the payload it checks.
    validator: Validator = fastjsonschema.compile(schema, use_default=False)
    return validator


def _translate(
    action: str, response: bool, exc: fastjsonschema.JsonSchemaValueException
) -> OcppError:
    what = "response" if response else "request"
    field = _field_path(exc.name or "data")
    rule = exc.rule or ""
    definition = exc.definition if isinstance(exc.definition, dict) else {}
    value = exc.value
    where = field or "payload"

    if rule == "required":
        present = value if isinstance(value, dict) else {}
        missing = [_join(field, k) for k in definition.get("required", []) if k not in present]
        names = ", ".join(missing) or where
        return ProtocolError(
            f"{action} {what}: payload incomplete: missing required field {names}",
            {"field": missing[0] if missing else where},
        )
    if rule == "additionalProperties":
        known = definition.get("properties", {})
        extra = sorted(str(k) for k in value if k not in known) if isinstance(value, dict) else []
        shown = [_join(field, _short(k, _MAX_NAME)) for k in extra[:3]]
        names = ", ".join(shown) + (", ..." if len(extra) > 3 else "")
        return FormationViolation(
            f"{action} {what}: unexpected field {names or where}",
            {"field": shown[0] if shown else where},
        )
    if rule == "type":
        if not field:
            return FormationViolation(f"{action} {what}: payload must be a JSON object")
        return TypeConstraintViolation(
            f"{action} {what}: {field} must be of type {definition.get('type')}",
            {"field": field},
        )
    if rule == "multipleOf":
        return PropertyConstraintViolation(
            f"{action} {what}: {field} must be a multiple of {definition.get('multipleOf')}",
            {"field": field},
        )
    if rule in _PROPERTY_RULES:
        return PropertyConstraintViolation(
            f"{action} {what}: {_message(exc.message, where)}", {"field": where}
        )
    if rule in _OCCURRENCE_RULES:
        return OccurenceConstraintViolation(
            f"{action} {what}: {_message(exc.message, where)}", {"field": where}
        )
    return FormationViolation(f"{action} {what}: {where} is not valid ({rule})", {"field": where})


def _field_path(name: str) -> str:
    # fastjsonschema names the root "data": "data.a.b[0].c" -> "a.b[0].c", "data" -> "".
    if name == "data":
        return ""
    if name.startswith("data."):
        return name[5:]
    if name.startswith("data["):
        return name[4:]
    return name


_DATA_PREFIX = re.compile(r"^data\S*")


def _message(message: str, where: str) -> str:
    # fastjsonschema says "data.x must be ..."; name the field as the peer knows it instead.
    # Its messages quote the schema's constraint (enum members, lengths), never the value.
    return _DATA_PREFIX.sub(where, message, count=1)


def _join(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key


def _short(text: str, limit: int = 64) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
