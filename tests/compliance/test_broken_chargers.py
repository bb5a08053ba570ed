"""Deliverable 3, on our own run: each broken charger is run (test_broken_*.py) wherever its
fault can change an answer.

Our run (`observed`) watches every fault: its charger behaves as ours and notes where each
fault's function would have answered differently. A double runs its FIRES scenarios and those
of its rules (compliance_doubles.py); a fault that fired anywhere else would leave part of its
effect unjudged, so that is a failure here.
"""

from __future__ import annotations

import pytest
from compliance_doubles import EXPECTED, scenarios_for
from compliance_observed import Observed

from smartcharge.compliance.scenarios import SCENARIOS

# The first test of the observed group (in any order) waits for our whole run.
pytestmark = pytest.mark.timeout(1500)


@pytest.mark.parametrize("fault", list(EXPECTED))
def test_the_observer_sees_each_fault_where_it_breaks_a_rule(
    observed: Observed, fault: str
) -> None:
    # Without this, a silent observer would let FIRES miss where a fault acts.
    where = {s.name for s in SCENARIOS if set(EXPECTED[fault]) & set(s.requirements)}
    assert any(fault in observed.fired[name] for name in where), (fault, observed.fired)


@pytest.mark.parametrize("fault", list(EXPECTED))
def test_each_double_runs_wherever_its_fault_fires(observed: Observed, fault: str) -> None:
    fired = {name for name, faults in observed.fired.items() if fault in faults}
    assert fired <= set(scenarios_for(fault)), (fault, sorted(fired - set(scenarios_for(fault))))
