"""The compliance scenarios, one module per rule group of the regulations."""

from smartcharge.compliance.scenarios import (
    delay,
    dsr,
    offline,
    offpeak,
    owner,
    security,
    smart,
    software,
)
from smartcharge.compliance.scenarios.base import Scenario

# Long ones first, so that running a few at once finishes soonest; the off-peak ones, which need
# their charger ready before a given simulated minute, start once the first wave has booted.
SCENARIOS: tuple[Scenario, ...] = (
    *delay.SCENARIOS,
    *smart.SCENARIOS,
    *offpeak.SCENARIOS,
    *offline.SCENARIOS,
    *dsr.SCENARIOS,
    *security.SCENARIOS,
    *software.SCENARIOS,
    *owner.SCENARIOS,
)

__all__ = ["SCENARIOS", "Scenario"]
