"""`platform_load.py --mix`: one server under the real message mix, then each type alone.

1. The chargers connect (`--connect-at-once` at a time) and boot (BootNotification,
   StatusNotification Available).
2. The mix (`mix_client.MixSchedule`, `--speed` times real time) runs for `--warmup` s, then
   `--seconds` are measured: per message type, how many were answered, their share, p50 and p99
   latency from when each was due; for all of them together the server's CPU-seconds per 1,000
   messages and messages per CPU-second.
3. With `--per-type` (after the server has gone quiet), each type alone at `--type-rate`
   messages per charger per second for `--type-seconds` (after 2 s of warm-up): the server's CPU
   over each one-second slice divided by the messages answered in it; the median of the slices
   is that type's CPU per message, all work of the process included (websocket, RPC, handler,
   database driver threads).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import psutil

from load_client import LeanCharger
from load_setup import open_chargers, percentile, quiet
from mix_client import TYPES, MixSchedule, MixStats, TypeSchedule, boot, expected_shares


def _cpu(ps: psutil.Process) -> float:
    t = ps.cpu_times()
    return t.user + t.system


async def database_processes(db_url: str, pg: str) -> list[psutil.Process]:
    """PostgreSQL's backends serving the bench's database (its own CPU, stated beside the
    platform's; the server's shared background processes are not counted). None on SQLite."""
    if not db_url.startswith("postgresql"):
        return []
    admin = await asyncpg.connect(f"postgresql://{pg}/test")
    try:
        rows = await admin.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1", db_url.rsplit("/", 1)[1]
        )
    finally:
        await admin.close()
    found = []
    for row in rows:
        with contextlib.suppress(psutil.Error):
            found.append(psutil.Process(row["pid"]))
    return found


def _cpu_of(processes: list[psutil.Process]) -> float | None:
    """Their CPU-seconds; None when one has gone (its share would be lost: a pool replaced it)."""
    total = 0.0
    for p in processes:
        try:
            t = p.cpu_times()
        except psutil.Error:
            return None
        total += t.user + t.system
    return total


async def run_mix(
    port: int, ps: psutil.Process, args: argparse.Namespace, values: str, db_url: str
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    t0 = time.perf_counter()
    chargers = await open_chargers(port, args.chargers, args.connect_at_once, setup=False)
    gate = asyncio.Semaphore(args.connect_at_once)

    async def booted(ch: LeanCharger) -> None:
        async with gate:
            await boot(ch)

    await asyncio.gather(*(booted(ch) for ch in chargers))
    result: dict[str, Any] = {"connect_s": round(time.perf_counter() - t0, 1)}
    await quiet(ps)
    stats = MixStats()
    first = loop.time() + 0.5
    until = first + args.warmup + args.seconds + 60 / args.speed
    schedule = MixSchedule(
        chargers,
        stats,
        values,
        first=first,
        speed=args.speed,
        heartbeat_every=args.mix_heartbeat,
        rng=random.Random(args.seed),
    )
    runner = asyncio.create_task(schedule.run(until))
    await asyncio.sleep(first + args.warmup - loop.time())
    backends = await database_processes(db_url, args.pg)
    cpu0, w0, db0 = _cpu(ps), time.perf_counter(), _cpu_of(backends)
    stats.measuring = True
    spy = await _profile(ps.pid, "mix", args.seconds, args) if args.profile else None
    await asyncio.sleep(args.seconds)
    stats.measuring = False
    if spy is not None:
        await spy.wait()
    cpu, wall = _cpu(ps) - cpu0, time.perf_counter() - w0
    db1 = _cpu_of(backends)
    db_cpu = None if db0 is None or db1 is None or not backends else db1 - db0
    runner.cancel()
    await asyncio.gather(runner, return_exceptions=True)
    answered = stats.answered
    expected = expected_shares(args.mix_heartbeat)
    result["mix"] = {
        "speed": args.speed,
        "messages": answered,
        "msgs_per_s": round(answered / wall, 1),
        "cpu_s": round(cpu, 2),
        "cpu_ms_per_msg": round(1000 * cpu / max(1, answered), 3),
        "msgs_per_cpu_s": round(answered / cpu, 1) if cpu else None,
        "server_cpu_share": round(cpu / wall, 2),
        "postgresql_cpu_share": None if db_cpu is None else round(db_cpu / wall, 2),
        "postgresql_cpu_ms_per_msg": None
        if db_cpu is None
        else round(1000 * db_cpu / max(1, answered), 3),
        "error_samples": stats.error_samples,
        "by_type": {
            kind: {
                "answered": s.answered,
                "share": round(s.answered / max(1, answered), 3),
                "expected_share": round(expected.get(kind, 0.0), 3),
                "p50_ms": round(percentile(s.latencies, 0.5) * 1000, 1),
                "p99_ms": round(percentile(s.latencies, 0.99) * 1000, 1),
                "errors": s.errors,
            }
            for kind, s in stats.by_type.items()
            if s.answered or s.errors
        },
    }
    if args.per_type:
        await quiet(ps)
        result["per_type"] = await per_type(chargers, ps, args, values)
    for ch in chargers:
        ch.close()
    return result


async def per_type(
    chargers: list[LeanCharger], ps: psutil.Process, args: argparse.Namespace, values: str
) -> dict[str, Any]:
    """Each message type alone: the median over one-second slices of the server's CPU per
    message answered in the slice."""
    loop = asyncio.get_running_loop()
    states = None
    out: dict[str, Any] = {}
    for kind in TYPES:
        stats = MixStats()
        first = loop.time() + 0.2
        until = first + 2.0 + args.type_seconds
        schedule = TypeSchedule(
            chargers,
            stats,
            values,
            kind,
            first=first,
            until=until,
            rate=args.type_rate,
            states=states,
        )
        states = schedule.states  # the Stop phase stops what the Start phase opened
        runner = asyncio.create_task(schedule.run(until))
        await asyncio.sleep(first + 2.0 - loop.time())
        stats.measuring = True
        spy = await _profile(ps.pid, kind, args.type_seconds, args) if args.profile else None
        slices: list[float] = []
        by = stats.by_type[kind]
        cpu_all, n_all = 0.0, 0
        while loop.time() < until - 1.0:
            c0, n0 = _cpu(ps), by.answered
            await asyncio.sleep(1.0)
            cpu, n = _cpu(ps) - c0, by.answered - n0
            cpu_all, n_all = cpu_all + cpu, n_all + n
            if n:
                slices.append(1000 * cpu / n)
        stats.measuring = False
        if spy is not None:
            await spy.wait()
        await asyncio.gather(runner, return_exceptions=True)
        out[kind] = {
            "cpu_ms_median": round(statistics.median(slices), 3) if slices else None,
            "cpu_ms_mean": round(1000 * cpu_all / max(1, n_all), 3),
            "answered": n_all,
            "msgs_per_s": round(n_all / max(1, len(slices)), 1),
            "p50_ms": round(percentile(by.latencies, 0.5) * 1000, 1),
            "p99_ms": round(percentile(by.latencies, 0.99) * 1000, 1),
            "errors": by.errors,
            "error_samples": stats.error_samples,
        }
        await quiet(ps)
    return out


async def _profile(
    pid: int, kind: str, seconds: float, args: argparse.Namespace
) -> asyncio.subprocess.Process:
    """py-spy (not a dependency: `.venv/bin/pip install py-spy`) on the server for the phase.
    `--gil`: only the thread holding the GIL is sampled, so the samples follow the CPU the
    Python code uses (a thread waiting for the GIL, for a lock or for an fsync is not counted)."""
    args.profile.mkdir(parents=True, exist_ok=True)
    return await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "py-spy"),
        "record",
        "--nonblocking",
        "--gil",
        "-r",
        "500",
        "-f",
        "raw",
        "-d",
        str(max(1, int(seconds) - 1)),
        "-p",
        str(pid),
        "-o",
        str(args.profile / f"{kind}.txt"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


def print_mix(results: list[dict[str, Any]]) -> None:
    """Markdown tables: the mix per type, and each type alone."""
    for r in results:
        if "mix" not in r:
            continue
        mix = r["mix"]
        print(
            f"\n{r['database']} / {r['server']}: mix at x{mix['speed']:g}, {mix['msgs_per_s']} "
            f"msg/s, {mix['cpu_ms_per_msg']} ms CPU per message, {mix['msgs_per_cpu_s']} msg per "
            f"CPU-s, server {mix['server_cpu_share']} of a core"
            + (
                f" (PostgreSQL's backends {mix['postgresql_cpu_share']} of a core, "
                f"{mix['postgresql_cpu_ms_per_msg']} ms per message)"
                if mix.get("postgresql_cpu_share") is not None
                else ""
            )
            + f", load {r['load_avg_1m']}"
        )
        print(
            "| type | share (expected) | p50 ms | p99 ms | errors | alone: CPU ms/msg median "
            "(mean) | alone: p50 / p99 ms |"
        )
        print("|---|---|---|---|---|---|---|")
        alone = r.get("per_type", {})
        for kind in TYPES:
            m = mix["by_type"].get(kind)
            a = alone.get(kind)
            cols = (
                f"{m['share']:.3f} ({m['expected_share']:.3f}) | {m['p50_ms']} | "
                f"{m['p99_ms']} | {m['errors']}"
                if m
                else "- | - | - | -"
            )
            acols = (
                f"{a['cpu_ms_median']} ({a['cpu_ms_mean']}) | {a['p50_ms']} / {a['p99_ms']}"
                if a
                else "- | -"
            )
            print(f"| {kind} | {cols} | {acols} |")
    by_db: dict[str, dict[str, Any]] = {}
    for r in results:
        if "mix" in r:
            by_db.setdefault(r["database"], {})[r["server"]] = r["mix"]
    for db, servers in by_db.items():
        ours, base = servers.get("smartcharge"), servers.get("baseline")
        if ours and base and ours["msgs_per_cpu_s"] and base["msgs_per_cpu_s"]:
            ratio = ours["msgs_per_cpu_s"] / base["msgs_per_cpu_s"]
            print(f"{db}: smartcharge / baseline on the mix: {ratio:.1f}x messages per CPU-second")
