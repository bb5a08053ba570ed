"""Runs a script under uvloop in a child process, never in the pytest worker (run in the worker,
uvloop left it hung in its event loop after the test), and returns the JSON report the child
prints last."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

GUARD_S = 240.0  # only for failure: the child bounds its waits; its imports are slow when busy


async def child_report(script: Path) -> Any:
    child = await asyncio.create_subprocess_exec(
        sys.executable, str(script), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(child.communicate(), timeout=GUARD_S)
    finally:
        if child.returncode is None:  # it hung: end it, and reap it
            child.kill()
            await child.wait()
    assert child.returncode == 0, err.decode(errors="replace")[-2000:]
    return json.loads(out.decode().strip().splitlines()[-1])
