"""The REST API's request and response bodies (they are its OpenAPI schemas)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

# Text that goes into the database has no control characters (PostgreSQL refuses NUL).
Email = Annotated[
    str, Field(min_length=3, max_length=254, pattern=r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+$")
]
PLAIN = r"^[^\x00-\x1f\x7f]+$"
MAX_ID = 2**31 - 1  # ids are 32-bit integer columns on PostgreSQL
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
EventId = Annotated[str, Path(min_length=1, max_length=36, pattern=r"^[0-9A-Za-z-]+$")]
GroupName = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[\w .-]+$")]
Role = Literal["owner", "workplace_admin", "workplace_user", "operator", "aggregator"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    detail: str
    outcome: str | None = None


# --- accounts ----------------------------------------------------------------------------------


class LoginRequest(Strict):
    email: Email
    password: str = Field(min_length=1, max_length=200)


class UserOut(BaseModel):
    id: int
    email: str
    role: Role
    site: str | None


class NewUserRequest(Strict):
    email: Email
    role: Role
    site: str | None = Field(default=None, min_length=1, max_length=100, pattern=PLAIN)


class NewUserOut(BaseModel):
    user: UserOut
    password: str = Field(description="Shown once, stored nowhere (only its argon2 hash).")


class PasswordChange(Strict):
    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=12, max_length=200)


class NewTokenRequest(Strict):
    name: str = Field(min_length=1, max_length=100, pattern=PLAIN)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class TokenOut(BaseModel):
    id: int
    name: str | None
    created_at: datetime
    expires_at: datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="Shown once: send it as `Authorization: Bearer <token>`.")


# --- chargers ----------------------------------------------------------------------------------


class ChargerOut(BaseModel):
    identity: str
    owner: str | None
    site: str | None
    vendor: str | None
    model: str | None
    serial_number: str | None
    firmware_version: str | None
    connected: bool
    connected_node: str | None
    last_seen_at: datetime | None
    booted_at: datetime | None
    created_at: datetime


class NewChargerRequest(Strict):
    identity: str = Field(min_length=1, max_length=48, pattern=r"^[A-Za-z0-9._~-]+$")
    owner: Email | None = None
    site: str | None = Field(default=None, min_length=1, max_length=100, pattern=PLAIN)


class NewChargerOut(BaseModel):
    identity: str
    password: str = Field(description="The charger's basic-auth password: shown once.")


class ConnectorStatus(BaseModel):
    connector_id: int
    status: str
    error_code: str
    info: str | None
    timestamp: datetime | None
    received_at: datetime


class LiveStatus(BaseModel):
    identity: str
    connected: bool
    connected_node: str | None
    last_seen_at: datetime | None
    connectors: list[ConnectorStatus]
    running_sessions: list[SessionOut]


class CommandRecordOut(BaseModel):
    action: str
    message_id: str | None
    outcome: str
    status: str | None
    requested_at: datetime
    answered_at: datetime | None
    by: str | None


# --- sessions and reports ----------------------------------------------------------------------


class SessionOut(BaseModel):
    id: int
    charger: str
    connector_id: int | None
    id_tag: str | None
    started_at: datetime | None
    stopped_at: datetime | None
    stop_reason: str | None
    meter_start: int | None
    meter_stop: int | None
    energy_wh: float
    running: bool
    unknown_transaction: bool


class MeterValueOut(BaseModel):
    timestamp: datetime
    measurand: str | None
    phase: str | None
    unit: str | None
    value: str
    context: str | None


class SessionDetail(SessionOut):
    meter_values: list[MeterValueOut]


class BucketOut(BaseModel):
    start: str = Field(description="First UK calendar day of the bucket (YYYY-MM-DD)")
    end: str = Field(description="The day after its last (exclusive)")
    sessions: int
    energy_wh: float


class EnergyReport(BaseModel):
    period: Literal["day", "week", "month", "custom"]
    since: str
    until: str
    charger: str | None
    sessions: int
    energy_wh: float
    buckets: list[BucketOut]


# --- schedules, overrides, firmware, security --------------------------------------------------


class Window(Strict):
    weekday: int = Field(ge=0, le=6, description="Monday = 0")
    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")


class DefaultHoursRequest(Strict):
    mode: Literal["default", "custom", "removed"]
    windows: list[Window] = Field(default_factory=list, max_length=100)


class UserScheduleRequest(Strict):
    windows: list[Window] = Field(max_length=100, description="Empty: remove the plan")
    limit_a: float | None = Field(default=None, ge=0, le=1000)


class ConnectorRequest(Strict):
    connector_id: int = Field(ge=1, le=100)


class SkipDelayRequest(ConnectorRequest):
    session: bool = False


class ExtensionAnswer(BaseModel):
    status: str | None
    data: Any = None


class DepartureRequest(Strict):
    at: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="ready by, UK clock time")
    days: list[int] = Field(
        default_factory=list, max_length=7, description="weekdays it repeats on (Monday = 0)"
    )
    on: date | None = Field(default=None, description="the date of a one-off departure")
    power_kw: float = Field(ge=1, le=50, description="what the car takes")
    energy_kwh: float | None = Field(default=None, gt=0, le=200, description="energy to add")
    target_soc: int | None = Field(default=None, ge=1, le=100, description="or the % to reach")
    battery_kwh: float | None = Field(default=None, ge=5, le=200, description="with the battery")
    override_hours: bool = Field(default=False, description="plan outside the default hours")
    connector_id: int = Field(default=1, ge=1, le=10)


class DepartureOut(BaseModel):
    connector_id: int
    departure: dict[str, Any]
    set_at: datetime
    promise: str | None = None


class FirmwareRequest(Strict):
    location: str = Field(min_length=1, max_length=512)
    retrieve_date: AwareDatetime
    install_date: AwareDatetime | None = None
    signing_certificate: str = Field(min_length=1, max_length=5500)
    signature: str = Field(min_length=1, max_length=800)
    retries: int | None = Field(default=None, ge=0, le=100)
    retry_interval: int | None = Field(default=None, ge=0, le=86400)


class FirmwareEventOut(BaseModel):
    status: str
    signed: bool
    request_id: int | None
    received_at: datetime


class UpdateFoundOut(BaseModel):
    """What the charger's own update check last reported (UpdateAvailable, R30)."""

    version: str
    location: str | None
    checked_at: datetime
    running: str | None
    received_at: datetime | None


class FirmwareOut(BaseModel):
    identity: str
    firmware_version: str | None
    events: list[FirmwareEventOut]
    charger_found: UpdateFoundOut | None = None


class SecurityEventOut(BaseModel):
    type: str
    tech_info: str | None
    timestamp: datetime
    received_at: datetime


class IncidentRequest(Strict):
    note: str = Field(min_length=1, max_length=200, pattern=PLAIN)
    happened_at: AwareDatetime | None = None


# --- DSR and fleet -----------------------------------------------------------------------------


class DsrEventRequest(Strict):
    chargers: list[str] | None = Field(default=None, min_length=1, max_length=100_000)
    group: str | None = Field(default=None, min_length=1, max_length=100)
    kind: Literal["response", "scheduled"]
    limit_a: float = Field(ge=0, le=1000, description="Current limit per phase, A")
    start: AwareDatetime = Field(description="With its UTC offset")
    duration_s: int = Field(ge=1, le=604800)


class DeliveryOut(BaseModel):
    charger: str
    status: Literal["pending", "accepted", "rejected", "offline", "timeout", "error"]
    detail: str | None
    answered_at: datetime | None
    opted_out_at: datetime | None


class DsrEventOut(BaseModel):
    id: str
    kind: str
    limit_a: float
    start: datetime
    duration_s: int
    created_at: datetime
    acknowledged: int
    opted_out: int
    deliveries: list[DeliveryOut]


class ChargerDsrOut(BaseModel):
    id: str
    kind: str
    limit_a: float
    start: datetime
    duration_s: int
    status: str
    answered_at: datetime | None
    opted_out_at: datetime | None


class GroupRequest(Strict):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[\w .-]+$")
    aggregator: Email | None = None


class GroupOut(BaseModel):
    name: str
    aggregator: str | None
    chargers: list[str]


class FleetProfileRequest(Strict):
    chargers: list[str] | None = Field(default=None, min_length=1, max_length=100_000)
    group: str | None = Field(default=None, min_length=1, max_length=100)
    connector_id: int = Field(default=0, ge=0, le=100)
    cause: Literal["tariff", "csms_profile"]
    spread_s: int = Field(ge=0, le=1800, description="Start times spread over [0, spread_s]")
    charging_profile: dict[str, Any] = Field(
        description="An OCPP 1.6 csChargingProfiles object; its startSchedule is set per charger"
    )


class FleetResult(BaseModel):
    charger: str
    offset_s: float
    outcome: str
    status: str | None
    detail: str | None


LiveStatus.model_rebuild()
