"""Alembic, driven from code: `upgrade(connection)` brings a database to the newest schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).with_name("migrations")


def config(connection: Any) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(connection: Any) -> None:
    """Run every migration not yet applied (a sync connection, as `run_sync` gives)."""
    command.upgrade(config(connection), "head")


def current(connection: Any) -> str | None:
    """The revision the database is at (None: never migrated)."""
    return MigrationContext.configure(connection).get_current_revision()


def head() -> str:
    head = ScriptDirectory.from_config(config(None)).get_current_head()
    assert head is not None
    return head


def autogenerate(connection: Any, message: str, rev_id: str) -> None:
    """Write a new migration from the difference between the models and `connection`'s database
    (a developer tool: review what it wrote before committing it)."""
    command.revision(config(connection), message=message, autogenerate=True, rev_id=rev_id)
