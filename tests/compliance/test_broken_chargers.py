"""Deliverable 3: against deliberately broken chargers the suite reports exactly the rules each
one breaks, and no others.

Each double is our charger with one fault patched in (broken_charger.py). Every other
requirement must come out as it does for our own charger (test_suite_simulated.py): pass, or the
same known gap, or the same declared outcome. The five suites run at once: their waits are mostly
simulated time passing.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from compliance_expected import DECLARED, KNOWN_GAPS

from smartcharge.compliance.results import Outcome
from smartcharge.compliance.runner import Run, run_suite
from smartcharge.compliance.target import SimulatedTarget

HERE = Path(__file__).parent

# What each fault breaks, and a phrase the failing check must say (the evidence of that fault).
EXPECTED: dict[str, dict[str, str]] = {
    "peak": {"R13": "first Charging", "R17": "Charging from"},
    "no-delay": {
        "R21": "delays",
        "R22": "not uniform",
        "R24": "delayed",
        "R25": "countdown",
    },
    "delay-dsr": {"R26": "response DSR"},
    "unsigned-firmware": {"R29": "unverified image was installed"},
    "default-password": {"R28": "well-known default"},
}


async def _suite(fault: str, out: Path) -> Run:
    command = [sys.executable, str(HERE / "broken_charger.py"), fault]
    return await run_suite(SimulatedTarget(out, command=command), out, parallel=2)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    async def all_faults() -> dict[str, Run]:
        outs = {f: tmp_path_factory.mktemp(f) for f in EXPECTED}
        done = await asyncio.gather(*(_suite(f, outs[f]) for f in EXPECTED))
        return dict(zip(EXPECTED, done, strict=True))

    return asyncio.run(all_faults())


@pytest.mark.parametrize("fault", list(EXPECTED))
def test_reports_exactly_the_broken_rules(runs: dict[str, Run], fault: str) -> None:
    run = runs[fault]
    expected = EXPECTED[fault]
    wrong = {}
    for req, res in run.results.items():
        outcome = res.outcome
        if req in expected:
            failing = " ".join(c.detail + " " + c.name for c in res.checks if c.ok is False)
            if outcome is not Outcome.FAIL or expected[req] not in failing:
                wrong[req] = (outcome.value, res.reason)
        elif req in KNOWN_GAPS:
            if outcome not in (Outcome.FAIL, Outcome.NOT_RUN):
                wrong[req] = (outcome.value, res.reason)
        elif req in DECLARED:
            if outcome is not DECLARED[req]:
                wrong[req] = (outcome.value, res.reason)
        elif outcome is not Outcome.PASS:
            wrong[req] = (outcome.value, res.reason)
    assert not wrong, wrong
