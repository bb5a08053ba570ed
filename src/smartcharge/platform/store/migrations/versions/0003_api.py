"""REST API, DSR intake and command audit: api_tokens, charger groups, DSR events and their
deliveries, command_log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "charger_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("aggregator_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["aggregator_id"], ["users.id"], name=op.f("fk_charger_groups_aggregator_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charger_groups")),
        sa.UniqueConstraint("name", name=op.f("uq_charger_groups_name")),
    )
    with op.batch_alter_table("charger_groups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_charger_groups_aggregator_id"), ["aggregator_id"], unique=False
        )

    op.create_table(
        "charger_group_members",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("charger_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["charger_id"],
            ["chargers.id"],
            name=op.f("fk_charger_group_members_charger_id_chargers"),
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["charger_groups.id"],
            name=op.f("fk_charger_group_members_group_id_charger_groups"),
        ),
        sa.PrimaryKeyConstraint("group_id", "charger_id", name=op.f("pk_charger_group_members")),
    )

    op.create_table(
        "dsr_events",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("aggregator_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("limit_a", sa.Float(), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["aggregator_id"], ["users.id"], name=op.f("fk_dsr_events_aggregator_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["charger_groups.id"], name=op.f("fk_dsr_events_group_id_charger_groups")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dsr_events")),
    )
    with op.batch_alter_table("dsr_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dsr_events_aggregator_id"), ["aggregator_id"], unique=False
        )

    op.create_table(
        "dsr_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("charger_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=255), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["charger_id"], ["chargers.id"], name=op.f("fk_dsr_deliveries_charger_id_chargers")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["dsr_events.id"], name=op.f("fk_dsr_deliveries_event_id_dsr_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dsr_deliveries")),
        sa.UniqueConstraint("event_id", "charger_id", name="uq_dsr_deliveries_target"),
    )
    with op.batch_alter_table("dsr_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dsr_deliveries_charger_id"), ["charger_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_dsr_deliveries_event_id"), ["event_id"], unique=False)

    op.create_table(
        "command_log",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("charger_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("message_id", sa.String(length=50), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["charger_id"], ["chargers.id"], name=op.f("fk_command_log_charger_id_chargers")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_command_log_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_command_log")),
    )
    with op.batch_alter_table("command_log", schema=None) as batch_op:
        batch_op.create_index(
            "ix_command_log_charger_requested", ["charger_id", "requested_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("command_log", schema=None) as batch_op:
        batch_op.drop_index("ix_command_log_charger_requested")
    op.drop_table("command_log")
    with op.batch_alter_table("dsr_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dsr_deliveries_event_id"))
        batch_op.drop_index(batch_op.f("ix_dsr_deliveries_charger_id"))
    op.drop_table("dsr_deliveries")
    with op.batch_alter_table("dsr_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dsr_events_aggregator_id"))
    op.drop_table("dsr_events")
    op.drop_table("charger_group_members")
    with op.batch_alter_table("charger_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_charger_groups_aggregator_id"))
    op.drop_table("charger_groups")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))
    op.drop_table("api_tokens")
