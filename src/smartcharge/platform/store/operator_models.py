"""Tables of the operator's work (migration 0008): each charger's local authorisation list as
last sent, the charger certificates the platform's CA signed. Beside them, `id_tags.name` (a
card's name for its owner) and `chargers.security_profile` (the profile a charger is held to)
are on their tables in `models`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smartcharge.platform.store.models import Base


class LocalList(Base):
    """What the platform last put on a charger's local authorisation list (SendLocalList):
    the list version the charger confirmed and the entries as sent, so the next change goes out
    as a differential update. `clear_cache` marks a charger whose authorisation cache may hold a
    card since blocked or removed: it gets ClearCache when it is next reachable."""

    __tablename__ = "local_lists"
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id"), primary_key=True)
    version: Mapped[int] = mapped_column(default=0)  # 0: nothing sent yet
    entries: Mapped[str] = mapped_column(Text, default="{}")  # JSON {idTag: idTagInfo}
    clear_cache: Mapped[bool] = mapped_column(Boolean, default=False)
    synced_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(100))  # the last attempt's, for people


class ChargerCertificate(Base):
    """A charge point certificate the platform's CA signed after a SignCertificate; the newest
    per charger is the one in use, and its expiry is watched (renewal ahead of it)."""

    __tablename__ = "charger_certificates"
    __table_args__ = (Index("ix_charger_certificates_not_after", "not_after"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id"), index=True)
    serial: Mapped[str] = mapped_column(String(40), unique=True)  # hexadecimal
    subject: Mapped[str] = mapped_column(String(255))
    not_before: Mapped[datetime]
    not_after: Mapped[datetime]
    pem: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime]
    delivered: Mapped[str | None] = mapped_column(String(40))  # the CertificateSigned answer
    renewal_requested_at: Mapped[datetime | None]


class SiteSupply(Base):
    """A site's supply for load management (0009): limit and other load per phase (A), and the
    fallback share each of its chargers holds for when the platform is unreachable."""

    __tablename__ = "site_supplies"
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    limit_l1_a: Mapped[float] = mapped_column(Float)
    limit_l2_a: Mapped[float] = mapped_column(Float)
    limit_l3_a: Mapped[float] = mapped_column(Float)
    other_l1_a: Mapped[float] = mapped_column(Float)
    other_l2_a: Mapped[float] = mapped_column(Float)
    other_l3_a: Mapped[float] = mapped_column(Float)
    fallback_a: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime]
    # Which node balances the site, until when (0011): a lease it renews every round, so one
    # node at a time does and another takes over when it dies. `balancer_held`: JSON
    # {identity: A}, at least what each charger may be drawing on the holder's word.
    balancer_node: Mapped[str | None] = mapped_column(String(64))
    balancer_until: Mapped[datetime | None]
    balancer_held: Mapped[str | None] = mapped_column(Text)


class SiteMeter(Base):
    """A site's own meter (0012), read by the platform over Modbus TCP: where it is and which
    register map it speaks (the charger's meter models)."""

    __tablename__ = "site_meters"
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    host: Mapped[str] = mapped_column(String(253))
    port: Mapped[int]
    unit: Mapped[int]
    model: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime]


class ChargerLoad(Base):
    """A charger's place on its site's supply (0011): the site phases it draws on ("1", "2",
    "3" or "123"), its priority (higher is served first) and its maximum per phase (A). A
    charger without a row draws on all three phases at priority 0 up to `DEFAULT_MAX_A`."""

    __tablename__ = "charger_loads"
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id"), primary_key=True)
    phases: Mapped[str] = mapped_column(String(3))
    priority: Mapped[int]
    max_a: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime]
