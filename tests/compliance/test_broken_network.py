"""Deliverable 3: the broken chargers of the charger's central system (reg 5: its signals and
changing the central system) are reported as exactly the rules each breaks (compliance_doubles.py
says what each must fail, and how they run)."""

from __future__ import annotations

import pytest
from compliance_doubles import module_of_doubles

FAULTS = ["settings-lost-on-switch", "sample-interval-min-5"]
pytestmark = [pytest.mark.timeout(900), pytest.mark.slow]

runs, test_reports_exactly_the_broken_rules = module_of_doubles(FAULTS)
