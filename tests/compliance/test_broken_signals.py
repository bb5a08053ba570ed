"""Deliverable 3: the broken chargers of the rate and time signals and of their reporting (reg 5,
reg 9: R2, R3, R9) are reported as exactly the rules each breaks (compliance_doubles.py says what
each must fail, and how they run)."""

from __future__ import annotations

import pytest
from compliance_doubles import module_of_doubles

FAULTS = ["raise-ignored", "start-local-time", "offered-zero-dropped"]
pytestmark = [pytest.mark.timeout(900), pytest.mark.slow]

runs, test_reports_exactly_the_broken_rules = module_of_doubles(FAULTS)
