"""Run by `test_flood_limits_uvloop.py` in a process of its own: the platform on uvloop (the loop
`platform serve` runs on, `app.run_serving`) with both listeners capped at 3 connections, and 8
sockets opened to each. Prints one JSON line: the loop's class, and for each listener the first
bytes each socket received before the server closed it and how many connections it counts.

A process of its own because uvloop in a pytest worker left that worker hung in its event loop
after the test; here nothing of uvloop outlives the script. Every wait is bounded, so the script
always ends, and it stops the platform before printing.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

import uvloop

from smartcharge.platform.app import PlatformApp
from smartcharge.platform.config import PlatformSettings

CAP = 3
SOCKETS = 8
GUARD_S = 20.0  # only for failure: a socket the server neither answers nor closes


async def answers(port: int, first: bytes) -> list[str]:
    """What each of `SOCKETS` connections got until the server closed it ('held' when it kept
    it open: the first `CAP` are admitted and wait for the rest of their request)."""
    opened = []
    for _ in range(SOCKETS):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(first)
        opened.append((reader, writer))
    got = []
    for i, (reader, _) in enumerate(opened):
        if i < CAP:
            got.append("held")
            continue
        data = await asyncio.wait_for(reader.read(), timeout=GUARD_S)
        got.append(data.split(b"\r\n", 1)[0].decode(errors="replace"))
    for _, writer in opened:
        writer.close()
    return got


async def main(data_dir: Path) -> dict[str, object]:
    settings = PlatformSettings(
        data_dir=data_dir,
        host="127.0.0.1",
        port=0,
        security_profile=1,
        api_host="127.0.0.1",
        api_port=0,
        node_id="uvloop-caps",
        ocpp_max_connections=CAP,
        ocpp_max_per_address=CAP,
        http_max_connections=CAP,
        http_max_per_address=CAP,
    )
    app = PlatformApp(settings)
    await app.start()
    try:
        ocpp = await answers(app.ocpp.port, b"GET /ocpp/X HTTP/1.1\r\n")
        ocpp_open = app.ocpp.limits.open
        http = await answers(app.http.port, b"GET /api/me HTTP/1.1\r\n")
        http_open = app.http.connections.open
    finally:
        await asyncio.wait_for(app.stop(), timeout=GUARD_S)
    return {
        "loop": type(asyncio.get_running_loop()).__module__,
        "ocpp": ocpp,
        "ocpp_open": ocpp_open,
        "http": http,
        "http_open": http_open,
    }


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        result = uvloop.run(main(Path(tmp)))
    print(json.dumps(result), flush=True)
    sys.exit(0)
