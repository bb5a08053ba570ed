"""Meter values sent again are recognised: each row's sample key, unique per charger.

Rows stored before this revision keep a null key (nulls never collide), so the index is created
without rewriting the table.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meter_values", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sample_key", sa.BigInteger(), nullable=True))
        batch_op.create_index("ux_meter_values_sample", ["charger_id", "sample_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("meter_values", schema=None) as batch_op:
        batch_op.drop_index("ux_meter_values_sample")
        batch_op.drop_column("sample_key")
