"""A database that ran the code before the input checks (issue 15, finding 5) and holds what
chargers sent then: meter readings "NaN", "Infinity", "-Infinity", "1e400", connector -1, a
megabyte of another vendor's DataTransfer, a RandomDelay without connectorId. Migration 0010
(run by the platform at start, as on an upgrade) makes them harmless; the owner's totals, CSV,
chart and charger pages work again, and every good row is still there."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from platform_harness import MakePlatform
from sqlalchemy import insert, select

from conftest import fresh_pg_database
from smartcharge.ocpp import uk_extension
from smartcharge.platform.registry import add_charger, hash_password
from smartcharge.platform.store import Store
from smartcharge.platform.store import migrate as migrations
from smartcharge.platform.store.models import (
    DataTransferEvent,
    MeterValue,
    StatusEvent,
    Transaction,
)

pytestmark = pytest.mark.both_databases

ENERGY, POWER = "Energy.Active.Import.Register", "Power.Active.Import"
GOOD = [  # (connector, measurand, value): kept, whatever the cheap filter thinks of "2.5e3"
    (1, ENERGY, "1500"),
    (1, POWER, "7000"),
    (1, ENERGY, "2500"),
    (1, POWER, "2.5e3"),
]
BAD = [(1, ENERGY, "NaN"), (1, ENERGY, "Infinity"), (1, ENERGY, "1e400"), (1, POWER, "-Infinity")]
BAD += [(-1, ENERGY, "2000"), (1, POWER, "lots")]
NOW = datetime.now(UTC).replace(microsecond=0)
OWNER, PASSWORD = "ann@example.org", "correct horse battery"


@contextlib.asynccontextmanager
async def database(kind: str, tmp_path: Path) -> AsyncIterator[str]:
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        return
    async with fresh_pg_database() as url:
        yield url


async def seed_before_the_checks(url: str) -> None:
    """The database at revision 0009 with what the old code stored, good rows and poisoned."""
    store = Store(url)
    await store.migrate()
    password_hash = await asyncio.to_thread(hash_password, PASSWORD)
    await store.accounts.create(OWNER, role="owner", password_hash=password_hash, at=NOW)
    await add_charger(store, "CP-1", owner=OWNER)
    credentials = await store.chargers.credentials("CP-1")
    assert credentials is not None
    charger = credentials.id
    t0 = NOW - timedelta(hours=1)
    session = {"charger_id": charger, "id_tag": "TAG", "created_at": t0, "started_at": t0}
    running = {"id": 1, "connector_id": 1, "meter_start": 1000, "meter_stop": None}
    stopped = {"id": 2, "connector_id": -1, "meter_start": 0, "meter_stop": 500}
    async with store.engine.begin() as conn:
        await conn.execute(  # a running session, and a stopped one on connector -1 (500 Wh)
            insert(Transaction),
            [
                {**session, **running, "stopped_at": None},
                {**session, **stopped, "stopped_at": t0 + timedelta(minutes=5)},
            ],
        )
        await conn.execute(
            insert(MeterValue),
            [
                {
                    "charger_id": charger,
                    "connector_id": connector,
                    "transaction_id": 1,
                    "timestamp": t0 + timedelta(minutes=i),
                    "received_at": t0 + timedelta(minutes=i),
                    "measurand": measurand,
                    "unit": "Wh" if measurand == ENERGY else "W",
                    "value": value,
                }
                for i, (connector, measurand, value) in enumerate(GOOD + BAD)
            ],
        )
        status = {"charger_id": charger, "error_code": "NoError", "timestamp": t0}
        await conn.execute(
            insert(StatusEvent),
            [
                {**status, "connector_id": 1, "status": "Charging", "received_at": t0},
                {**status, "connector_id": -1, "status": "Faulted", "received_at": t0},
            ],
        )
        transfer = {"charger_id": charger, "received_at": t0}
        await conn.execute(
            insert(DataTransferEvent),
            [
                {**transfer, "vendor_id": "com.example", "message_id": "Blob", "data": "x" * 2**20},
                {
                    **transfer,
                    "vendor_id": uk_extension.VENDOR_ID,
                    "message_id": uk_extension.RANDOM_DELAY,
                }
                | {"data": json.dumps({"remainingS": 300})},
            ],
        )
        await conn.run_sync(lambda c: command.downgrade(migrations.config(c), "0009"))
    await store.close()


async def rows(store: Store, *columns: Any) -> list[tuple[Any, ...]]:
    async with store.engine.connect() as conn:
        return [tuple(r) for r in await conn.execute(select(*columns))]


async def test_poisoned_rows_from_before_the_checks_are_made_harmless_by_the_migration(
    make_platform: MakePlatform, platform_database: str, tmp_path: Path
) -> None:
    async with database(platform_database, tmp_path) as url:
        await seed_before_the_checks(url)
        platform = await make_platform(database_url=url)  # migrates to the head at start
        store = platform.store
        assert await store.revision() == migrations.head()

        kept = await rows(store, MeterValue.connector_id, MeterValue.measurand, MeterValue.value)
        assert sorted(kept) == sorted(GOOD)  # the poisoned ones gone, every good one there
        assert await rows(store, StatusEvent.connector_id) == [(1,)]
        sessions = await rows(
            store, Transaction.id, Transaction.connector_id, Transaction.meter_stop
        )
        assert sorted(sessions) == [(1, 1, None), (2, None, 500)]  # kept, connector cleared
        data = dict(await rows(store, DataTransferEvent.message_id, DataTransferEvent.data))
        assert len(data["Blob"]) == 8192 and json.loads(data[uk_extension.RANDOM_DELAY]) == {
            "remainingS": 300
        }

        async with httpx.AsyncClient(base_url=platform.app.http.url, timeout=60) as owner:
            login = await owner.post("/api/auth/login", json={"email": OWNER, "password": PASSWORD})
            assert login.status_code == 200
            custom = {"period": "custom", "since": str((NOW - timedelta(days=3)).date())}
            report = (await owner.get("/api/reports/energy", params=custom)).json()
            assert report["energy_wh"] == 1500 + 500  # 2500 - 1000 running, 500 stopped
            csv = (await owner.get("/api/sessions", params={"format": "csv"})).text
            chart = (await owner.get("/app/sessions/1/power.csv")).text
            assert "1500" in csv and "7000" in chart and "2500" in chart
            for text in (csv, chart):
                assert "nan" not in text.lower() and "inf" not in text.lower(), text
            for page in ("/app/chargers/CP-1", "/app/chargers/CP-1/live", "/app/energy"):
                answer = await owner.get(page)
                assert answer.status_code == 200, (page, answer.text[:300])
                assert ">nan<" not in answer.text.lower() and "inf" not in answer.text.lower()
