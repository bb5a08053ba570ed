"""Departure plans (the owner's departure and the last plan made) and tariff feeds (Octopus
Agile by product and region), issue 13.

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "departure_plans",
        sa.Column("charger_id", sa.Integer(), sa.ForeignKey("chargers.id"), primary_key=True),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("departure", sa.DateTime(timezone=True), nullable=True),
        sa.Column("power_kw", sa.Float(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("promise", sa.Text(), nullable=True),
    )
    op.create_table(
        "tariff_feeds",
        sa.Column("charger_id", sa.Integer(), sa.ForeignKey("chargers.id"), primary_key=True),
        sa.Column("product", sa.String(50), nullable=False),
        sa.Column("region", sa.String(1), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("tariff_feeds")
    op.drop_table("departure_plans")
