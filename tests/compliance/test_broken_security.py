"""Deliverable 3: the broken chargers of security (reg 12, Schedule 1) are reported as exactly the
rules each breaks (compliance_doubles.py says what each must fail, and how they run)."""

from __future__ import annotations

import pytest
from compliance_doubles import module_of_doubles

FAULTS = [
    "unsigned-firmware",
    "default-password",
    "authorization-key-readable",
    "no-tamper-event",
    "owner-tls10",
    "security-log-editable",
]
pytestmark = [pytest.mark.timeout(900), pytest.mark.slow]

runs, test_reports_exactly_the_broken_rules = module_of_doubles(FAULTS)
