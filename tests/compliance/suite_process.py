"""Run the compliance suite against one broken charger, in a process of its own:

    python suite_process.py FAULT OUT_DIR [SCENARIO,SCENARIO,...]

(results in OUT_DIR/results.json; without a list, every scenario). test_broken_*.py run a
few at once, each in its own process, so that one suite's message handling never starves
another's charger.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from smartcharge.compliance.runner import run_suite
from smartcharge.compliance.scenarios import SCENARIOS
from smartcharge.compliance.target import SimulatedTarget

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "support"))

from preloaded_chargers import PreloadedSpawn  # noqa: E402


def main(fault: str, out: Path, names: list[str] | None) -> None:
    unknown = set(names or ()) - {s.name for s in SCENARIOS}
    if unknown:
        raise SystemExit(f"unknown scenarios: {sorted(unknown)}")
    chosen = [s for s in SCENARIOS if names is None or s.name in names]
    command = [sys.executable, str(HERE / "broken_charger.py"), fault]
    # A long list (a fault that touches every scenario) runs three at a time: it sets the wall
    # time, and the short ones beside it are soon done.
    parallel = 3 if len(chosen) > 8 else 2
    asyncio.run(_run(command, out, chosen, parallel))


async def _run(command: list[str], out: Path, chosen: list[Any], parallel: int) -> None:
    # Its chargers are forked from one process that has imported them (preloaded_chargers.py).
    spawn = PreloadedSpawn(Path(command[1]))
    try:
        target = SimulatedTarget(out, command=command, spawn=spawn)
        await run_suite(target, out, scenarios=chosen, parallel=parallel)
    finally:
        await spawn.close()


if __name__ == "__main__":
    listed = sys.argv[3].split(",") if len(sys.argv) > 3 and sys.argv[3] else None
    main(sys.argv[1], Path(sys.argv[2]), listed)
