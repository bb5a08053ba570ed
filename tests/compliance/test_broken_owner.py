"""Deliverable 3: the broken chargers of what the owner is given and of the inputs it takes
(reg 6's history, Schedule 1's product information and validated inputs) are reported as exactly
the rules each breaks (compliance_doubles.py says what each must fail, and how they run)."""

from __future__ import annotations

import pytest
from compliance_doubles import module_of_doubles

FAULTS = ["info-wrong-version", "non-json-accepted", "history-6-months"]
pytestmark = [pytest.mark.timeout(900), pytest.mark.slow]

runs, test_reports_exactly_the_broken_rules = module_of_doubles(FAULTS)
