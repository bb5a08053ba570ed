"""The owner web app: each charger's tariff and charging plan, published firmware releases.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_tariffs",
        sa.Column("charger_id", sa.Integer(), sa.ForeignKey("chargers.id"), primary_key=True),
        sa.Column("base_p", sa.Float(), nullable=False),
        sa.Column("bands", sa.Text(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "web_plans",
        sa.Column("charger_id", sa.Integer(), sa.ForeignKey("chargers.id"), primary_key=True),
        sa.Column("ready_by", sa.String(5), nullable=False),
        sa.Column("energy_kwh", sa.Float(), nullable=False),
        sa.Column("power_kw", sa.Float(), nullable=False),
        sa.Column("weekdays", sa.String(7), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "web_firmware_releases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("model", sa.String(20), nullable=True),
        sa.Column("version", sa.String(50), nullable=False),
        sa.Column("location", sa.String(512), nullable=False),
        sa.Column("signing_certificate", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(800), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("web_firmware_releases")
    op.drop_table("web_plans")
    op.drop_table("web_tariffs")
