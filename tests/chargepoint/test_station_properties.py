"""Whole-station properties under random sequences of owner, grid and car events, on a manual
clock, over a real store and the simulated hardware (hypothesis).

Near each weekday peak boundary (UK time, on both sides of the October clock change), cars plug
in and out, the owner says "charge now" or skips a delay, DSR events arrive and the delay maximum
changes. After every one-second tick:

- R8: no connector is offered more than the hardware limit, and together never more than the
  site supply limit;
- R24: while a random delay runs on a connector, its offered current is the one it had before;
- R17: outside the default charging hours energy is only offered to a session whose owner said
  "charge now" — the windows end early by the delay maximum, so a delayed stop never lands in
  peak hours.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartcharge.chargepoint.authorization import Authorizer
from smartcharge.chargepoint.charging import DsrEvent
from smartcharge.chargepoint.configuration_keys import Configuration
from smartcharge.chargepoint.hardware.simulated.hardware import SimulatedHardware
from smartcharge.chargepoint.key_catalogue import STANDARD_KEYS, UK_KEYS
from smartcharge.chargepoint.station import Station
from smartcharge.chargepoint.store import Store
from smartcharge.regulations import is_peak
from smartcharge.sim.clock import ManualClock

HARDWARE_A = 32.0
SITE_A = 40.0

# Minutes before a weekday's peak boundaries (UK time): 08:00 and 16:00 start a peak, 11:00 and
# 22:00 end one. Monday 19 October 2026 is BST; Monday 26 October is GMT.
BOUNDARIES_UTC = [
    datetime(2026, 10, 19, 7, 0, tzinfo=UTC),  # 08:00 BST
    datetime(2026, 10, 20, 15, 0, tzinfo=UTC),  # 16:00 BST
    datetime(2026, 10, 21, 21, 0, tzinfo=UTC),  # 22:00 BST
    datetime(2026, 10, 26, 8, 0, tzinfo=UTC),  # 08:00 GMT
    datetime(2026, 10, 27, 11, 0, tzinfo=UTC),  # 11:00 GMT
]

actions = st.lists(
    st.one_of(
        st.tuples(st.just("advance"), st.integers(1, 240)),
        st.tuples(st.just("plug"), st.integers(1, 2)),
        st.tuples(st.just("unplug"), st.integers(1, 2)),
        st.tuples(st.just("charge_now"), st.integers(1, 2)),
        st.tuples(st.just("skip"), st.integers(1, 2)),
        st.tuples(
            st.just("dsr"),
            st.sampled_from(["response", "scheduled"]),
            st.floats(min_value=0, max_value=40),
            st.integers(0, 600),
            st.integers(60, 1800),
        ),
        st.tuples(st.just("delay_max"), st.sampled_from([0, 30, 120, 300])),
    ),
    min_size=1,
    max_size=14,
)


def build(tmp: Path, start: datetime, seed: int) -> tuple[Station, ManualClock, Configuration]:
    clock = ManualClock(start)
    store = Store(tmp / "cp.sqlite")
    configuration = Configuration(
        store,
        (*STANDARD_KEYS, *UK_KEYS),
        defaults={"RandomisedDelayMaxSeconds": "120"},
    )
    hardware = SimulatedHardware(clock, connectors=2, max_current_a=HARDWARE_A)
    station = Station(
        hardware=hardware,
        store=store,
        settings=configuration,
        authorizer=Authorizer(store, configuration, clock),
        clock=clock,
        max_current_a=HARDWARE_A,
        phases=3,
        rng=random.Random(seed),
        site_limit_a=SITE_A,
    )
    return station, clock, configuration


def act(st_: Station, clock: ManualClock, configuration: Configuration, a: tuple[Any, ...]) -> int:
    """Apply one action; return how many seconds to tick through."""
    hw: Any = st_.hw
    kind = a[0]
    if kind == "advance":
        return int(a[1])
    if kind == "plug":
        n = a[1]
        if hw.snapshot()["connectors"][str(n)]["ev_connected"]:
            return 1
        hw.plug(n, battery_kwh=80.0, soc=20.0, max_power_w=22000.0)
        st_.authorize_connector(st_.connectors[n], f"TAG{n}", {"status": "Accepted"})
    elif kind == "unplug":
        if hw.snapshot()["connectors"][str(a[1])]["ev_connected"]:
            hw.unplug(a[1])
    elif kind == "charge_now":
        st_.charge_now(a[1])
    elif kind == "skip":
        st_.skip_delay(a[1])
    elif kind == "dsr":
        _, dsr_kind, limit, in_s, duration = a
        start = clock.now() + timedelta(seconds=in_s)
        st_.controls.add_dsr_event(
            DsrEvent(
                f"e{in_s}-{duration}", dsr_kind, limit, start, start + timedelta(seconds=duration)
            )
        )
    elif kind == "delay_max":
        assert configuration.change("RandomisedDelayMaxSeconds", str(a[1])) == "Accepted"
    return 1


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    boundary=st.sampled_from(BOUNDARIES_UTC),
    before_s=st.integers(0, 900),
    seed=st.integers(0, 2**16),
    steps=actions,
)
async def test_R8_R17_R24_hold_through_any_sequence_of_events(
    tmp_path_factory: Any,
    boundary: datetime,
    before_s: int,
    seed: int,
    steps: list[tuple[Any, ...]],
) -> None:
    station, clock, configuration = build(
        tmp_path_factory.mktemp("station"), boundary - timedelta(seconds=before_s), seed
    )
    try:
        offered = {n: 0.0 for n in station.connectors}
        for a in steps:
            for _ in range(act(station, clock, configuration, a)):
                await clock.advance(1.0)
                station._tick()
                state = station.state()
                now = clock.now()
                for n, c in station.connectors.items():
                    amps = c.hw.offered_current()
                    assert amps <= HARDWARE_A  # R8
                    if state[n]["random_delay_remaining_s"] > 0:
                        assert amps == offered[n], (n, a, state[n])  # R24: the rate is held
                    if amps > 0 and is_peak(now):
                        local = c.tx_local_id
                        assert local is not None and station.controls.charge_now(local), (
                            n,
                            now,
                            state[n],
                        )  # R17
                    offered[n] = amps
                assert sum(offered.values()) <= SITE_A + 1e-6  # R8: the site supply limit
    finally:
        await station.shutdown()
        station.store.close()
