"""A slow-header flood on the platform's REST API while a real charger connects to its OCPP port
(issue 15, finding 1): how long the charger takes to connect and boot, and the platform's RSS,
open files and CPU, before and during the flood.

    python bench/flood.py [--sockets 2000] [--spread] [--nofile 1024] [--loop uvloop|asyncio]
                          [--tries 10] [--src DIR] [--json OUT]

The platform (`PlatformApp`, as `smartcharge platform serve` builds it, profile 1 on loopback,
SQLite) runs in a child process whose open-file limit is `--nofile` (soft and hard; 1024 is a
common default), on the loop `--loop` names (uvloop, as `platform serve` runs, or asyncio's own,
what runs where uvloop is not installed). The flood, in a process of its own, keeps `--sockets`
connections to the REST API, each sending one byte of a request header every 5 s and
reconnecting 1 s after the server closes it, from 127.0.0.1 or, with `--spread`, each from its
own loopback address (127.0.x.y), so that per-address caps do not apply. Meanwhile a charger
(the `ocpp` package's ChargePoint over websockets, basic auth) connects and sends
BootNotification, `--tries` times 2 s apart without the flood (what the machine's load alone
costs), then as often during it. `--src DIR` runs another checkout's `src` (e.g. the commit
before a change) against the same client: that is the baseline of the same run.

Also reported: the platform's CPU seconds during the flood (and per flood connection), and how
often its loop failed to accept for lack of files (asyncio logs "socket.accept() out of system
resource" each time, and stops accepting on that listener for a second).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ocpp.v16 import ChargePoint, call
from websockets.asyncio.client import connect

NODE = """
import asyncio, os, sys
from pathlib import Path
from smartcharge.platform.app import PlatformApp
from smartcharge.platform.config import PlatformSettings
from smartcharge.platform.registry import add_charger

async def main():
    settings = PlatformSettings(
        data_dir=Path(sys.argv[1]), host="127.0.0.1", port=0, security_profile=1,
        api_host="0.0.0.0", api_port=0, node_id="flood",
    )
    app = PlatformApp(settings)
    await app.start()
    new = await add_charger(app.store, "CP-FLOOD", owner=None, site=None)
    print("READY", app.ocpp.port, app.http.port, new.password, flush=True)
    await asyncio.Event().wait()

if os.environ["FLOOD_LOOP"] == "uvloop":
    import uvloop
    uvloop.run(main())
else:
    asyncio.run(main())
"""


def _limit(nofile: int) -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (/proc/PID/stat, fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


async def flooder(port: int, source: str, stop: asyncio.Event, counts: dict[str, int]) -> None:
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, local_addr=(source, 0)
            )
        except OSError:
            counts["connect_failed"] += 1
            await asyncio.sleep(0.5)
            continue
        counts["connected"] += 1
        try:
            for byte in b"GET /api/me HTTP/1.1\r\nHost: x\r\n":
                writer.write(bytes([byte]))
                if await _closed_within(reader, 5.0) or stop.is_set():
                    break
        finally:
            writer.close()
        counts["closed_by_server"] += not stop.is_set()
        await asyncio.sleep(1.0)  # then again, as slow-request tools do (at most 1/s each)


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    try:
        await asyncio.wait_for(reader.read(1024), timeout=seconds)
    except TimeoutError:
        return False
    except OSError:
        return True
    return True  # an answer (503, 408) or the end: either way the server let go


async def charger_connect(port: int, password: str) -> float:
    """Seconds from opening the socket to the BootNotification's answer (inf when it failed)."""
    token = base64.b64encode(f"CP-FLOOD:{password}".encode()).decode()
    t0 = time.perf_counter()
    try:
        async with asyncio.timeout(30):
            async with connect(
                f"ws://127.0.0.1:{port}/ocpp/CP-FLOOD",
                subprotocols=["ocpp1.6"],  # type: ignore[list-item]
                additional_headers={"Authorization": f"Basic {token}"},
            ) as ws:
                cp = ChargePoint("CP-FLOOD", ws)
                task = asyncio.create_task(cp.start())
                boot = call.BootNotification(charge_point_model="M", charge_point_vendor="V")
                await cp.call(boot)
                elapsed = time.perf_counter() - t0
                task.cancel()
                return elapsed
    except Exception as exc:  # the figure: it did not connect
        print(f"  charger failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return float("inf")


async def run(args: argparse.Namespace) -> dict[str, Any]:
    env = dict(os.environ, FLOOD_LOOP=args.loop)
    if args.src:
        env["PYTHONPATH"] = args.src  # made absolute by main()
    with tempfile.TemporaryDirectory() as data:
        node_log = Path(data) / "node.log"  # its warnings: caps lowered, accepts failed
        node = subprocess.Popen(  # noqa: ASYNC220 - started once, before anything is timed
            [sys.executable, "-c", NODE, data],
            stdout=subprocess.PIPE,
            stderr=node_log.open("w"),
            text=True,
            env=env,
            preexec_fn=lambda: _limit(args.nofile),
        )
        try:
            assert node.stdout is not None
            _, ocpp_port, api_port, password = node.stdout.readline().split()
            quiet = []  # the same tries without the flood: what the machine's load costs alone
            for _ in range(args.tries):
                quiet.append(await charger_connect(int(ocpp_port), password))
                await asyncio.sleep(2)
            rss_before, files_before = _rss_kb(node.pid), _open_files(node.pid)
            # Its own process: its loop is not the charger's. Started before the timing.
            cpu_start, t_start = _cpu_s(node.pid), time.monotonic()
            flood = subprocess.Popen(  # noqa: ASYNC220
                [sys.executable, __file__, "--flood-port", api_port]
                + ["--sockets", str(args.sockets)]
                + (["--spread"] if args.spread else []),
                stdout=subprocess.PIPE,
                text=True,
                preexec_fn=lambda: _limit(args.sockets + 64),
            )
            await asyncio.sleep(3)  # the flood builds up
            during, rss_peak, files_peak = [], rss_before, files_before
            for _ in range(args.tries):
                during.append(await charger_connect(int(ocpp_port), password))
                rss_peak = max(rss_peak, _rss_kb(node.pid))
                files_peak = max(files_peak, _open_files(node.pid))
                await asyncio.sleep(2)
            cpu_s, window_s = _cpu_s(node.pid) - cpu_start, time.monotonic() - t_start
            flood.terminate()  # it prints its counts on the way out
            counts = json.loads(flood.communicate()[0] or "{}")
        finally:
            node.terminate()
            node.wait()
        accept_failures = node_log.read_text().count("socket.accept() out of system resource")
    return {
        "src": args.src or "this checkout",
        "loop": args.loop,
        "sockets": args.sockets,
        "spread": args.spread,
        "nofile": args.nofile,
        "connect_quiet_s": [round(x, 3) if x != float("inf") else None for x in quiet],
        "connect_quiet_median_s": _median(quiet),
        "connect_quiet_max_s": _max(quiet),
        "connect_during_flood_s": [round(x, 3) if x != float("inf") else None for x in during],
        "connect_during_flood_median_s": _median(during),
        "connect_during_flood_max_s": _max(during),
        "rss_before_mb": round(rss_before / 1024, 1),
        "rss_peak_during_mb": round(rss_peak / 1024, 1),
        "open_files_before": files_before,
        "open_files_peak_during": files_peak,
        "platform_cpu_s_during_flood": round(cpu_s, 2),
        "platform_cpu_share_during_flood": round(cpu_s / window_s, 3),
        "platform_cpu_ms_per_flood_connection": round(
            1000 * cpu_s / max(1, counts.get("connected", 0)), 3
        ),
        "accepts_failed_for_lack_of_files": accept_failures,
        "load_average_1min": round(os.getloadavg()[0], 1),
        "flood": counts,
    }


async def flood_only(port: int, sockets: int, spread: bool) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    counts = {"connected": 0, "connect_failed": 0, "closed_by_server": 0}
    sources = [
        f"127.0.{1 + i // 250}.{1 + i % 250}" if spread else "127.0.0.1" for i in range(sockets)
    ]
    tasks = [asyncio.create_task(flooder(port, s, stop, counts)) for s in sources]
    await stop.wait()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    print(json.dumps(counts), flush=True)


def _median(xs: list[float]) -> float | None:
    m = statistics.median(xs)
    return None if m == float("inf") else round(m, 3)


def _max(xs: list[float]) -> float | None:
    m = max(xs)
    return None if m == float("inf") else round(m, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=2000)
    parser.add_argument("--spread", action="store_true")
    parser.add_argument("--nofile", type=int, default=1024)
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    parser.add_argument("--tries", type=int, default=10, help="charger connects during the flood")
    parser.add_argument("--src", help="another checkout's src directory (the baseline)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--flood-port", type=int, help=argparse.SUPPRESS)  # the flood process
    args = parser.parse_args()
    if args.src:
        args.src = str(Path(args.src).resolve())
    if args.flood_port:
        asyncio.run(flood_only(args.flood_port, args.sockets, args.spread))
        return
    result = asyncio.run(run(args))
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
