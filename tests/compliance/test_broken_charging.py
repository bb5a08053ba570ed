"""Deliverable 3: the broken chargers of charging (off-peak hours, reg 10; safe inputs, reg 8)
are reported as exactly the rules each breaks (compliance_doubles.py says what each must fail,
and how they run)."""

from __future__ import annotations

import pytest
from compliance_doubles import Runs, misjudged, run_doubles

FAULTS = ["peak", "peak-fridays", "charge-now-ignored", "unclamped"]
# Every double's suite in one fixture: its wall time is the fixture's.
pytestmark = [pytest.mark.timeout(900), pytest.mark.slow]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    return run_doubles(FAULTS, tmp_path_factory)


@pytest.mark.parametrize("fault", FAULTS)
def test_reports_exactly_the_broken_rules(runs: Runs, fault: str) -> None:
    assert not misjudged(fault, runs), (runs[fault][0], misjudged(fault, runs))
