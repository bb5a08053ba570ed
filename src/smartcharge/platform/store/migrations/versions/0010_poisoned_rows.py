"""Rows a charger could store before the input checks (issue 15, finding 5), made harmless.

Since the checks (`handlers/checks.py`) such messages are refused before anything is stored, but
a database that ran older code may hold them, and they keep poisoning the owner's pages: a meter
reading of "NaN", "Infinity" or "1e400" turns the totals into null, the CSV into inf and the
chart into nan; a connector id of -1 shows a connector that does not exist. Here:

- a meter value that is no finite number within ±10^12 (signed data: over 2,500 characters), or
  whose connector is outside 0..255 or transaction id beyond 32 bits, is deleted: it holds no
  reading anyone can use. The good values sent with it in the same message stay;
- a status of a connector outside 0..255 is deleted;
- a session's connector outside 1..255 is cleared (null, as for a session the charger never
  named a connector for): the session and its energy stay;
- DataTransfer data over 8,192 characters is cut to its first 8,192, as it is stored now.

UK-extension messages without their fields (a RandomDelay without connectorId) are stored as
received, now as then, and every reader checks them and passes over those that do not fit, so
they need nothing here. The numbers are frozen copies of the checks' limits at this revision.
Each change is counted in one log line. Downgrading changes nothing back: what was removed was
never a reading.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import logging
import math
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

log = logging.getLogger("smartcharge.platform.store")

CONNECTORS_MAX = 255
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
READING_MAX = 1e12
SIGNED_DATA_MAX = 2500
STORED_DATA_MAX = 8192
BATCH = 1000

meter_values = sa.table(
    "meter_values",
    sa.column("id", sa.BigInteger),
    sa.column("connector_id", sa.Integer),
    sa.column("transaction_id", sa.BigInteger),
    sa.column("value", sa.Text),
    sa.column("format", sa.String),
)
status_events = sa.table("status_events", sa.column("connector_id", sa.Integer))
transactions = sa.table("transactions", sa.column("connector_id", sa.Integer))
data_transfers = sa.table("data_transfers", sa.column("data", sa.Text))


def upgrade() -> None:
    bind = op.get_bind()
    readings = _delete_bad_readings(bind)
    statuses = bind.execute(
        status_events.delete().where(
            sa.or_(status_events.c.connector_id < 0, status_events.c.connector_id > CONNECTORS_MAX)
        )
    ).rowcount
    sessions = bind.execute(
        transactions.update()
        .where(
            sa.or_(transactions.c.connector_id < 1, transactions.c.connector_id > CONNECTORS_MAX)
        )
        .values(connector_id=None)
    ).rowcount
    cut = bind.execute(
        data_transfers.update()
        .where(sa.func.length(data_transfers.c.data) > STORED_DATA_MAX)
        .values(data=sa.func.substr(data_transfers.c.data, 1, STORED_DATA_MAX))
    ).rowcount
    if readings or statuses or sessions or cut:
        log.warning(
            "poisoned rows made harmless meter_values_deleted=%d status_events_deleted=%d "
            "sessions_connector_cleared=%d data_transfers_cut=%d",
            readings,
            statuses,
            sessions,
            cut,
        )


def _delete_bad_readings(bind: sa.Connection) -> int:
    """Delete the meter values `_usable` refuses; returns how many.

    Only rows a cheap filter in the database flags are read back: a value with anything but
    digits, a point and signs (nan, inf, 1e400, words), or too long to be within the range, or
    a connector or transaction id out of range. Plain decimal numbers, nearly every row, are
    not read back."""
    m = meter_values.c
    odd_text: sa.ColumnElement[bool]
    if bind.dialect.name == "postgresql":
        odd_text = m.value.op("!~", is_comparison=True)(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$")
    else:  # SQLite has GLOB, no regular expressions
        odd_text = sa.or_(
            m.value.op("GLOB", is_comparison=True)("*[^0-9.+-]*"),  # any other character
            m.value.op("GLOB", is_comparison=True)("*.*.*"),  # two points
            m.value.op("GLOB", is_comparison=True)("?*[+-]*"),  # a sign after the start
            sa.not_(m.value.op("GLOB", is_comparison=True)("*[0-9]*")),  # no digit
        )
    candidates = sa.or_(
        odd_text,
        sa.func.length(m.value) > 13,
        m.connector_id < 0,
        m.connector_id > CONNECTORS_MAX,
        m.transaction_id < INT32_MIN,
        m.transaction_id > INT32_MAX,
    )
    bad = [
        row.id
        for row in bind.execute(
            sa.select(m.id, m.value, m.format, m.connector_id, m.transaction_id).where(candidates)
        )
        if not _usable(row)
    ]
    for start in range(0, len(bad), BATCH):
        bind.execute(meter_values.delete().where(m.id.in_(bad[start : start + BATCH])))
    return len(bad)


def _usable(row: Any) -> bool:
    """The rule of `handlers/checks.py` at this revision, for one stored meter value."""
    if not 0 <= row.connector_id <= CONNECTORS_MAX:
        return False
    if row.transaction_id is not None and not INT32_MIN <= row.transaction_id <= INT32_MAX:
        return False
    if row.format == "SignedData":
        return len(row.value) <= SIGNED_DATA_MAX
    try:
        number = float(row.value)
    except ValueError:
        return False
    return math.isfinite(number) and abs(number) <= READING_MAX


def downgrade() -> None:
    pass  # nothing to put back: the deleted values were no readings, the cut data over the cap
