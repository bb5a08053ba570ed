"""A site's supply for load management (issue 14 item 5): its limit per phase, the load on it
that is not ours (household; a fixed figure or the site meter's last reading) and the fallback
share each charger applies when the platform is unreachable.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "site_supplies",
        sa.Column(
            "site_id",
            sa.Integer(),
            sa.ForeignKey("sites.id", name="fk_site_supplies_site_id_sites"),
            primary_key=True,
        ),
        sa.Column("limit_l1_a", sa.Float(), nullable=False),
        sa.Column("limit_l2_a", sa.Float(), nullable=False),
        sa.Column("limit_l3_a", sa.Float(), nullable=False),
        sa.Column("other_l1_a", sa.Float(), nullable=False),
        sa.Column("other_l2_a", sa.Float(), nullable=False),
        sa.Column("other_l3_a", sa.Float(), nullable=False),
        sa.Column("fallback_a", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("site_supplies")
