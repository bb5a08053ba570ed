"""`platform_load.py --storm`: a boot storm, as after a node restart (or a node's death sends its
chargers to this one): all `--chargers` connect at the same instant and each boots
(BootNotification, StatusNotification Available) as soon as it is accepted.

Reported: how many were accepted and booted, when the last handshake was accepted and the last
boot answered (seconds from the start), the server's CPU until it is quiet again, and how many
handshakes the server logged as failed or timed out (`handshake failed` warnings in its log,
platform/handshake_log.py; the baseline logs none).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from pathlib import Path
from typing import Any

import psutil

from load_client import LeanCharger, open_charger
from load_setup import basic_auth, quiet
from mix_client import boot


async def storm(
    port: int, ps: psutil.Process, args: argparse.Namespace, result: dict[str, Any], log: Path
) -> None:
    t0 = time.perf_counter()
    cpu0 = ps.cpu_times()

    async def one(i: int) -> tuple[LeanCharger, float, float]:
        identity = f"LOAD-{i:05d}"
        ch = await open_charger("127.0.0.1", port, "/ocpp", identity, basic_auth(identity))
        accepted = time.perf_counter() - t0
        await boot(ch)
        return ch, accepted, time.perf_counter() - t0

    outcomes = await asyncio.gather(*(one(i) for i in range(args.chargers)), return_exceptions=True)
    done = [o for o in outcomes if isinstance(o, tuple)]
    failures = sorted(
        {f"{type(o).__name__}: {o}"[:120] for o in outcomes if isinstance(o, BaseException)}
    )
    await quiet(ps)
    cpu1 = ps.cpu_times()
    cpu = cpu1.user - cpu0.user + cpu1.system - cpu0.system
    logged = await asyncio.to_thread(log.read_text, errors="replace")
    result["storm"] = {
        "hashes": result["hashes"],
        "chargers": args.chargers,
        "connected": len(done),
        "seconds": round(max((o[1] for o in done), default=0.0), 2),
        "last_accepted_s": round(max((o[1] for o in done), default=0.0), 2),
        "last_booted_s": round(max((o[2] for o in done), default=0.0), 2),
        "median_accepted_s": round(sorted(o[1] for o in done)[len(done) // 2], 2) if done else None,
        "server_cpu_s": round(cpu, 2),
        "server_cpu_ms_per_login": round(1000 * cpu / args.chargers, 2),
        "handshakes_failed_logged": logged.count("handshake failed"),
        "handshakes_timed_out_logged": logged.count("timed out after"),
        "client_failures": failures[:5],
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    for ch, _, _ in done:
        ch.close()
