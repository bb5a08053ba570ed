"""The suite against our own charger, watched for where the broken chargers' faults would act.

The charger runs under `tests/compliance/broken_charger.py observe`: it behaves exactly as ours
(every patched function returns its real answer) while it notes, per charger, which of the
broken chargers' faults would have changed an answer. test_suite_simulated.py judges the run;
test_broken_chargers.py checks that each broken charger runs wherever its fault made a difference.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path

import orjson
from preloaded_chargers import PreloadedSpawn

from smartcharge.compliance.runner import Run, run_suite
from smartcharge.compliance.scenarios import SCENARIOS
from smartcharge.compliance.target import SimulatedTarget

BROKEN_CHARGER = Path(__file__).parent.parent / "compliance" / "broken_charger.py"


@dataclass(frozen=True)
class Observed:
    run: Run
    out: Path
    fired: dict[str, set[str]]  # scenario -> the faults that would have changed an answer in it


def _fired(out: Path, scenario: str) -> set[str]:
    log = out / "evidence" / f"{scenario}.jsonl"
    if not log.exists():  # not run against the simulated target (`--listen --session` only)
        return set()
    chargers = {orjson.loads(line)["identity"] for line in log.read_bytes().splitlines()}
    faults: set[str] = set()
    for identity in chargers:
        noted = out / "chargers" / f"{identity}.faults"
        if noted.exists():
            faults.update(noted.read_text().split())
    return faults


def observe_run(out: Path) -> Observed:
    command = [sys.executable, str(BROKEN_CHARGER), "observe"]

    async def watched() -> Run:
        # Its chargers are forked from one process that has imported them (see there).
        spawn = PreloadedSpawn(BROKEN_CHARGER)
        try:
            return await run_suite(SimulatedTarget(out, command=command, spawn=spawn), out)
        finally:
            await spawn.close()

    run = asyncio.run(watched())
    return Observed(run, out, {s.name: _fired(out, s.name) for s in SCENARIOS})
