"""The initial schema: chargers, id tags, transactions, meter values, events, users, sites.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
        sa.UniqueConstraint("name", name=op.f("uq_sites_name")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_users_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "chargers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identity", sa.String(length=48), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("vendor", sa.String(length=20), nullable=True),
        sa.Column("model", sa.String(length=20), nullable=True),
        sa.Column("serial_number", sa.String(length=25), nullable=True),
        sa.Column("charge_box_serial_number", sa.String(length=25), nullable=True),
        sa.Column("firmware_version", sa.String(length=50), nullable=True),
        sa.Column("iccid", sa.String(length=20), nullable=True),
        sa.Column("imsi", sa.String(length=20), nullable=True),
        sa.Column("meter_type", sa.String(length=25), nullable=True),
        sa.Column("meter_serial_number", sa.String(length=25), nullable=True),
        sa.Column("booted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("connected_node", sa.String(length=64), nullable=True),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_chargers_owner_id_users")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_chargers_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chargers")),
        sa.UniqueConstraint("identity", name=op.f("uq_chargers_identity")),
    )
    with op.batch_alter_table("chargers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chargers_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_chargers_site_id"), ["site_id"], unique=False)

    op.create_table(
        "id_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_tag", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expiry_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("parent_id_tag", sa.String(length=20), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_id_tags_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_id_tags")),
        sa.UniqueConstraint("id_tag", name=op.f("uq_id_tags_id_tag")),
    )
    with op.batch_alter_table("id_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_id_tags_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "data_transfers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("charger_id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.String(length=255), nullable=False),
        sa.Column("message_id", sa.String(length=50), nullable=True),
        sa.Column("data", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["charger_id"], ["chargers.id"], name=op.f("fk_data_transfers_charger_id_chargers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_transfers")),
    )
    with op.batch_alter_table("data_transfers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_data_transfers_charger_id"), ["charger_id"], unique=False
        )

    op.create_table(
        "firmware_status_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("charger_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("signed", sa.Boolean(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["charger_id"],
            ["chargers.id"],
            name=op.f("fk_firmware_status_events_charger_id_chargers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_firmware_status_events")),
    )
    with op.batch_alter_table("firmware_status_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_firmware_status_events_charger_id"), ["charger_id"], unique=False
        )

    op.create_table(
        "log_status_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("charger_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["charger_id"], ["chargers.id"], name=op.f("fk_log_status_events_charger_id_chargers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_status_events")),
    )
    with op.batch_alter_table("log_status_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_log_status_events_charger_id"), ["charger_id"], unique=False
        )

    op.create_table(
        "meter_values",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("charger_id", sa.Integer(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("measurand", sa.String(length=40), nullable=True),
        sa.Column("phase", sa.String(length=8), nullable=True),
        sa.Column("unit", sa.String(length=16), nullable=True),
        sa.Column("context", sa.String(length=24), nullable=True),
        sa.Column("location", sa.String(length=8), nullable=True),
        sa.Column("format", sa.String(length=12), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["charger_id"], ["chargers.id"], name=op.f("fk_meter_values_charger_id_chargers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter_values")),
    )
    with op.batch_alter_table("meter_values", schema=None) as batch_op:
        batch_op.create_index(
            "ix_meter_values_charger_time", ["charger_id", "timestamp"], unique=False
        )
        batch_op.create_index("ix_meter_values_transaction", ["transaction_id"], unique=False)

    op.create_table(
        "security_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("charger_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=50), nullable=False),
        sa.Column("tech_info", sa.String(length=255), nullable=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["charger_id"], ["chargers.id"], name=op.f("fk_security_events_charger_id_chargers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_events")),
    )
    with op.batch_alter_table("security_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_security_events_charger_received", ["charger_id", "received_at"], unique=False
        )

    op.create_table(
        "status_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("charger_id", sa.Integer(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error_code", sa.String(length=24), nullable=False),
        sa.Column("info", sa.String(length=50), nullable=True),
        sa.Column("vendor_id", sa.String(length=255), nullable=True),
        sa.Column("vendor_error_code", sa.String(length=50), nullable=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["charger_id"], ["chargers.id"], name=op.f("fk_status_events_charger_id_chargers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_events")),
    )
    with op.batch_alter_table("status_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_status_events_charger_received", ["charger_id", "received_at"], unique=False
        )

    op.create_table(
        "transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("charger_id", sa.Integer(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=True),
        sa.Column("id_tag", sa.String(length=20), nullable=True),
        sa.Column("id_tag_status", sa.String(length=16), nullable=True),
        sa.Column("reservation_id", sa.Integer(), nullable=True),
        sa.Column("meter_start", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("meter_stop", sa.Integer(), nullable=True),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stop_reason", sa.String(length=20), nullable=True),
        sa.Column("stop_id_tag", sa.String(length=20), nullable=True),
        sa.Column("unknown_transaction", sa.Boolean(), nullable=False),
        sa.Column("reported_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["charger_id"], ["chargers.id"], name=op.f("fk_transactions_charger_id_chargers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transactions")),
        sa.UniqueConstraint(
            "charger_id",
            "connector_id",
            "id_tag",
            "meter_start",
            "started_at",
            name="uq_transactions_start",
        ),
    )
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_transactions_charger_started", ["charger_id", "started_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_transactions_charger_started")

    op.drop_table("transactions")
    with op.batch_alter_table("status_events", schema=None) as batch_op:
        batch_op.drop_index("ix_status_events_charger_received")

    op.drop_table("status_events")
    with op.batch_alter_table("security_events", schema=None) as batch_op:
        batch_op.drop_index("ix_security_events_charger_received")

    op.drop_table("security_events")
    with op.batch_alter_table("meter_values", schema=None) as batch_op:
        batch_op.drop_index("ix_meter_values_transaction")
        batch_op.drop_index("ix_meter_values_charger_time")

    op.drop_table("meter_values")
    with op.batch_alter_table("log_status_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_log_status_events_charger_id"))

    op.drop_table("log_status_events")
    with op.batch_alter_table("firmware_status_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_firmware_status_events_charger_id"))

    op.drop_table("firmware_status_events")
    with op.batch_alter_table("data_transfers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_transfers_charger_id"))

    op.drop_table("data_transfers")
    with op.batch_alter_table("id_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_id_tags_owner_id"))

    op.drop_table("id_tags")
    with op.batch_alter_table("chargers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chargers_site_id"))
        batch_op.drop_index(batch_op.f("ix_chargers_owner_id"))

    op.drop_table("chargers")
    op.drop_table("users")
    op.drop_table("sites")
