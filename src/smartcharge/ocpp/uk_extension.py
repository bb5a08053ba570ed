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
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

import orjson
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

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


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("needs a UTC offset")
    return at


Amps = Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False)]
EventId = Annotated[str, Field(min_length=1, max_length=64)]
ConnectorId = Annotated[int, Field(ge=1, le=255)]
AwareTime = Annotated[datetime, AfterValidator(_aware)]


class SetDefaultHoursMsg(Message):
    mode: Literal["default", "custom", "removed"]
    windows: list[dict[str, Any]] | None = Field(default=None, max_length=64)
    by: Literal["owner", "administrator"] = "owner"


class SetUserScheduleMsg(Message):
    windows: list[dict[str, Any]] = Field(max_length=64)  # empty: remove the schedule
    limitA: Amps | None = None
    by: Literal["owner", "administrator"] = "owner"


class ConnectorMsg(Message):
    connectorId: ConnectorId


class ChargeNowMsg(ConnectorMsg):
    by: Literal["owner", "end_user", "administrator"] = "owner"


class SkipDelayMsg(ConnectorMsg):
    session: bool = False


class DsrEventMsg(Message):
    id: EventId
    kind: Literal["response", "scheduled"]
    limitA: Amps
    start: AwareTime
    durationS: Annotated[int, Field(gt=0, le=7 * 86400)]
    alreadyRandomised: bool = False


class DsrOptOutMsg(Message):
    id: EventId


class ProfileFlagsMsg(Message):
    chargingProfileId: int
    cause: Literal["csms_profile", "tariff", "user_schedule", "load_balancing"] = "csms_profile"
    alreadyRandomised: bool = False


class EmptyMsg(Message):
    pass


class GetUserScheduleMsg(Message):
    pass


class GetDeviceInfoMsg(Message):
    pass


class FactoryResetMsg(Message):
    by: Literal["owner", "administrator"] = "owner"


class RandomDelayMsg(Message):
    connectorId: ConnectorId
    remainingS: Annotated[float, Field(ge=0, le=86_400, allow_inf_nan=False)]
    cause: Annotated[str, Field(max_length=40)] | None = None


class UpdateAvailableMsg(Message):
    version: Annotated[str, Field(min_length=1, max_length=VERSION_MAX)]
    location: (
        Annotated[str, Field(max_length=LOCATION_MAX, pattern=r"^https?://[^\s]+$")] | None
    ) = None
    checkedAt: AwareTime
    running: Annotated[str, Field(max_length=VERSION_MAX)] | None = None


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
    try:
        return model.model_validate(raw, strict=False)
    except ValidationError as exc:
        raise UkExtensionError(first_error(exc)) from None


def first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "data"
    return f"{where}: {err['msg']}"


def encode(data: dict[str, Any]) -> str:
    """A message's `data` string (non-finite numbers cannot be written: orjson writes null)."""
    if any(isinstance(v, float) and not math.isfinite(v) for v in data.values()):
        raise UkExtensionError("data: numbers must be finite")
    return orjson.dumps(data).decode()


def data_transfer(message_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """The DataTransfer payload of a UK-extension message."""
    return {"vendorId": VENDOR_ID, "messageId": message_id, "data": encode(data)}
