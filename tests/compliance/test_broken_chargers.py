"""Deliverable 3: against deliberately broken chargers the suite reports exactly the rules each
one breaks, and no others.

Each double is our charger with one fault patched in (broken_charger.py). Every other
requirement must come out as it does for our own charger (test_suite_simulated.py): pass, or the
same known gap, or the same declared outcome. The five suites run at once, each in a process of
its own (suite_process.py): their waits are mostly simulated time passing.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from compliance_expected import DECLARED, KNOWN_GAPS

from smartcharge.compliance.results import Outcome

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


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    async def suite(fault: str, stagger_s: float) -> dict[str, Any]:
        await asyncio.sleep(stagger_s)  # ten charger processes need not boot in one second
        out = tmp_path_factory.mktemp(fault)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(HERE / "suite_process.py"), fault, str(out)
        )
        assert await proc.wait() == 0, f"{fault}: the suite process failed"
        return {
            r["requirement"]: r
            for r in orjson.loads((out / "results.json").read_bytes())["results"]
        }

    async def all_faults() -> dict[str, dict[str, Any]]:
        found = await asyncio.gather(*(suite(f, 3.0 * i) for i, f in enumerate(EXPECTED)))
        return dict(zip(EXPECTED, found, strict=True))

    return asyncio.run(all_faults())


@pytest.mark.parametrize("fault", list(EXPECTED))
def test_reports_exactly_the_broken_rules(runs: dict[str, dict[str, Any]], fault: str) -> None:
    expected = EXPECTED[fault]
    wrong = {}
    for req, res in runs[fault].items():
        outcome = Outcome(res["outcome"])
        if req in expected:
            failing = " ".join(
                f"{c['name']} {c['detail']}" for c in res["checks"] if c["ok"] is False
            )
            if outcome is not Outcome.FAIL or expected[req] not in failing:
                wrong[req] = (outcome.value, res["reason"])
        elif req in KNOWN_GAPS:
            if outcome not in (Outcome.FAIL, Outcome.NOT_RUN):
                wrong[req] = (outcome.value, res["reason"])
        elif req in DECLARED:
            if outcome is not DECLARED[req]:
                wrong[req] = (outcome.value, res["reason"])
        elif outcome is not Outcome.PASS:
            wrong[req] = (outcome.value, res["reason"])
    assert not wrong, wrong
