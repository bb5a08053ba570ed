"""Deliverable 3: the broken chargers of charging (off-peak hours, reg 10; safe inputs, reg 8)
are reported as exactly the rules each breaks (compliance_doubles.py says what each must fail,
and how they run)."""

from __future__ import annotations

import pytest
from compliance_doubles import module_of_doubles

FAULTS = ["peak", "peak-fridays", "charge-now-ignored", "unclamped", "defaults-overlap-peak"]
pytestmark = [pytest.mark.timeout(900), pytest.mark.slow]

runs, test_reports_exactly_the_broken_rules = module_of_doubles(FAULTS)
