"""What both benchmark servers share: the DSR event, its fan-out, the stdin control line, the
event loop.

No smartcharge.platform import here: the baseline server must not load the platform's modules
(their import-time work would count in its memory).
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime
from typing import Any

import orjson

# Spelled here, not imported from smartcharge.ocpp.uk_extension: importing smartcharge.ocpp loads
# its RPC layer, which would count in the baseline's memory (the names are pinned to
# docs/ocpp-extensions.md by tests/ocpp/test_uk_extension_names.py).
VENDOR = "org.smartcharge.uk"
DSR_EVENT = "DsrEvent"


def dsr_event(event_id: str) -> dict[str, Any]:
    data = {
        "id": event_id,
        "kind": "response",
        "limitA": 6,
        "start": datetime.now(UTC).isoformat(timespec="seconds"),
        "durationS": 900,
        "alreadyRandomised": False,
    }
    return {"vendorId": VENDOR, "messageId": DSR_EVENT, "data": orjson.dumps(data).decode()}


async def fan_out(
    send: Any, identities: list[str], payload: dict[str, Any], timeout: float
) -> dict[str, Any]:
    """Send `payload` to every charger at once; what came back and how long it took."""
    t0 = time.perf_counter()
    answers = await asyncio.gather(
        *(send(i, "DataTransfer", payload, timeout=timeout) for i in identities),
        return_exceptions=True,
    )
    return summary(identities, answers, time.perf_counter() - t0)


def summary(identities: list[str], answers: list[Any], elapsed: float) -> dict[str, Any]:
    """How many chargers, how many answered Accepted, the seconds, the kinds of failure."""
    accepted = sum(1 for a in answers if isinstance(a, dict) and a.get("status") == "Accepted")
    errors = sorted({type(a).__name__ for a in answers if isinstance(a, BaseException)})
    return {"chargers": len(identities), "accepted": accepted, "seconds": elapsed, "errors": errors}


async def control(on_dsr: Any) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    n = 0
    while line := await reader.readline():
        if line.strip() == b"dsr":
            n += 1
            result = await on_dsr(f"bench-{n}")
            print(orjson.dumps(result).decode(), flush=True)


def run_main(main: Any) -> None:
    """Run the server's `main()` on the loop `--loop` names (uvloop by default, as `platform
    serve` does when it is installed; both servers alike, so the comparison stays fair)."""
    import argparse

    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    if parser.parse_known_args()[0].loop == "uvloop":
        import uvloop

        uvloop.run(main())
    else:
        asyncio.run(main())
