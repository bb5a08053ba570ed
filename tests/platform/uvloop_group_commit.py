"""Child process of test_group_commit_uvloop.py: status rows through a `GroupCommit` whose window
is under a millisecond, on uvloop, whose `call_at` then hands back a plain `Handle` (no `when()`).
Prints one JSON line: the loop and how many rows were committed."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import uvloop
from sqlalchemy import func, insert, select

from smartcharge.platform.store import Store
from smartcharge.platform.store.models import Charger, StatusEvent

T0 = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


async def main(folder: Path) -> None:
    store = Store(f"sqlite+aiosqlite:///{folder / 'platform.db'}", commit_delay=0.0004)
    await store.migrate()
    async with store.engine.begin() as conn:
        await conn.execute(
            insert(Charger), [{"identity": "C", "password_hash": "x", "created_at": T0}]
        )
    for _ in range(20):  # each round: one caller arms the timer, the next one finds it armed
        await asyncio.gather(
            *(
                store.events.status(
                    1, connector_id=1, status="Available", error_code="NoError", received_at=T0
                )
                for _ in range(3)
            )
        )
    async with store.engine.connect() as conn:
        rows = await conn.scalar(select(func.count()).select_from(StatusEvent))
    await store.close()
    loop = type(asyncio.get_running_loop())
    print(json.dumps({"loop": f"{loop.__module__}.{loop.__name__}", "rows": rows}), flush=True)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        uvloop.run(main(Path(folder)))
    sys.exit(0)
