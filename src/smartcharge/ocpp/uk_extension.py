"""The UK extension of OCPP 1.6, defined once for the charger, the platform and the compliance
suite: DataTransfer with vendorId `org.smartcharge.uk`, its message names and the schema of
each message's `data` (docs/ocpp-extensions.md).

`data` is a JSON object in a string. `parse(message_id, data)` checks it against the message's
model and returns the model, or raises `UkExtensionError` naming the field (what the receiver
answers `Rejected` with, changing nothing). The models are strict (no extra fields, numbers
finite and in range, strings bounded) on both sides: what one side may send is exactly what the
other accepts.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

if TYPE_CHECKING:  # at run time these load on first use (__getattr__ below)
    from smartcharge.ocpp.uk_messages import (  # noqa: F401
        TO_CENTRAL_SYSTEM,
        TO_CHARGER,
        ChargeNowMsg,
        ConnectorMsg,
        DsrEventMsg,
        DsrOptOutMsg,
        EmptyMsg,
        FactoryResetMsg,
        GetDeviceInfoMsg,
        GetUserScheduleMsg,
        Message,
        ProfileFlagsMsg,
        RandomDelayMsg,
        SetDefaultHoursMsg,
        SetUserScheduleMsg,
        SkipDelayMsg,
        UpdateAvailableMsg,
        first_error,
    )

VENDOR_ID = "org.smartcharge.uk"

# Message names, central system -> charger.
SET_DEFAULT_HOURS = "SetDefaultHours"
GET_DEFAULT_HOURS = "GetDefaultHours"
SET_USER_SCHEDULE = "SetUserSchedule"
GET_USER_SCHEDULE = "GetUserSchedule"
CHARGE_NOW = "ChargeNow"
SKIP_DELAY = "SkipDelay"
DSR_EVENT = "DsrEvent"
PROFILE_FLAGS = "ProfileFlags"
GET_CHARGING_STATE = "GetChargingState"
GET_DEVICE_INFO = "GetDeviceInfo"
FACTORY_RESET = "FactoryReset"
# Both ways: the central system relays the owner's opt-out, or the charger reports its own.
DSR_OPT_OUT = "DsrOptOut"
# Charger -> central system.
RANDOM_DELAY = "RandomDelay"
UPDATE_AVAILABLE = "UpdateAvailable"

VERSION_MAX = 50  # OCPP's firmwareVersion (CiString50)
LOCATION_MAX = 512
DATA_MAX = 65_536  # characters of `data` looked at; longer is refused unread


class UkExtensionError(ValueError):
    """A message's data does not fit its schema; the text names the field."""


# The message models (and pydantic) load on first use: see uk_messages.py.
_MODELS = frozenset(
    [
        "Message",
        "ConnectorMsg",
        "ChargeNowMsg",
        "SkipDelayMsg",
        "DsrEventMsg",
        "DsrOptOutMsg",
        "ProfileFlagsMsg",
        "EmptyMsg",
        "GetUserScheduleMsg",
        "GetDeviceInfoMsg",
        "FactoryResetMsg",
        "RandomDelayMsg",
        "UpdateAvailableMsg",
        "SetDefaultHoursMsg",
        "SetUserScheduleMsg",
        "TO_CHARGER",
        "TO_CENTRAL_SYSTEM",
        "first_error",
    ]
)


def __getattr__(name: str) -> Any:
    if name in _MODELS:
        from smartcharge.ocpp import uk_messages

        return getattr(uk_messages, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


M = TypeVar("M", bound="Message")


def parse(model: type[M], data: str | None) -> M:
    """`data` (DataTransfer's string) checked against `model`; UkExtensionError says why not."""
    if data is not None and len(data) > DATA_MAX:
        raise UkExtensionError(f"data: longer than {DATA_MAX} characters")
    try:
        raw = orjson.loads(data or "{}")
    except orjson.JSONDecodeError:
        raise UkExtensionError("data: not JSON") from None
    if not isinstance(raw, dict):
        raise UkExtensionError("data: must be a JSON object")
    from smartcharge.ocpp.uk_messages import validate

    return validate(model, raw)


def encode(data: dict[str, Any]) -> str:
    """A message's `data` string (non-finite numbers cannot be written: orjson writes null)."""
    if any(isinstance(v, float) and not math.isfinite(v) for v in data.values()):
        raise UkExtensionError("data: numbers must be finite")
    return orjson.dumps(data).decode()


def data_transfer(message_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """The DataTransfer payload of a UK-extension message."""
    return {"vendorId": VENDOR_ID, "messageId": message_id, "data": encode(data)}
