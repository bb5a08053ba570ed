"""Platform fixtures: a store on SQLite and on PostgreSQL, a running platform, peers.

PostgreSQL: each test gets a fresh database on 127.0.0.1:5432 (`SMARTCHARGE_TEST_PG` overrides
the server URL), dropped afterwards. Without `CI` in the environment an unreachable server skips
the PostgreSQL cases; in CI it fails them.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from smartcharge.platform.app import PlatformApp
from smartcharge.platform.config import PlatformSettings
from smartcharge.platform.store import Store

sys.path.insert(0, str(Path(__file__).parent))
from platform_harness import (
    FakeClock,
    MakePlatform,
    Peer,
    PeerChargePoint,
    Platform,
    close_peers,
    open_peer,
)

PG_SERVER = os.environ.get("SMARTCHARGE_TEST_PG", "postgres@127.0.0.1:5432")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "both_databases: run the test's platform (make_platform / platform) on SQLite and on "
        "PostgreSQL",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Tests (or modules) marked both_databases get their platform on each database; the others
    # keep SQLite only, so PostgreSQL's share of the run goes where the queries differ.
    if (
        metafunc.definition.get_closest_marker("both_databases")
        and "platform_database" in metafunc.fixturenames
    ):
        metafunc.parametrize("platform_database", ["sqlite", "postgresql"], indirect=True)


async def _pg_admin() -> asyncpg.Connection:
    try:
        return await asyncpg.connect(f"postgresql://{PG_SERVER}/test", timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        if os.environ.get("CI"):
            raise RuntimeError(f"PostgreSQL at {PG_SERVER} is unreachable in CI: {exc}") from exc
        # On a developer machine without PostgreSQL the SQLite variants still run; in CI
        # (above) an unreachable server is a failure, never a skip.
        pytest.skip(f"PostgreSQL at {PG_SERVER} unreachable: {exc}")


@contextlib.asynccontextmanager
async def fresh_pg_database() -> AsyncIterator[str]:
    """A new PostgreSQL database's URL, dropped afterwards."""
    admin = await _pg_admin()
    name = f"smartcharge_test_{uuid.uuid4().hex[:12]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://{PG_SERVER}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'platform.db'}"
        return
    async with fresh_pg_database() as url:
        yield url


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    async with fresh_pg_database() as url:
        yield url


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    s = Store(database_url, meter_batch_delay=0.02)
    await s.migrate()
    yield s
    await s.close()


@pytest.fixture
def platform_database(request: pytest.FixtureRequest) -> str:
    """The database `make_platform` gives a platform: SQLite unless the test is marked
    both_databases (then it runs once per database)."""
    return str(getattr(request, "param", "sqlite"))


_sqlite_template: list[Path] = []  # this test process's; made by the first platform on SQLite


async def migrated_sqlite(base: Path) -> Path:
    """A SQLite database at the newest schema, migrated once per test process. A platform on
    SQLite starts on a copy, as one restarted on its database does (its migrations then find
    nothing to do): migrating a new database took 0.08 to 0.15 s of CPU, for every platform
    a test starts.
    A first start's migrations are still run by the template, the `store` fixture, the migration
    tests and every platform on PostgreSQL or in a process of its own (the CLI's, the demo's)."""
    if not _sqlite_template:
        path = base / "platform-template.db"
        store = Store(f"sqlite+aiosqlite:///{path}")
        await store.migrate()
        await store.close()  # the last connection's close checkpoints the WAL into the file
        _sqlite_template.append(path)
    return _sqlite_template[0]


@pytest.fixture
async def make_platform(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, platform_database: str
) -> AsyncIterator[MakePlatform]:
    apps: list[PlatformApp] = []
    databases = contextlib.AsyncExitStack()

    async def make(clock: FakeClock | None = None, **settings: Any) -> Platform:
        clock = clock or FakeClock()
        if platform_database == "postgresql" and "database_url" not in settings:
            settings["database_url"] = await databases.enter_async_context(fresh_pg_database())
        data_dir = settings.pop("data_dir", tmp_path / f"platform{len(apps)}")
        if "database_url" not in settings and not (data_dir / "platform.db").exists():
            template = await migrated_sqlite(tmp_path_factory.getbasetemp())
            data_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(template, data_dir / "platform.db")
        values: dict[str, Any] = {
            "data_dir": data_dir,
            "host": "127.0.0.1",
            "port": 0,
            "security_profile": 1,
            "node_id": "test-node",
            "api_host": "127.0.0.1",
            "api_port": 0,
            "meter_batch_ms": 20,
            "lockout_failures": 3,
            "lockout_s": 60,
            **settings,
        }
        app = PlatformApp(PlatformSettings(**values), clock=clock, rng=random.Random(7))
        await app.start()
        apps.append(app)
        if platform_database == "postgresql":
            assert app.store.dialect == "postgresql"
        return Platform(app, clock)

    yield make
    for app in apps:
        await app.stop()
    await databases.aclose()


@pytest.fixture
async def platform(make_platform: MakePlatform) -> Platform:
    return await make_platform()


@pytest.fixture
async def peers() -> AsyncIterator[Callable[..., Awaitable[Peer]]]:
    opened: list[Peer] = []

    async def open_platform_peer(
        platform: Platform,
        identity: str,
        password: str | None = None,
        cls: type[PeerChargePoint] = PeerChargePoint,
    ) -> Peer:
        pw = platform.passwords[identity] if password is None else password
        peer = await open_peer(platform.url, identity, pw, cls)
        opened.append(peer)
        return peer

    yield open_platform_peer
    await close_peers(opened)
