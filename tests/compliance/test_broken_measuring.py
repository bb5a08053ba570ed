"""Deliverable 3: the broken chargers of measuring and of the loss of network (reg 9, reg 7) are
reported as exactly the rules each breaks (compliance_doubles.py says what each must fail, and
how they run)."""

from __future__ import annotations

import pytest
from compliance_doubles import module_of_doubles

FAULTS = ["energy-high", "power-every-60s", "offline-session-lost"]
pytestmark = [pytest.mark.timeout(900), pytest.mark.slow]

runs, test_reports_exactly_the_broken_rules = module_of_doubles(FAULTS)
