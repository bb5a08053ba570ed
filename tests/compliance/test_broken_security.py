"""Deliverable 3: the broken chargers of security (reg 12, Schedule 1) are reported as exactly the
rules each breaks (compliance_doubles.py says what each must fail, and how they run)."""

from __future__ import annotations

import pytest
from compliance_doubles import Runs, misjudged, run_doubles

FAULTS = [
    "unsigned-firmware",
    "default-password",
    "authorization-key-readable",
    "no-tamper-event",
    "owner-tls10",
    "security-log-editable",
]
# Every double's suite in one fixture: its wall time is the fixture's.
pytestmark = [pytest.mark.timeout(900), pytest.mark.slow]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    return run_doubles(FAULTS, tmp_path_factory)


@pytest.mark.parametrize("fault", FAULTS)
def test_reports_exactly_the_broken_rules(runs: Runs, fault: str) -> None:
    assert not misjudged(fault, runs), (runs[fault][0], misjudged(fault, runs))
