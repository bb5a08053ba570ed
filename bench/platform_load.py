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
import gc
import os
import platform as host
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import psutil

from load_client import Schedule, Stats
from load_setup import (
    Database,
    open_chargers,
    percentile,
    provision,
    sampled_values,
    vm_hwm_mb,
)
from mix_run import print_mix, run_mix
from storm_run import storm

HERE = Path(__file__).parent


async def run_server(
    server: str, db_url: str, args: argparse.Namespace, tmp: Path, hashes: str
) -> dict[str, Any]:
    ours = server.startswith("smartcharge")
    script = HERE / ("platform_node.py" if ours else "baseline_csms.py")
    cmd = [sys.executable, str(script), "--database-url", db_url, "--port", "0"]
    cmd += ["--loop", args.server_loop]
    if ours:
        cmd += ["--data-dir", str(tmp / "platform")]
    if server == "smartcharge-gil5ms":  # Python's GIL switch interval, not app.GIL_SWITCH_S
        cmd += ["--python-gil-switch"]
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
    values = sampled_values(args.values).format(e="{e}")  # JSON with an `{e}` hole
    loop = asyncio.get_running_loop()
    result: dict[str, Any] = {"server": server, "hashes": hashes}
    try:
        if args.storm:
            await storm(port, ps, args, result, Path(log.name))
            return result
        if args.mix:
            load0 = os.getloadavg()[0]
            result.update(await run_mix(port, ps, args, values, db_url))
            result["load_avg_1m"] = round((load0 + os.getloadavg()[0]) / 2, 2)
            result["peak_rss_mb"] = round(vm_hwm_mb(proc.pid), 1)
            return result
        t0 = time.perf_counter()
        chargers = await open_chargers(port, args.chargers, args.connect_at_once)
        result["connect_s"] = round(time.perf_counter() - t0, 1)
        if args.idle:  # no load: only the DSR fan-out to chargers that are connected and quiet
            await idle_dsr(proc, ps, result)
            for ch in chargers:
                ch.close()
            return result
        start = loop.time() + 1.0
        total = args.warmup + args.seconds + args.dsr_seconds
        until = start + total
        # Spread the chargers over the second, as real ones are.
        schedule = Schedule(chargers, stats, values, args.heartbeat_every)
        runner = asyncio.create_task(schedule.run(start, until))
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
        gen_cpu = gen1.user - gen0.user + gen1.system - gen0.system
        wall = w1 - w0
        result.update(
            messages=stats.answered,
            msgs_per_s=round(stats.answered / wall, 1),
            p50_ms=round(percentile(stats.latencies, 0.50) * 1000, 1),
            p99_ms=round(percentile(stats.latencies, 0.99) * 1000, 1),
            generator_send_lag_p99_ms=round(percentile(stats.send_lags, 0.99) * 1000, 1),
            cpu_s=round(cpu, 2),
            cpu_s_per_1000=round(1000 * cpu / max(1, stats.answered), 3),
            msgs_per_cpu_s=round(stats.answered / cpu, 1) if cpu else None,
            server_cpu_share=round(cpu / wall, 2),
            generator_cpu_share=round(gen_cpu / wall, 2),
            generator_cpu_s_per_1000=round(1000 * gen_cpu / max(1, stats.answered), 3),
            load_avg_1m=round((load0 + os.getloadavg()[0]) / 2, 2),
            errors=stats.errors,
        )
        if args.dsr:
            cpu0 = ps.cpu_times()
            proc.stdin.write(b"dsr\n")
            await proc.stdin.drain()
            dsr = orjson.loads(await asyncio.wait_for(proc.stdout.readline(), 60))
            cpu1 = ps.cpu_times()
            dsr["server_cpu_s"] = round(cpu1.user - cpu0.user + cpu1.system - cpu0.system, 2)
            result["dsr"] = dsr
        runner.cancel()  # a backlogged server would keep it going long after the window
        await asyncio.gather(runner, return_exceptions=True)
        sampler.cancel()
        result["peak_rss_mb"] = round(vm_hwm_mb(proc.pid), 1)
        result["rss_end_mb"] = round(rss[-1], 1) if rss else None
        for ch in chargers:
            ch.close()
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
        choices=["smartcharge", "smartcharge-gil5ms", "baseline", "baseline-batched"],
    )
    parser.add_argument("--no-dsr", dest="dsr", action="store_false")
    parser.add_argument(
        "--idle", action="store_true", help="no load: three DSR fan-outs to quiet chargers"
    )
    parser.add_argument(
        "--storm",
        action="store_true",
        help="no load: all --chargers connect and boot at once (bench/storm_run.py)",
    )
    parser.add_argument(
        "--storm-old-hashes",
        action="store_true",
        help="--storm: first with hashes made with argon2-cffi's defaults",
    )
    parser.add_argument(
        "--storm-first-connect",
        action="store_true",
        help="--storm: chargers that never connected before (each one's first connection"
        " records its security profile); by default they reconnect, as after a node restart",
    )
    parser.add_argument(
        "--mix", action="store_true", help="the real message mix (bench/mix_run.py), per type"
    )
    parser.add_argument("--speed", type=float, default=1.0, help="--mix: times real time")
    parser.add_argument("--mix-heartbeat", type=float, default=60.0, help="--mix: s")
    parser.add_argument("--seed", type=int, default=1, help="--mix: durations drawn")
    parser.add_argument("--per-type", action="store_true", help="--mix: then each type alone")
    parser.add_argument("--type-rate", type=float, default=1.0, help="per charger per s")
    parser.add_argument("--type-seconds", type=float, default=10.0)
    parser.add_argument("--profile", type=Path, help="--per-type: py-spy per type into DIR")
    parser.add_argument(
        "--server-loop", choices=["uvloop", "asyncio"], default="uvloop", help="both servers'"
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
    load = (
        f"the real mix (bench/mix_client.py) at x{args.speed:g}"
        if args.mix
        else f"MeterValues ({args.values} values) every s + a Heartbeat every "
        f"{args.heartbeat_every} s"
    )
    print(
        f"{args.chargers} chargers, {load}; {args.seconds:g} s measured; "
        f"{psutil.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; Python {host.python_version()}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="platform-load-") as tmpdir:
        tmp = Path(tmpdir)
        # --storm: once with hashes made with argon2-cffi's defaults (what add-charger stored
        # before), once with the charger parameters; otherwise the charger parameters.
        hashes = ["charger (t=1, 1 MiB)"] if args.storm else ["charger"]
        if args.storm_old_hashes:
            hashes.insert(0, "argon2 defaults")
        for kind in args.databases:
            for server in args.servers:
                for hash_kind in hashes:
                    async with Database(kind, args.pg, tmp) as url:
                        old = hash_kind == "argon2 defaults"
                        before = args.storm and not args.storm_first_connect
                        await provision(url, args.chargers, old_hashes=old, connected_before=before)
                        r = await run_server(server, url, args, tmp, hash_kind)
                    r["database"] = kind
                    results.append(r)
                    print(orjson.dumps(r).decode(), flush=True)
    print()
    if args.mix:
        print_mix(results)
        if args.json:
            args.json.write_text(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())
        return
    print(
        "| database | server | msg/s | p50 ms | p99 ms | CPU-s / 1000 msg | msg per CPU-s "
        "| peak RSS MB | DSR to all: s (acked) | load avg | load generator CPU |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        if "storm" in r:
            st = r["storm"]
            print(
                f"| {r['database']} | {r['server']} | storm of {st['chargers']}, "
                f"{st['hashes']} hashes | {st['connected']} connected | last accepted "
                f"{st['last_accepted_s']} s, last booted {st['last_booted_s']} s | "
                f"{st['server_cpu_s']} CPU-s | {st['server_cpu_ms_per_login']} ms/login | "
                f"{st['handshakes_timed_out_logged']} timed out, "
                f"{st['handshakes_failed_logged']} failed (server log) | load {st['load_avg_1m']} |"
            )
            continue
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
    # The generator's own garbage collector as the platform's (see app.GC_THRESHOLDS).
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    try:
        import uvloop  # the generator must not be the bottleneck: the fastest loop there is
    except ImportError:  # pragma: no cover
        asyncio.run(main())
    else:
        uvloop.run(main())
