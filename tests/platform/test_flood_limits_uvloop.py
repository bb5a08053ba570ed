"""The listeners' caps under uvloop, the event loop `platform serve` runs on: its transports are no
asyncio subclasses, and a connection over the OCPP cap must still get its 503 at the door (it
raised instead, found by the 5,000-charger boot storm from one address; `ocpp_admission.
limited_connections`).

uvloop runs in a child process (`uvloop_listener_caps.py`), never in the pytest worker: run in
the worker, it left the worker hung in its event loop after the test. The verdict is the child's
own report of what each socket received."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

SCRIPT = Path(__file__).with_name("uvloop_listener_caps.py")
GUARD_S = 240.0  # only for failure: the child bounds its waits; its imports are slow when busy


async def test_over_both_caps_a_connection_gets_503_at_the_door_under_uvloop() -> None:
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(child.communicate(), timeout=GUARD_S)
    finally:
        if child.returncode is None:  # it hung: end it, and reap it
            child.kill()
            await child.wait()
    assert child.returncode == 0, err.decode(errors="replace")[-2000:]
    report = json.loads(out.decode().strip().splitlines()[-1])
    assert report["loop"].startswith("uvloop")
    refused = ["HTTP/1.1 503 Service Unavailable"] * 5
    assert report["ocpp"] == ["held"] * 3 + refused
    assert report["http"] == ["held"] * 3 + refused
    assert report["ocpp_open"] == 3
    assert report["http_open"] == 3
