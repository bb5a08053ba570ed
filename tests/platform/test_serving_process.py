"""What `platform serve` and the demo run in (`app.run_serving`): uvloop when it is installed,
the garbage collector's thresholds of `GC_THRESHOLDS`, the startup objects frozen. Checked in a
fresh interpreter: these are process-wide settings."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import asyncio, gc, json
from smartcharge.platform.app import GC_THRESHOLDS, run_serving

async def main():
    return {
        "loop": type(asyncio.get_running_loop()).__module__,
        "thresholds": list(gc.get_threshold()),
        "frozen": gc.get_freeze_count(),
        "expected": list(GC_THRESHOLDS),
    }

print(json.dumps(run_serving(main())))
"""


def test_run_serving_uses_uvloop_and_the_gc_thresholds() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["loop"].startswith("uvloop")
    assert seen["thresholds"] == seen["expected"] != [700, 10, 10]
    assert seen["frozen"] > 10_000  # the modules loaded before serving are out of the GC's sight
