"""The platform under load (`platform_load.py` starts it): `PlatformApp`, the composition root
`smartcharge platform serve` runs, plus a control line on stdin for the DSR fan-out.

    python bench/platform_node.py --database-url URL --port 0 --data-dir DIR

Prints `READY <port>` once it listens. Then, for each line `dsr` on stdin, it sends the DSR event
of docs/ocpp-extensions.md (DataTransfer `org.smartcharge.uk` / `DsrEvent`) through
`OcppServer.send` to every connected charger at once and prints one JSON line: how many, how
many answered Accepted, and the seconds from the first send to the last answer.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from typing import Any

from fanout import control, dsr_event, run_main, summary
from smartcharge import logs
from smartcharge.platform.app import PlatformApp, tune_gc, tune_gil
from smartcharge.platform.config import PlatformSettings


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    parser.add_argument("--python-gil-switch", action="store_true", help="Python's 5 ms")
    args, _ = parser.parse_known_args()
    logs.setup(None, level=logging.INFO)  # as `platform serve` (stderr: the bench keeps a file)
    tune_gc()  # as `platform serve` (run_serving)
    if not args.python_gil_switch:
        tune_gil()
    settings = PlatformSettings(
        database_url=args.database_url,
        data_dir=args.data_dir,
        host="127.0.0.1",
        port=args.port,
        security_profile=1,  # loopback; TLS would cost both sides alike
        node_id="bench",
        api_host="127.0.0.1",
        api_port=0,  # the REST API is not measured here: any free port
        # Every bench charger comes from 127.0.0.1: the per-address cap (a NAT'd depot's
        # 1,000 by default) would refuse all but the first thousand.
        ocpp_max_connections=20_000,
        ocpp_max_per_address=20_000,
    )
    app = PlatformApp(settings)
    await app.start()
    print(f"READY {app.ocpp.port}", flush=True)

    async def dsr(event_id: str) -> dict[str, Any]:
        # OcppServer.send_many, as DsrService uses it: the payload checked and encoded once.
        ids = list(app.ocpp.connections)
        t0 = time.perf_counter()
        answers = await app.ocpp.send_many(ids, "DataTransfer", dsr_event(event_id), timeout=30)
        result = summary(ids, answers, time.perf_counter() - t0)
        writer = app.store.meter_values  # how the meter values were batched, since the start
        result["meter_batches"], result["meter_rows"] = writer.batches, writer.rows_written
        return result

    try:
        await control(dsr)
    finally:
        await app.stop()


if __name__ == "__main__":
    run_main(main)
