"""THE charging decision: how much each connector may draw now, and why.

Pure (no I/O, no asyncio, no store; tests/chargepoint/charging/test_purity.py checks it). Read
in this order:

- `decision.py`: `decide`, the one decision for every connector at one instant, "connector n
  may draw X A now, because Y": hardware and installation limit (R8), default charging hours
  (R14-R18), the owner's schedule, the central system's profiles, DSR events (R4, R19), and the
  charge point's total and the site limit shared between connectors;
- `caps.py`: R8 over R24, the caps still hold while a random delay keeps an old rate;
- `delayed_rate.py`: the randomised delay as it runs on one connector (R21-R26);
- `controller.py`: a controller per connector, turning its session's profiles and the owner's
  controls into a rate with its cause, and `targets`, a tick's decisions for all connectors.

The station (station.py) gathers the facts once a tick, asks `targets`, steps each connector's
controller and drives the hardware with the result.
"""

from smartcharge.chargepoint.charging.caps import tightest, within_caps
from smartcharge.chargepoint.charging.controller import (
    ConnectorController,
    OwnerRules,
    SessionFacts,
    Supply,
    in_peak,
    profile_flags_id,
    session_facts,
    targets,
)
from smartcharge.chargepoint.charging.decision import (
    IDLE,
    ConnectorInput,
    Decision,
    DsrEvent,
    OwnerSchedule,
    ProfileFlags,
    decide,
)
from smartcharge.chargepoint.charging.delayed_rate import DelayedRate

__all__ = [
    "IDLE",
    "ConnectorController",
    "ConnectorInput",
    "Decision",
    "DelayedRate",
    "DsrEvent",
    "OwnerRules",
    "OwnerSchedule",
    "ProfileFlags",
    "SessionFacts",
    "Supply",
    "decide",
    "in_peak",
    "profile_flags_id",
    "session_facts",
    "targets",
    "tightest",
    "within_caps",
]
