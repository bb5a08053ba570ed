"""Site load management across chargers and nodes (issue 14 item 5): each charger's phases,
priority and maximum on its site, and which platform node balances a site (a lease, so only one
does at a time and another takes over when it dies) with the limits it last gave, so the node
that takes over starts from what the chargers may be drawing.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "charger_loads",
        sa.Column(
            "charger_id",
            sa.Integer(),
            sa.ForeignKey("chargers.id", name="fk_charger_loads_charger_id_chargers"),
            primary_key=True,
        ),
        sa.Column("phases", sa.String(length=3), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("max_a", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("site_supplies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("balancer_node", sa.String(length=64)))
        batch_op.add_column(sa.Column("balancer_until", sa.DateTime(timezone=True)))
        batch_op.add_column(sa.Column("balancer_held", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("site_supplies", schema=None) as batch_op:
        batch_op.drop_column("balancer_held")
        batch_op.drop_column("balancer_until")
        batch_op.drop_column("balancer_node")
    op.drop_table("charger_loads")
