"""What the platform benchmark's runs share: the bench chargers' password and provisioning, a
fresh database per server run, the chargers' connections, percentiles and the server's memory."""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import orjson
import psutil
from argon2 import PasswordHasher

from load_client import LeanCharger, open_charger
from smartcharge.platform.registry import hash_charger_password
from smartcharge.platform.store import Store

PASSWORD = uuid.uuid4().hex  # the bench chargers' password, made for this run
# One hash for all the bench chargers, made with the platform's charger parameters (cheap:
# charger passwords are CSPRNG values, see registry.CHARGER_HASHER); `--storm` starts them with
# a hash made with argon2-cffi's defaults, what add-charger stored before.
CHARGER_HASH = hash_charger_password(PASSWORD)

MEASURANDS = [  # smartcharge's default sampled data (docs/chargepoint.md): 10 values
    ("Energy.Active.Import.Register", "Wh", None, "{e}"),
    ("Power.Active.Import", "W", None, "11000"),
    ("Current.Import", "A", "L1", "15.9"),
    ("Current.Import", "A", "L2", "15.9"),
    ("Current.Import", "A", "L3", "15.9"),
    ("Voltage", "V", "L1-N", "230.0"),
    ("Voltage", "V", "L2-N", "230.0"),
    ("Voltage", "V", "L3-N", "230.0"),
    ("Current.Offered", "A", None, "32.0"),
    ("SoC", "Percent", None, "42.0"),
]


def sampled_values(n: int) -> str:
    """The sampledValue array as JSON text with a `{e}` hole for the energy register."""
    out = []
    for measurand, unit, phase, value in MEASURANDS[:n]:
        sv = {"value": value, "context": "Sample.Periodic", "measurand": measurand, "unit": unit}
        if phase:
            sv["phase"] = phase
        out.append(orjson.dumps(sv).decode().replace("{", "{{").replace("}", "}}"))
    return "[" + ",".join(out).replace("{{e}}", "{e}") + "]"


async def open_chargers(
    port: int, n: int, concurrency: int = 25, setup: bool = True, tolerate: bool = False
) -> list[LeanCharger]:
    """N chargers connected (`concurrency` at a time), each booted with a transaction open.
    `tolerate`: those that fail to connect are left out instead of failing the run."""
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> LeanCharger:
        identity = f"LOAD-{i:05d}"
        async with gate:
            ch = await open_charger("127.0.0.1", port, "/ocpp", identity, basic_auth(identity))
            if setup:
                await ch.setup()
            return ch

    opened = await asyncio.gather(*(one(i) for i in range(n)), return_exceptions=tolerate)
    return [ch for ch in opened if isinstance(ch, LeanCharger)]


def basic_auth(identity: str) -> str:
    return "Basic " + base64.b64encode(f"{identity}:{PASSWORD}".encode()).decode()


async def provision(
    url: str, n: int, old_hashes: bool = False, connected_before: bool = False
) -> None:
    """N chargers and the id tag, straight into a migrated database. `connected_before`: each
    as a charger that has connected before (its security profile recorded, 1), as after a
    node restart; otherwise each one's first connection records it (a write of its own)."""
    from sqlalchemy import insert

    from smartcharge.platform.store.models import Charger as ChargerRow

    store = Store(url)
    await store.migrate()
    now = datetime.now(UTC)
    password_hash = PasswordHasher().hash(PASSWORD) if old_hashes else CHARGER_HASH
    await store.id_tags.put("BENCH", at=now)
    async with store.engine.begin() as conn:
        await conn.execute(
            insert(ChargerRow),
            [
                {
                    "identity": f"LOAD-{i:05d}",
                    "password_hash": password_hash,
                    "created_at": now,
                    "security_profile": 1 if connected_before else None,
                }
                for i in range(n)
            ],
        )
    await store.close()


class Database:
    """A fresh database for one server run."""

    def __init__(self, kind: str, pg: str, tmp: Path) -> None:
        self.kind, self.pg, self.tmp = kind, pg, tmp
        self.name = f"bench_{uuid.uuid4().hex[:10]}"

    async def __aenter__(self) -> str:
        if self.kind == "sqlite":
            path = self.tmp / f"{self.name}.db"
            return f"sqlite+aiosqlite:///{path}"
        admin = await asyncpg.connect(f"postgresql://{self.pg}/test")
        await admin.execute(f'CREATE DATABASE "{self.name}"')
        await admin.close()
        return f"postgresql+asyncpg://{self.pg}/{self.name}"

    async def __aexit__(self, *_: object) -> None:
        if self.kind == "postgresql":
            admin = await asyncpg.connect(f"postgresql://{self.pg}/test")
            await admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            await admin.close()


def vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def quiet(ps: psutil.Process, limit: float = 120.0) -> None:
    """Wait until the server uses under 5 % of a core for a second (or `limit` s)."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        c0 = ps.cpu_times()
        await asyncio.sleep(1.0)
        c1 = ps.cpu_times()
        if c1.user - c0.user + c1.system - c0.system < 0.05:
            return
