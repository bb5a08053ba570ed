"""Alembic environment: run by `Store.migrate()` with a connection already open.

`smartcharge platform serve` migrates at start-up; there is no `alembic` command-line workflow to
remember. New migrations: write them by hand in `versions/` (or autogenerate against a scratch
database with `smartcharge.platform.store.migrate.autogenerate`), numbered in order.
"""

from __future__ import annotations

from alembic import context

from smartcharge.platform.store.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
