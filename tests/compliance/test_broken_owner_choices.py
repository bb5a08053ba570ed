"""Deliverable 3: the broken chargers of the owner's choices (reg 10's default hours and the
owner's answers, reg 5's demand side response and its opt-out) are reported as exactly the
rules each breaks (compliance_doubles.py says what each must fail, and how they run)."""

from __future__ import annotations

import pytest
from compliance_doubles import module_of_doubles

FAULTS = [
    "randomised-opt-out-ignored",
    "response-dsr-ignored",
    "remove-ignored",
    "acceptance-unrecorded",
]
pytestmark = [pytest.mark.timeout(900), pytest.mark.slow]

runs, test_reports_exactly_the_broken_rules = module_of_doubles(FAULTS)
