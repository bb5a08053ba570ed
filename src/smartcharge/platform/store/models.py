"""The platform's tables (SQLAlchemy 2 declarative models).

Rows are written with Core statements against these tables (see the repositories); the models
are the one description of the schema, for the code and for the Alembic migrations. Every time
is UTC (`UtcDateTime`).

Growth paths kept open: `chargers.connected_node` says which platform node holds a charger's
websocket (several nodes share PostgreSQL); `users`, `sites` and the owner/site columns carry the
REST API's roles; `meter_values` is append-only and keyed for partitioning by time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from smartcharge.platform.store.types import BigId, UtcDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = ("owner", "workplace_admin", "workplace_user", "operator", "aggregator")
"""Who a user is: an owner sees their own chargers, a workplace administrator a site's, a
workplace user charges at a site, an operator sees everything, an aggregator sends DSR events to
the chargers of its groups (and sees nothing else)."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime(), int: Integer()}


class Site(Base):
    """A workplace (or any group of chargers managed together)."""

    __tablename__ = "sites"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime]


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str | None] = mapped_column(String(255))  # None: cannot log in yet
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    created_at: Mapped[datetime]


class Charger(Base):
    __tablename__ = "chargers"
    id: Mapped[int] = mapped_column(primary_key=True)
    identity: Mapped[str] = mapped_column(String(48), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))  # argon2; None: certs only
    password_changed_at: Mapped[datetime | None]
    # A rotation in progress: the new password's hash, valid beside the old one until the
    # charger connects with it (then it replaces `password_hash`); see registry.rotate_password.
    pending_password_hash: Mapped[str | None] = mapped_column(String(255))
    pending_password_accepted_at: Mapped[datetime | None]  # None: the charger has not said yes
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    # From the last BootNotification.
    vendor: Mapped[str | None] = mapped_column(String(20))
    model: Mapped[str | None] = mapped_column(String(20))
    serial_number: Mapped[str | None] = mapped_column(String(25))
    charge_box_serial_number: Mapped[str | None] = mapped_column(String(25))
    firmware_version: Mapped[str | None] = mapped_column(String(50))
    iccid: Mapped[str | None] = mapped_column(String(20))
    imsi: Mapped[str | None] = mapped_column(String(20))
    meter_type: Mapped[str | None] = mapped_column(String(25))
    meter_serial_number: Mapped[str | None] = mapped_column(String(25))
    booted_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]
    connected_node: Mapped[str | None] = mapped_column(String(64))  # None: not connected
    connected_at: Mapped[datetime | None]
    # The security profile the charger is held to (0008): raised, never lowered; None until its
    # first connection records it.
    security_profile: Mapped[int | None]
    created_at: Mapped[datetime]


class IdTag(Base):
    __tablename__ = "id_tags"
    id: Mapped[int] = mapped_column(primary_key=True)
    id_tag: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(16))  # OCPP AuthorizationStatus
    expiry_date: Mapped[datetime | None]
    parent_id_tag: Mapped[str | None] = mapped_column(String(20))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(50))  # the owner's name for the card (0008)
    created_at: Mapped[datetime]


class Transaction(Base):
    """A charging session. The id is the OCPP transactionId, unique across the platform.

    A StartTransaction sent again (same charger, connector, idTag, meterStart and timestamp)
    finds its row through `uq_transactions_start` and gets the same id. A StopTransaction for an
    id we never gave out becomes a row of its own with `unknown_transaction` set and the id the
    charger used in `reported_id`: accepted, flagged, never lost.
    """

    __tablename__ = "transactions"
    __table_args__ = (
        UniqueConstraint(
            "charger_id",
            "connector_id",
            "id_tag",
            "meter_start",
            "started_at",
            name="uq_transactions_start",
        ),
        Index("ix_transactions_charger_started", "charger_id", "started_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id"))
    connector_id: Mapped[int | None]
    id_tag: Mapped[str | None] = mapped_column(String(20))
    id_tag_status: Mapped[str | None] = mapped_column(String(16))  # our answer at the start
    reservation_id: Mapped[int | None]
    meter_start: Mapped[int | None]  # Wh
    started_at: Mapped[datetime | None]
    meter_stop: Mapped[int | None]  # Wh
    stopped_at: Mapped[datetime | None]
    stop_reason: Mapped[str | None] = mapped_column(String(20))
    stop_id_tag: Mapped[str | None] = mapped_column(String(20))
    unknown_transaction: Mapped[bool] = mapped_column(Boolean, default=False)
    reported_id: Mapped[int | None]  # the charger's transactionId when it was unknown to us
    created_at: Mapped[datetime]


class MeterValue(Base):
    """One sampled value, as the charger sent it (appended in batches, never updated)."""

    __tablename__ = "meter_values"
    __table_args__ = (
        Index("ix_meter_values_charger_time", "charger_id", "timestamp"),
        Index("ix_meter_values_transaction", "transaction_id"),
        # A resend (lost answer, kill -9 before the answer) is recognised: store.meter_values.
        Index("ux_meter_values_sample", "charger_id", "sample_key", unique=True),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id"))
    connector_id: Mapped[int]
    # The charger's transactionId as sent: no foreign key, so values of an unknown transaction
    # are kept too.
    transaction_id: Mapped[int | None] = mapped_column(BigInteger)
    timestamp: Mapped[datetime]
    value: Mapped[str] = mapped_column(Text)
    measurand: Mapped[str | None] = mapped_column(String(40))
    phase: Mapped[str | None] = mapped_column(String(8))
    unit: Mapped[str | None] = mapped_column(String(16))
    context: Mapped[str | None] = mapped_column(String(24))
    location: Mapped[str | None] = mapped_column(String(8))
    format: Mapped[str | None] = mapped_column(String(12))
    received_at: Mapped[datetime]
    # Which sample this is (connector, transaction, time, measurand, phase, location, context,
    # value), hashed to 64 bits; null on rows stored before migration 0007.
    sample_key: Mapped[int | None] = mapped_column(BigInteger)


class StatusEvent(Base):
    __tablename__ = "status_events"
    __table_args__ = (Index("ix_status_events_charger_received", "charger_id", "received_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id"))
    connector_id: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str] = mapped_column(String(24))
    info: Mapped[str | None] = mapped_column(String(50))
    vendor_id: Mapped[str | None] = mapped_column(String(255))
    vendor_error_code: Mapped[str | None] = mapped_column(String(50))
    timestamp: Mapped[datetime | None]  # the charger's, when it sent one
    received_at: Mapped[datetime]


class SecurityEvent(Base):
    __tablename__ = "security_events"
    __table_args__ = (Index("ix_security_events_charger_received", "charger_id", "received_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id"))
    type: Mapped[str] = mapped_column(String(50))
    tech_info: Mapped[str | None] = mapped_column(String(255))
    timestamp: Mapped[datetime]
    received_at: Mapped[datetime]


class FirmwareStatusEvent(Base):
    """FirmwareStatusNotification (`signed` False) and SignedFirmwareStatusNotification."""

    __tablename__ = "firmware_status_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    signed: Mapped[bool] = mapped_column(Boolean)
    request_id: Mapped[int | None]
    received_at: Mapped[datetime]


class LogStatusEvent(Base):
    """DiagnosticsStatusNotification (`kind` "diagnostics") and LogStatusNotification ("log")."""

    __tablename__ = "log_status_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(32))
    request_id: Mapped[int | None]
    received_at: Mapped[datetime]


class DataTransferEvent(Base):
    __tablename__ = "data_transfers"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id"), index=True)
    vendor_id: Mapped[str] = mapped_column(String(255))
    message_id: Mapped[str | None] = mapped_column(String(50))
    data: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]


# --- 0002: REST API, DSR intake, command audit -------------------------------------------------


class ApiToken(Base):
    """A web-app session (cookie) or an integration's bearer token. Only the SHA-256 of the token
    is kept: tokens are 256 random bits, so a fast hash is enough (argon2 is for passwords)."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "session" or "bearer"
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class ChargerGroup(Base):
    """Chargers addressed together: by a DSR aggregator (its `aggregator_id`) or the operator."""

    __tablename__ = "charger_groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    aggregator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]


class ChargerGroupMember(Base):
    __tablename__ = "charger_group_members"
    group_id: Mapped[int] = mapped_column(ForeignKey("charger_groups.id"), primary_key=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id"), primary_key=True)


class DsrEvent(Base):
    """A DSR event an aggregator posted (R4); `id` is the one the chargers get."""

    __tablename__ = "dsr_events"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    aggregator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("charger_groups.id"))
    kind: Mapped[str] = mapped_column(String(16))  # "response" or "scheduled"
    limit_a: Mapped[float] = mapped_column(Float)
    start: Mapped[datetime]
    duration_s: Mapped[int]
    created_at: Mapped[datetime]


class DsrDelivery(Base):
    """One charger's part in a DSR event: sent, acknowledged or not, opted out or not."""

    __tablename__ = "dsr_deliveries"
    __table_args__ = (UniqueConstraint("event_id", "charger_id", name="uq_dsr_deliveries_target"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("dsr_events.id"), index=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id"), index=True)
    # pending, accepted, rejected, offline, timeout, error
    status: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(String(255))
    answered_at: Mapped[datetime | None]
    opted_out_at: Mapped[datetime | None]


class CommandRecord(Base):
    """Every command sent to a charger through the API: who, what, when, and how it ended.
    Payloads are not kept (they can carry an AuthorizationKey or a local list)."""

    __tablename__ = "command_log"
    __table_args__ = (Index("ix_command_log_charger_requested", "charger_id", "requested_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    message_id: Mapped[str | None] = mapped_column(String(50))  # DataTransfer's messageId
    outcome: Mapped[str] = mapped_column(String(16))  # answered, offline, timeout, call_error...
    status: Mapped[str | None] = mapped_column(String(40))  # the answer's `status`, if any
    requested_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
