"""Run the compliance suite against one broken charger, in a process of its own:

    python suite_process.py FAULT OUT_DIR

(results in OUT_DIR/results.json). test_broken_chargers.py runs the five at once, each in its
own process, so that one suite's message handling never starves another's charger.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from smartcharge.compliance.runner import run_suite
from smartcharge.compliance.target import SimulatedTarget

HERE = Path(__file__).parent


def main(fault: str, out: Path) -> None:
    command = [sys.executable, str(HERE / "broken_charger.py"), fault]
    asyncio.run(run_suite(SimulatedTarget(out, command=command), out, parallel=2))


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
