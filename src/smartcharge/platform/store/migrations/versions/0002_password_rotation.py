"""Password rotation: the pending password's hash, valid beside the old one until first use.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chargers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_password_hash", sa.String(length=255)))
        batch_op.add_column(sa.Column("pending_password_accepted_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("chargers", schema=None) as batch_op:
        batch_op.drop_column("pending_password_accepted_at")
        batch_op.drop_column("pending_password_hash")
