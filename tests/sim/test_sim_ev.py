"""SimulatedEV: pure physics (IEC 61851 draw rules, taper, phases, energy conservation)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcharge.sim.ev import (
    MIN_CURRENT_A,
    NO_CURRENT,
    TAPER_END_FRACTION,
    TAPER_START_SOC,
    SimulatedEV,
)


def ev(**kw: Any) -> SimulatedEV:
    params: dict[str, Any] = {"battery_kwh": 60.0, "soc": 20.0, "max_power_w": 7400.0}
    return SimulatedEV(**(params | kw))


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"battery_kwh": 0.0}, "battery_kwh"),
        ({"battery_kwh": -1.0}, "battery_kwh"),
        ({"battery_kwh": math.nan}, "battery_kwh"),
        ({"max_power_w": 0.0}, "max_power_w"),
        ({"max_power_w": math.inf}, "max_power_w"),
        ({"soc": -0.1}, "soc"),
        ({"soc": 100.1}, "soc"),
        ({"soc": math.nan}, "soc"),
        ({"phases": 2}, "phases"),
        ({"phases": 0}, "phases"),
    ],
)
def test_rejects_impossible_evs(kw: dict[str, float], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        ev(**kw)


def test_draws_nothing_unless_offered_6a_with_contactor_closed() -> None:
    car = ev()
    assert car.current_a(32.0, contactor_closed=False) == NO_CURRENT
    assert car.current_a(MIN_CURRENT_A - 0.01, contactor_closed=True) == NO_CURRENT
    assert car.current_a(MIN_CURRENT_A, contactor_closed=True) == (6.0, 6.0, 6.0)
    assert car.draw(32.0, False, 60.0) == NO_CURRENT
    assert car.soc == 20.0 and car.charged_wh == 0.0


def test_paused_or_full_draws_nothing_and_wants_no_energy() -> None:
    car = ev(paused=True)
    assert not car.wants_energy
    assert car.draw(32.0, True, 10.0) == NO_CURRENT
    car.paused = False
    assert car.wants_energy
    full = ev(soc=100.0)
    assert full.full and not full.wants_energy
    assert full.draw(32.0, True, 10.0) == NO_CURRENT


def test_single_phase_ev_draws_on_l1_only() -> None:
    car = ev(phases=1, max_power_w=7400.0)
    assert car.current_a(32.0, True) == (32.0, 0.0, 0.0)
    assert car.power_w(car.current_a(32.0, True)) == pytest.approx(7360.0)


def test_three_phase_ev_limited_by_its_charger_and_by_the_offer() -> None:
    car = ev(phases=3, max_power_w=11_000.0)
    amps = 11_000.0 / (230.0 * 3)
    assert car.current_a(32.0, True) == pytest.approx((amps, amps, amps))
    assert car.current_a(10.0, True) == (10.0, 10.0, 10.0)


def test_three_phase_ev_on_single_phase_supply_uses_one_phase() -> None:
    car = ev(phases=3, max_power_w=11_000.0)
    assert car.phases_used(supply_phases=1) == 1
    assert car.current_a(32.0, True, supply_phases=1) == (32.0, 0.0, 0.0)


def test_taper_starts_at_80_and_ends_near_zero() -> None:
    car = ev(max_power_w=10_000.0)
    car.soc = TAPER_START_SOC
    assert car.acceptance_w() == 10_000.0
    car.soc = 90.0
    assert car.acceptance_w() == pytest.approx(10_000.0 * (1 + TAPER_END_FRACTION) / 2)
    car.soc = 99.999
    assert car.acceptance_w() < 0.06 * 10_000.0
    car.soc = 100.0
    assert car.current_a(32.0, True) == NO_CURRENT


@given(st.floats(0, 100), st.floats(0, 100))
def test_taper_never_increases_with_soc(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    assert ev(soc=hi).acceptance_w() <= ev(soc=lo).acceptance_w()


def test_fills_exactly_and_scales_the_last_step() -> None:
    car = ev(battery_kwh=10.0, soc=99.0, max_power_w=7400.0, phases=1)
    dt = 3600.0  # far longer than the 100 Wh of room left takes at 7.36 kW
    currents = car.draw(32.0, True, dt)
    assert car.soc == 100.0
    assert car.charged_wh == pytest.approx(100.0)
    assert car.power_w(currents) * dt / 3600.0 == pytest.approx(100.0)
    assert not car.wants_energy


def test_steady_for_s() -> None:
    car = ev(battery_kwh=60.0, soc=79.0, max_power_w=7360.0, phases=1)
    assert car.steady_for_s(32.0, False) == math.inf
    # 1 % of 60 kWh = 600 Wh at 7360 W
    assert car.steady_for_s(32.0, True) == pytest.approx(600.0 / 7360.0 * 3600.0)
    car.soc = 85.0
    assert car.steady_for_s(32.0, True) == 0.0


steps = st.lists(
    st.tuples(
        st.sampled_from([0.0, 5.9, 6.0, 10.0, 16.0, 32.0, 63.0]),  # offered A
        st.booleans(),  # contactor
        st.floats(0.0, 900.0),  # dt, s
    ),
    max_size=40,
)


@given(
    battery_kwh=st.floats(1.0, 250.0),
    soc=st.floats(0.0, 100.0),
    max_power_w=st.floats(1000.0, 350_000.0),
    phases=st.sampled_from([1, 3]),
    supply=st.sampled_from([1, 3]),
    plan=steps,
)
def test_energy_is_conserved(
    battery_kwh: float,
    soc: float,
    max_power_w: float,
    phases: int,
    supply: int,
    plan: list[tuple[float, bool, float]],
) -> None:
    car = SimulatedEV(battery_kwh=battery_kwh, soc=soc, max_power_w=max_power_w, phases=phases)
    integrated_wh = 0.0
    for offered, closed, dt in plan:
        currents = car.draw(offered, closed, dt, supply)
        assert all(0.0 <= i <= max(offered, 0.0) + 1e-9 for i in currents)
        assert sum(1 for i in currents if i > 0) <= car.phases_used(supply)
        integrated_wh += car.power_w(currents) * dt / 3600.0
    assert 0.0 <= car.soc <= 100.0
    assert car.charged_wh == pytest.approx(integrated_wh, rel=1e-9, abs=1e-9)
    assert car.charged_wh == pytest.approx(
        (car.soc - soc) / 100.0 * battery_kwh * 1000.0, rel=1e-9, abs=1e-6
    )


def test_is_deterministic() -> None:
    def run() -> tuple[float, float]:
        car = ev(soc=78.0, battery_kwh=40.0, max_power_w=11_000.0)
        for _ in range(5000):
            car.draw(16.0, True, 1.0)
        return car.soc, car.charged_wh

    assert run() == run()


def test_rejects_bad_dt() -> None:
    with pytest.raises(ValueError, match="dt_s"):
        ev().draw(32.0, True, -1.0)
