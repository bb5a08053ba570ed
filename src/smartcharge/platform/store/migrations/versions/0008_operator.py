"""The operator's work: cards' names, each charger's local list as sent and cache to clear, the
charger certificates the platform signed, each charger's security profile.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("id_tags", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=50)))
    with op.batch_alter_table("chargers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("security_profile", sa.Integer()))
    op.create_table(
        "local_lists",
        sa.Column(
            "charger_id",
            sa.Integer(),
            sa.ForeignKey("chargers.id", name="fk_local_lists_charger_id_chargers"),
            primary_key=True,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("entries", sa.Text(), nullable=False),
        sa.Column("clear_cache", sa.Boolean(), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True)),
        sa.Column("outcome", sa.String(length=100)),
    )
    op.create_table(
        "charger_certificates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "charger_id",
            sa.Integer(),
            sa.ForeignKey("chargers.id", name="fk_charger_certificates_charger_id_chargers"),
            nullable=False,
        ),
        sa.Column("serial", sa.String(length=40), nullable=False, unique=True),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pem", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered", sa.String(length=40)),
        sa.Column("renewal_requested_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_charger_certificates_charger_id", "charger_certificates", ["charger_id"])
    op.create_index("ix_charger_certificates_not_after", "charger_certificates", ["not_after"])


def downgrade() -> None:
    op.drop_table("charger_certificates")
    op.drop_table("local_lists")
    with op.batch_alter_table("chargers", schema=None) as batch_op:
        batch_op.drop_column("security_profile")
    with op.batch_alter_table("id_tags", schema=None) as batch_op:
        batch_op.drop_column("name")
