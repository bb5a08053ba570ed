"""A MeterValues committed just before the platform was killed (kill -9) is sent again by the
charger, which never saw the answer; the platform that comes back stores it once (issue 15,
finding 4). The platform runs as its own process on a SQLite file."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

from ocpp.v16 import call
from platform_harness import close_peers, now_iso, open_peer

NODE = """
import asyncio, sys
from pathlib import Path
from smartcharge.platform.app import PlatformApp
from smartcharge.platform.config import PlatformSettings
from smartcharge.platform.registry import add_charger

async def main():
    settings = PlatformSettings(
        data_dir=Path(sys.argv[1]), host="127.0.0.1", port=0, security_profile=1,
        api_host="127.0.0.1", api_port=0, node_id="kill",
    )
    app = PlatformApp(settings)
    await app.start()
    password = "-"
    if await app.store.chargers.credentials("CP-1") is None:
        password = (await add_charger(app.store, "CP-1", owner=None, site=None)).password
    print("READY", app.ocpp.port, password, flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def start(data: Path) -> tuple[asyncio.subprocess.Process, int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", NODE, str(data), stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
    _, port, password = line.decode().split()
    return proc, int(port), password


def stored(data: Path) -> int:
    with sqlite3.connect(data / "platform.db") as db:
        return int(db.execute("SELECT count(*) FROM meter_values").fetchone()[0])


async def test_meter_values_resent_after_a_kill_are_stored_once(tmp_path: Path) -> None:
    proc, port, password = await start(tmp_path)
    at = now_iso()
    message = call.MeterValues(
        connector_id=1,
        transaction_id=3,
        meter_value=[
            {
                "timestamp": at,
                "sampled_value": [
                    {"value": "1500", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
                ],
            }
        ],
    )
    peer = await open_peer(f"ws://127.0.0.1:{port}/ocpp", "CP-1", password)
    try:
        await peer.call(message)  # committed: the platform answers only after the commit
        os.kill(proc.pid, signal.SIGKILL)  # killed before the charger could be sure
        await proc.wait()
    finally:
        await close_peers([peer])
    assert stored(tmp_path) == 1

    proc, port, _ = await start(tmp_path)
    try:
        peer = await open_peer(f"ws://127.0.0.1:{port}/ocpp", "CP-1", password)
        try:
            await peer.call(message)  # the charger's resend, same sample
            await peer.call(call.Heartbeat())
        finally:
            await close_peers([peer])
    finally:
        proc.kill()
        await proc.wait()
    assert stored(tmp_path) == 1
