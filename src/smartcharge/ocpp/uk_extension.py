"""The UK extension of OCPP 1.6, defined once for the charger, the platform and the compliance
suite: DataTransfer with vendorId `org.smartcharge.uk`, its message names and the schema of
each message's `data` (docs/ocpp-extensions.md).

`data` is a JSON object in a string. `parse(message_id, data)` checks it against the message's
model and returns the model, or raises `UkExtensionError` naming the field (what the receiver
answers `Rejected` with, changing nothing). The models are strict (no extra fields, numbers
finite and in range, strings bounded) on both sides: what one side may send is exactly what the
other accepts. The messages are frozen dataclasses whose fields carry their checks
(uk_check.py: a plain message is taken as it is; anything else goes to pydantic models built from
the same declarations, uk_pydantic.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeVar

import orjson

from smartcharge.ocpp.uk_check import (
    Choice,
    Flag,
    Message,
    Num,
    Records,
    Text,
    Time,
    UkExtensionError,
    check,
    spec,
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


OwnerOrAdmin = Literal["owner", "administrator"]
AMPS = Num(float, ge=0, le=1000, finite=True)
EVENT_ID = Text(min_length=1, max_length=64)
CONNECTOR_ID = Num(int, ge=1, le=255)
BY = spec(Choice.of(OwnerOrAdmin))

# Each message's keys, in the order they are checked (the first problem is the one named). A
# key with a default may be left out.


@dataclass(frozen=True, kw_only=True)
class SetDefaultHoursMsg(Message):
    Mode = Literal["default", "custom", "removed"]
    mode: Mode = field(metadata=spec(Choice.of(Mode)))
    windows: list[dict[str, Any]] | None = field(
        default=None, metadata=spec(Records(64), nullable=True)
    )
    by: OwnerOrAdmin = field(default="owner", metadata=BY)


@dataclass(frozen=True, kw_only=True)
class SetUserScheduleMsg(Message):
    windows: list[dict[str, Any]] = field(metadata=spec(Records(64)))  # empty: remove it
    limitA: float | None = field(default=None, metadata=spec(AMPS, nullable=True))
    by: OwnerOrAdmin = field(default="owner", metadata=BY)


@dataclass(frozen=True, kw_only=True)
class ConnectorMsg(Message):
    connectorId: int = field(metadata=spec(CONNECTOR_ID))


@dataclass(frozen=True, kw_only=True)
class ChargeNowMsg(ConnectorMsg):
    By = Literal["owner", "end_user", "administrator"]
    by: By = field(default="owner", metadata=spec(Choice.of(By)))


@dataclass(frozen=True, kw_only=True)
class SkipDelayMsg(ConnectorMsg):
    session: bool = field(default=False, metadata=spec(Flag()))


@dataclass(frozen=True, kw_only=True)
class DsrEventMsg(Message):
    Kind = Literal["response", "scheduled"]
    id: str = field(metadata=spec(EVENT_ID))
    kind: Kind = field(metadata=spec(Choice.of(Kind)))
    limitA: float = field(metadata=spec(AMPS))
    start: datetime = field(metadata=spec(Time()))
    durationS: int = field(metadata=spec(Num(int, gt=0, le=7 * 86400)))
    alreadyRandomised: bool = field(default=False, metadata=spec(Flag()))


@dataclass(frozen=True, kw_only=True)
class DsrOptOutMsg(Message):
    id: str = field(metadata=spec(EVENT_ID))


@dataclass(frozen=True, kw_only=True)
class ProfileFlagsMsg(Message):
    Cause = Literal["csms_profile", "tariff", "user_schedule", "load_balancing"]
    chargingProfileId: int = field(metadata=spec(Num(int)))
    cause: Cause = field(default="csms_profile", metadata=spec(Choice.of(Cause)))
    alreadyRandomised: bool = field(default=False, metadata=spec(Flag()))


@dataclass(frozen=True, kw_only=True)
class EmptyMsg(Message):
    pass


@dataclass(frozen=True, kw_only=True)
class GetUserScheduleMsg(Message):
    pass


@dataclass(frozen=True, kw_only=True)
class GetDeviceInfoMsg(Message):
    pass


@dataclass(frozen=True, kw_only=True)
class FactoryResetMsg(Message):
    by: OwnerOrAdmin = field(default="owner", metadata=BY)


@dataclass(frozen=True, kw_only=True)
class RandomDelayMsg(Message):
    connectorId: int = field(metadata=spec(CONNECTOR_ID))
    remainingS: float = field(metadata=spec(Num(float, ge=0, le=86_400, finite=True)))
    cause: str | None = field(default=None, metadata=spec(Text(max_length=40), nullable=True))


@dataclass(frozen=True, kw_only=True)
class UpdateAvailableMsg(Message):
    version: str = field(metadata=spec(Text(min_length=1, max_length=VERSION_MAX)))
    location: str | None = field(
        default=None,
        metadata=spec(Text(max_length=LOCATION_MAX, pattern=r"^https?://[^\s]+$"), nullable=True),
    )
    checkedAt: datetime = field(metadata=spec(Time()))
    running: str | None = field(
        default=None, metadata=spec(Text(max_length=VERSION_MAX), nullable=True)
    )


TO_CHARGER: dict[str, type[Message]] = {
    GET_DEFAULT_HOURS: EmptyMsg,
    SET_DEFAULT_HOURS: SetDefaultHoursMsg,
    GET_USER_SCHEDULE: GetUserScheduleMsg,
    SET_USER_SCHEDULE: SetUserScheduleMsg,
    CHARGE_NOW: ChargeNowMsg,
    SKIP_DELAY: SkipDelayMsg,
    DSR_EVENT: DsrEventMsg,
    DSR_OPT_OUT: DsrOptOutMsg,
    PROFILE_FLAGS: ProfileFlagsMsg,
    GET_CHARGING_STATE: EmptyMsg,
    GET_DEVICE_INFO: GetDeviceInfoMsg,
    FACTORY_RESET: FactoryResetMsg,
}
"""What a charger accepts, by message name."""

TO_CENTRAL_SYSTEM: dict[str, type[Message]] = {
    RANDOM_DELAY: RandomDelayMsg,
    UPDATE_AVAILABLE: UpdateAvailableMsg,
    DSR_OPT_OUT: DsrOptOutMsg,
}
"""What a central system accepts from a charger, by message name."""


M = TypeVar("M", bound=Message)


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
    return check(model, raw)


def encode(data: dict[str, Any]) -> str:
    """A message's `data` string (non-finite numbers cannot be written: orjson writes null)."""
    if any(isinstance(v, float) and not math.isfinite(v) for v in data.values()):
        raise UkExtensionError("data: numbers must be finite")
    return orjson.dumps(data).decode()


def data_transfer(message_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """The DataTransfer payload of a UK-extension message."""
    return {"vendorId": VENDOR_ID, "messageId": message_id, "data": encode(data)}
