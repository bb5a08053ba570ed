"""The platform's store: SQLAlchemy 2 (async) on a SQLite file or PostgreSQL, Alembic migrations.

```python
store = Store("sqlite+aiosqlite:///data/platform.db")   # or "postgresql+asyncpg://..."
await store.migrate()                                   # at start-up: newest schema
tx = await store.transactions.start(charger_id, connector_id=1, ...)
await store.meter_values.append(rows)                   # returns once the batch is committed
await store.close()
```
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from smartcharge.platform.store import migrate as _migrate
from smartcharge.platform.store.accounts import Accounts
from smartcharge.platform.store.cards import Cards
from smartcharge.platform.store.certificates import Certificates
from smartcharge.platform.store.chargers import ChargerExists, Chargers, Credentials
from smartcharge.platform.store.database import SQLITE_BUSY_TIMEOUT_MS, create_engine, sqlite_url
from smartcharge.platform.store.dsr import Dsr
from smartcharge.platform.store.events import Events
from smartcharge.platform.store.group_commit import GroupCommit
from smartcharge.platform.store.history import History
from smartcharge.platform.store.id_tags import IdTags
from smartcharge.platform.store.meter_values import MeterValueWriter
from smartcharge.platform.store.owner_records import OwnerRecords
from smartcharge.platform.store.people import People
from smartcharge.platform.store.privacy import Privacy
from smartcharge.platform.store.sites import Sites
from smartcharge.platform.store.transactions import Stopped, Transactions

__all__ = [
    "ChargerExists",
    "Credentials",
    "Stopped",
    "Store",
    "sqlite_url",
]


class Store:
    def __init__(
        self,
        url: str,
        *,
        meter_batch_rows: int = 500,
        meter_batch_delay: float = 0.05,
        commit_delay: float = 0.05,
        commit_max_items: int = 1000,
        id_tag_cache_s: float = 30.0,
        echo: bool = False,
        sqlite_busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
    ) -> None:
        self.url = url
        self.engine: AsyncEngine = create_engine(
            url, echo=echo, sqlite_busy_timeout_ms=sqlite_busy_timeout_ms
        )
        # What chargers' messages write (status, boot, starts, stops, meter values): one commit
        # per batch.
        self.commits = GroupCommit(
            self.engine,
            max_items=commit_max_items,
            max_rows=meter_batch_rows,
            max_delay=commit_delay,
        )
        self.chargers = Chargers(self.engine, self.commits)
        self.people = People(self.engine)
        self.id_tags = IdTags(self.engine, cache_s=id_tag_cache_s)
        self.transactions = Transactions(self.engine, self.commits)
        self.events = Events(self.engine, self.commits)
        self.cards = Cards(self.engine)
        self.certificates = Certificates(self.engine)
        self.accounts = Accounts(self.engine)
        self.history = History(self.engine)
        self.dsr = Dsr(self.engine)
        self.owner_records = OwnerRecords(self.engine)  # tariffs, plans, firmware releases
        self.privacy = Privacy(self.engine)
        self.sites = Sites(self.engine)  # supply limits for load management
        self.meter_values = MeterValueWriter(self.commits, max_delay=meter_batch_delay)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def migrate(self) -> None:
        """Bring the database to the newest schema (Alembic; safe to run every start-up)."""
        async with self.engine.begin() as conn:
            await conn.run_sync(_migrate.upgrade)

    async def revision(self) -> str | None:
        async with self.engine.connect() as conn:
            return await conn.run_sync(_migrate.current)

    async def close(self) -> None:
        """Write buffered meter values and messages, then close every connection."""
        await self.commits.drain()  # meter values included
        await self.engine.dispose()
