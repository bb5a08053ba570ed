"""Simulated hardware on a clock that stands still unless a test advances it."""

from datetime import UTC, datetime

import pytest

from smartcharge.chargepoint.hardware.simulated import SimulatedHardware
from smartcharge.sim.clock import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2024, 6, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def hardware(clock: ManualClock) -> SimulatedHardware:
    return SimulatedHardware(clock)
