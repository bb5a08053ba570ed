"""When the drivers' poll loop polls: one poll starts just before each station tick, so the
MeterValues the tick sends carry a reading milliseconds old, and polls are never further apart
than the poll interval (the fault rule's second relies on it)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from smartcharge.chargepoint.hardware.devices.build import pause_before

INTERVAL = 0.15
LEAD = 0.04


def test_without_a_tick_the_loop_polls_every_interval() -> None:
    assert pause_before(10.0, None, LEAD, INTERVAL) == INTERVAL


def test_a_tick_within_reach_is_met_by_a_poll_starting_its_lead_before_it() -> None:
    assert pause_before(10.0, 10.1, LEAD, INTERVAL) == 10.1 - LEAD - 10.0


def test_a_tick_beyond_the_interval_waits_for_a_later_poll() -> None:
    assert pause_before(10.0, 10.5, LEAD, INTERVAL) == INTERVAL


def test_once_the_poll_for_a_tick_is_done_the_loop_keeps_its_interval() -> None:
    # Just polled inside the lead window (or the station has not moved its tick on yet).
    assert pause_before(10.07, 10.1, LEAD, INTERVAL) == INTERVAL
    assert pause_before(10.2, 10.1, LEAD, INTERVAL) == INTERVAL


@given(
    now=st.floats(0, 1e6),
    ahead=st.floats(-2, 2),
    lead=st.floats(0, 1),
    interval=st.floats(0.1, 1.0),
)
def test_polls_are_never_further_apart_than_the_interval(
    now: float, ahead: float, lead: float, interval: float
) -> None:
    assert 0 < pause_before(now, now + ahead, lead, interval) <= interval
