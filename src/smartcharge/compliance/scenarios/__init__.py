"""The compliance scenarios, one module per rule group of the regulations."""

from smartcharge.compliance.scenarios import delay, dsr, offline, offpeak, security, smart
from smartcharge.compliance.scenarios.base import Scenario

# The longest first, so that running a few at once finishes soonest.
SCENARIOS: tuple[Scenario, ...] = (
    *offpeak.SCENARIOS,
    *delay.SCENARIOS,
    *smart.SCENARIOS,
    *offline.SCENARIOS,
    *dsr.SCENARIOS,
    *security.SCENARIOS,
)

__all__ = ["SCENARIOS", "Scenario"]
