"""The compliance scenarios, one module per rule group of the regulations."""

from smartcharge.compliance.scenarios import delay, dsr, offline, offpeak, security, smart
from smartcharge.compliance.scenarios.base import Scenario

SCENARIOS: tuple[Scenario, ...] = (
    *smart.SCENARIOS,
    *offline.SCENARIOS,
    *dsr.SCENARIOS,
    *offpeak.SCENARIOS,
    *delay.SCENARIOS,
    *security.SCENARIOS,
)

__all__ = ["SCENARIOS", "Scenario"]
