"""The schema of each UK-extension message's `data` (uk_extension.py), as pydantic models.

A module of its own so that a charger loads pydantic (about 8 MB resident, issue 12) only when it
first receives a UK-extension message, not at start: `smartcharge.ocpp.uk_extension` gives these
names on first use. The platform and the compliance suite use them as before.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from smartcharge.ocpp.uk_extension import (
    CHARGE_NOW,
    DSR_EVENT,
    DSR_OPT_OUT,
    FACTORY_RESET,
    GET_CHARGING_STATE,
    GET_DEFAULT_HOURS,
    GET_DEVICE_INFO,
    GET_USER_SCHEDULE,
    LOCATION_MAX,
    PROFILE_FLAGS,
    RANDOM_DELAY,
    SET_DEFAULT_HOURS,
    SET_USER_SCHEDULE,
    SKIP_DELAY,
    UPDATE_AVAILABLE,
    VERSION_MAX,
    UkExtensionError,
)


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


def validate(model: type[M], raw: dict[str, Any]) -> M:
    """`raw` (the parsed `data`) checked against `model`; UkExtensionError names the field."""
    try:
        return model.model_validate(raw, strict=False)
    except ValidationError as exc:
        raise UkExtensionError(first_error(exc)) from None


def first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "data"
    return f"{where}: {err['msg']}"
