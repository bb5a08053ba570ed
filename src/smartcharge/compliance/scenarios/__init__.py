"""The compliance scenarios, one module per rule group of the regulations."""

from smartcharge.compliance.scenarios import (
    credentials,
    delay,
    delay_exemptions,
    delay_pairs,
    dsr,
    firmware,
    inputs,
    offline,
    offpeak,
    owner,
    session,
    shipped,
    smart,
    software,
    tls,
)
from smartcharge.compliance.scenarios.base import Scenario

# Long ones first, so that running a few at once finishes soonest; the off-peak ones, which need
# their charger ready before a given simulated minute, start once the first wave has booted.
SCENARIOS: tuple[Scenario, ...] = (
    *delay.SCENARIOS,
    *delay_exemptions.SCENARIOS,
    *delay_pairs.SCENARIOS,
    *smart.SCENARIOS,
    *offpeak.SCENARIOS,
    *offline.SCENARIOS,
    *dsr.SCENARIOS,
    *inputs.SCENARIOS,
    *credentials.SCENARIOS,
    *firmware.SCENARIOS,
    *tls.SCENARIOS,
    *software.SCENARIOS,
    *owner.SCENARIOS,
    *shipped.SCENARIOS,
    *session.SCENARIOS,
)

__all__ = ["SCENARIOS", "Scenario"]
