"""Load on the platform: N chargers on loopback, each sending MeterValues every second plus
heartbeats; the platform on SQLite and on PostgreSQL, and in the same run a baseline central
system written with the `ocpp` package (`baseline_csms.py`) doing the same storage.

    .venv/bin/python bench/platform_load.py --chargers 1000 --seconds 30 \
        [--databases sqlite postgresql] [--json out.json]

For each database and each server (smartcharge's `platform_node.py`, then the baseline): a fresh
database, N chargers provisioned, the server started as a subprocess, the chargers connected
(boot, status, a transaction each), `--warmup` seconds of load, then `--seconds` measured:
sustained messages/s, p50/p99 response latency (from the moment each message was due, so a
backlog counts), the server's CPU-seconds per 1,000 messages, its peak RSS (VmHWM); then, with
the load still on, a DSR event to every charger at once (`--dsr`). See bench/platform.md.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import platform as host
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import psutil
from argon2 import PasswordHasher
from websockets.asyncio.client import ClientConnection, connect

from smartcharge.platform.store import Store

HERE = Path(__file__).parent
PASSWORD = uuid.uuid4().hex  # the bench chargers' password, made for this run
# Cheap argon2 parameters for the bench chargers only: a login with the production parameters
# costs ~0.2 CPU-s (argon2 is meant to be slow), which would make connecting 5,000 chargers take
# minutes. Logins happen before the measured window; the hash says its own parameters.
CHEAP_HASH = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash(PASSWORD)

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


def utc_stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class Stats:
    measuring: bool = False
    answered: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    dsr_seen: int = 0


class Charger:
    """One lean simulated charger: raw OCPP-J frames, one outstanding CALL at a time."""

    def __init__(self, identity: str, ws: ClientConnection, stats: Stats, values: str) -> None:
        self.identity, self.ws, self.stats, self.values = identity, ws, stats, values
        self.n = 0
        self.waiting: dict[str, asyncio.Future[Any]] = {}
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for text in self.ws:
                frame = orjson.loads(text)
                if frame[0] == 3 or frame[0] == 4:
                    fut = self.waiting.pop(frame[1], None)
                    if fut is not None and not fut.done():
                        fut.set_result(frame)
                elif frame[0] == 2:  # a CALL from the server: the DSR event
                    self.stats.dsr_seen += 1
                    await self.ws.send(f'[3,"{frame[1]}",{{"status":"Accepted"}}]')
        except Exception:
            pass

    async def call(self, action: str, payload_json: str) -> Any:
        self.n += 1
        uid = f"{self.n}"
        fut = asyncio.get_running_loop().create_future()
        self.waiting[uid] = fut
        await self.ws.send(f'[2,"{uid}","{action}",{payload_json}]')
        frame = await fut
        if frame[0] == 4:
            raise RuntimeError(f"{action}: CALLERROR {frame[2]} {frame[3]}")
        return frame[2]

    async def setup(self) -> None:
        await self.call("BootNotification", '{"chargePointVendor":"bench","chargePointModel":"L"}')
        status = (
            '{"connectorId":1,"errorCode":"NoError","status":"Charging",'
            f'"timestamp":"{utc_stamp()}"}}'
        )
        await self.call("StatusNotification", status)
        start = f'{{"connectorId":1,"idTag":"BENCH","meterStart":0,"timestamp":"{utc_stamp()}"}}'
        self.tx = (await self.call("StartTransaction", start))["transactionId"]

    async def run(self, first: float, heartbeat_every: int, until: float) -> None:
        """MeterValues every second from `first` (loop time), a Heartbeat every n-th second."""
        loop = asyncio.get_running_loop()
        tick = 0
        head = f'{{"connectorId":1,"transactionId":{self.tx},"meterValue":[{{"timestamp":"'
        while True:
            due = first + tick
            if due >= until:
                return
            await asyncio.sleep(max(0.0, due - loop.time()))
            sends = [("MeterValues", None)]
            if heartbeat_every and tick % heartbeat_every == heartbeat_every - 1:
                sends.append(("Heartbeat", "{}"))
            for action, body in sends:
                if body is None:
                    values = self.values.format(e=tick * 3)
                    body = f'{head}{utc_stamp()}","sampledValue":{values}}}]}}'
                try:
                    await self.call(action, body)
                except Exception:
                    self.stats.errors += 1
                    continue
                if self.stats.measuring:
                    self.stats.answered += 1
                    self.stats.latencies.append(loop.time() - due)
            tick += 1


async def open_chargers(
    url: str, n: int, stats: Stats, values: str, concurrency: int = 100
) -> list[Charger]:
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> Charger:
        identity = f"LOAD-{i:05d}"
        async with gate:
            ws = await connect(
                f"{url}/{identity}",
                subprotocols=["ocpp1.6"],  # type: ignore[list-item]
                additional_headers={"Authorization": _basic(identity)},
                compression=None,
                max_queue=64,
                open_timeout=60,
                ping_interval=None,
            )
            ch = Charger(identity, ws, stats, values)
            await ch.setup()
            return ch

    return list(await asyncio.gather(*(one(i) for i in range(n))))


def _basic(identity: str) -> str:
    return "Basic " + base64.b64encode(f"{identity}:{PASSWORD}".encode()).decode()


async def provision(url: str, n: int) -> None:
    """N chargers and the id tag, straight into a migrated database."""
    from sqlalchemy import insert

    from smartcharge.platform.store.models import Charger as ChargerRow

    store = Store(url)
    await store.migrate()
    now = datetime.now(UTC)
    await store.id_tags.put("BENCH", at=now)
    async with store.engine.begin() as conn:
        await conn.execute(
            insert(ChargerRow),
            [
                {"identity": f"LOAD-{i:05d}", "password_hash": CHEAP_HASH, "created_at": now}
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


async def run_server(
    server: str, db_url: str, args: argparse.Namespace, tmp: Path
) -> dict[str, Any]:
    script = HERE / ("platform_node.py" if server == "smartcharge" else "baseline_csms.py")
    cmd = [sys.executable, str(script), "--database-url", db_url, "--port", "0"]
    if server == "smartcharge":
        cmd += ["--data-dir", str(tmp / "platform")]
    elif server == "baseline-batched":
        cmd += ["--batched"]
    log = (args.log_dir / f"{server}-{len(list(args.log_dir.iterdir()))}.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        *cmd, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=log
    )
    assert proc.stdout is not None and proc.stdin is not None
    line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
    if not line.startswith("READY"):
        raise RuntimeError(f"{server} did not start; see {log.name}")
    print(f"{server}: log in {log.name}", flush=True)
    port = int(line.split()[1])
    ps = psutil.Process(proc.pid)
    stats = Stats()
    values = sampled_values(args.values)
    loop = asyncio.get_running_loop()
    result: dict[str, Any] = {"server": server}
    try:
        t0 = time.perf_counter()
        chargers = await open_chargers(
            f"ws://127.0.0.1:{port}/ocpp", args.chargers, stats, values, args.connect_at_once
        )
        result["connect_s"] = round(time.perf_counter() - t0, 1)
        if args.idle:  # no load: only the DSR fan-out to chargers that are connected and quiet
            await idle_dsr(proc, ps, result)
            for ch in chargers:
                ch.reader.cancel()
            await asyncio.gather(*(ch.ws.close() for ch in chargers), return_exceptions=True)
            return result
        start = loop.time() + 1.0
        total = args.warmup + args.seconds + args.dsr_seconds
        until = start + total
        # Spread the chargers over the second, as real ones are.
        runs = [
            asyncio.create_task(ch.run(start + i / len(chargers), args.heartbeat_every, until))
            for i, ch in enumerate(chargers)
        ]
        rss: list[float] = []

        async def sample_rss() -> None:
            while True:
                rss.append(ps.memory_info().rss / 2**20)
                await asyncio.sleep(0.5)

        sampler = asyncio.create_task(sample_rss())
        await asyncio.sleep(start + args.warmup - loop.time())
        cpu0, w0 = ps.cpu_times(), time.perf_counter()
        gen0 = psutil.Process().cpu_times()
        load0 = os.getloadavg()[0]
        stats.measuring = True
        await asyncio.sleep(args.seconds)
        stats.measuring = False
        cpu1, w1 = ps.cpu_times(), time.perf_counter()
        gen1 = psutil.Process().cpu_times()
        cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
        wall = w1 - w0
        result.update(
            messages=stats.answered,
            msgs_per_s=round(stats.answered / wall, 1),
            p50_ms=round(percentile(stats.latencies, 0.50) * 1000, 1),
            p99_ms=round(percentile(stats.latencies, 0.99) * 1000, 1),
            cpu_s=round(cpu, 2),
            cpu_s_per_1000=round(1000 * cpu / max(1, stats.answered), 3),
            msgs_per_cpu_s=round(stats.answered / cpu, 1) if cpu else None,
            server_cpu_share=round(cpu / wall, 2),
            generator_cpu_share=round(
                (gen1.user - gen0.user + gen1.system - gen0.system) / wall, 2
            ),
            load_avg_1m=round((load0 + os.getloadavg()[0]) / 2, 2),
            errors=stats.errors,
        )
        if args.dsr:
            proc.stdin.write(b"dsr\n")
            await proc.stdin.drain()
            dsr = orjson.loads(await asyncio.wait_for(proc.stdout.readline(), 60))
            result["dsr"] = dsr
        for run in runs:  # a backlogged server would keep them going long after the window
            run.cancel()
        await asyncio.gather(*runs, return_exceptions=True)
        sampler.cancel()
        result["peak_rss_mb"] = round(vm_hwm_mb(proc.pid), 1)
        result["rss_end_mb"] = round(rss[-1], 1) if rss else None
        for ch in chargers:
            ch.reader.cancel()
        await asyncio.gather(*(ch.ws.close() for ch in chargers), return_exceptions=True)
    finally:
        proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), 20)
        except TimeoutError:
            proc.kill()
            await proc.wait()
        log.close()
    return result


async def idle_dsr(
    proc: asyncio.subprocess.Process, ps: psutil.Process, result: dict[str, Any]
) -> None:
    """Three DSR fan-outs to connected, quiet chargers: wall time and the server's CPU time."""
    assert proc.stdin is not None and proc.stdout is not None
    runs = []
    for _ in range(3):
        await asyncio.sleep(1.0)
        cpu0 = ps.cpu_times()
        proc.stdin.write(b"dsr\n")
        await proc.stdin.drain()
        run = orjson.loads(await asyncio.wait_for(proc.stdout.readline(), 120))
        cpu1 = ps.cpu_times()
        run["cpu_s"] = round(cpu1.user - cpu0.user + cpu1.system - cpu0.system, 2)
        runs.append(run)
    result["dsr_idle"] = runs
    result["peak_rss_mb"] = round(vm_hwm_mb(proc.pid), 1)
    result["load_avg_1m"] = round(os.getloadavg()[0], 2)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chargers", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=30.0, help="measured window")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--dsr-seconds", type=float, default=5.0, help="load kept on for the DSR")
    parser.add_argument("--heartbeat-every", type=int, default=30, help="seconds; 0: none")
    parser.add_argument("--values", type=int, default=10, choices=range(1, 11))
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument(
        "--servers",
        nargs="+",
        default=["smartcharge", "baseline", "baseline-batched"],
        choices=["smartcharge", "baseline", "baseline-batched"],
    )
    parser.add_argument("--no-dsr", dest="dsr", action="store_false")
    parser.add_argument(
        "--idle", action="store_true", help="no load: three DSR fan-outs to quiet chargers"
    )
    parser.add_argument(
        "--connect-at-once", type=int, default=25, help="chargers connecting and booting at once"
    )
    parser.add_argument(
        "--pg", default=os.environ.get("SMARTCHARGE_TEST_PG", "postgres@127.0.0.1:5432")
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    args.log_dir = Path(tempfile.mkdtemp(prefix="platform-load-logs-"))
    results = []
    print(
        f"{args.chargers} chargers, MeterValues ({args.values} values) every s + a Heartbeat "
        f"every {args.heartbeat_every} s; {args.seconds:g} s measured; "
        f"{psutil.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; Python {host.python_version()}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="platform-load-") as tmpdir:
        tmp = Path(tmpdir)
        for kind in args.databases:
            for server in args.servers:
                async with Database(kind, args.pg, tmp) as url:
                    await provision(url, args.chargers)
                    r = await run_server(server, url, args, tmp)
                r["database"] = kind
                results.append(r)
                print(orjson.dumps(r).decode(), flush=True)
    print()
    print(
        "| database | server | msg/s | p50 ms | p99 ms | CPU-s / 1000 msg | msg per CPU-s "
        "| peak RSS MB | DSR to all: s (acked) | load avg | load generator CPU |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        if "dsr_idle" in r:
            times = ", ".join(
                f"{d['seconds']:.2f} s, {d['cpu_s']} CPU-s ({d['accepted']}/{d['chargers']})"
                for d in r["dsr_idle"]
            )
            print(f"| {r['database']} | {r['server']} | idle | DSR fan-outs: {times} |")
            continue
        dsr = r.get("dsr")
        dsr_text = f"{dsr['seconds']:.2f} ({dsr['accepted']}/{dsr['chargers']})" if dsr else "-"
        print(
            f"| {r['database']} | {r['server']} | {r['msgs_per_s']} | {r['p50_ms']} | "
            f"{r['p99_ms']} | {r['cpu_s_per_1000']} | {r['msgs_per_cpu_s']} | "
            f"{r['peak_rss_mb']} | {dsr_text} | {r['load_avg_1m']} | {r['generator_cpu_share']} |"
        )
    for kind in args.databases:
        by = {r["server"]: r for r in results if r["database"] == kind}
        ours = by.get("smartcharge")
        for name in ("baseline", "baseline-batched"):
            other = by.get(name)
            if ours and other and ours["msgs_per_cpu_s"] and other["msgs_per_cpu_s"]:
                ratio = ours["msgs_per_cpu_s"] / other["msgs_per_cpu_s"]
                print(f"{kind}: smartcharge / {name}: {ratio:.1f}x messages per CPU-second")
    if args.json:
        args.json.write_text(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    asyncio.run(main())
