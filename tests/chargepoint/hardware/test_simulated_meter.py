"""SimulatedMeter: lazy integration over the injected clock, error injection, per-phase readings."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest

from smartcharge.chargepoint.hardware.simulated import SimulatedConnector, SimulatedHardware
from smartcharge.sim.clock import ManualClock, SimulatedClock
from smartcharge.sim.ev import TAPER_START_SOC, SimulatedEV


@pytest.fixture
def clock() -> ManualClock:
    # Time stands still unless a test advances it (the fixtures are per module, not in a
    # conftest, so no module named `conftest` of ours can shadow another test folder's).
    return ManualClock(datetime(2024, 6, 1, 12, 0, tzinfo=UTC))


def charging(
    clock: ManualClock | SimulatedClock,
    *,
    supply_phases: int = 1,
    ev_phases: int = 1,
    max_power_w: float = 7400.0,
    battery_kwh: float = 60.0,
    soc: float = 20.0,
    offered: float = 32.0,
    error: float = 0.0,
) -> SimulatedConnector:
    hw = SimulatedHardware(clock, connectors=1, phases=supply_phases, meter_error_fraction=error)
    hw.plug(1, battery_kwh=battery_kwh, soc=soc, max_power_w=max_power_w, phases=ev_phases)
    c = hw.simulated_connectors[1]
    c.set_offered_current(offered)
    c.set_contactor(True)
    return c


async def test_an_hour_at_32a_single_phase_is_7_36_kwh(clock: ManualClock) -> None:
    c = charging(clock)
    await clock.advance(3600)
    r = c.meter.read()
    assert r.energy_import_wh == pytest.approx(7360.0, abs=1e-6)
    assert r.power_w == pytest.approx(7360.0)
    assert r.current_a == (32.0, 0.0, 0.0)
    assert r.voltage_v == (230.0, 0.0, 0.0)  # single-phase supply
    assert r.energy_export_wh == 0.0
    assert r.soc_percent == pytest.approx(20.0 + 7360.0 / 60_000.0 * 100.0)


async def test_single_phase_ev_on_three_phase_supply(clock: ManualClock) -> None:
    c = charging(clock, supply_phases=3, ev_phases=1)
    await clock.advance(60)
    r = c.meter.read()
    assert r.current_a == (32.0, 0.0, 0.0)  # current only where the EV draws
    assert r.voltage_v == (230.0, 230.0, 230.0)


async def test_three_phase_ev(clock: ManualClock) -> None:
    c = charging(clock, supply_phases=3, ev_phases=3, max_power_w=22_000.0, offered=16.0)
    await clock.advance(1800)
    r = c.meter.read()
    assert r.current_a == (16.0, 16.0, 16.0)
    assert r.energy_import_wh == pytest.approx(16.0 * 230.0 * 3 / 2, abs=1e-6)


async def test_nothing_is_metered_before_the_contactor_closes(clock: ManualClock) -> None:
    hw = SimulatedHardware(clock, connectors=1)
    hw.plug(1, battery_kwh=60.0, soc=20.0, max_power_w=7400.0)
    c = hw.simulated_connectors[1]
    c.set_offered_current(32.0)
    await clock.advance(3600)
    assert c.meter.read().energy_import_wh == 0.0
    c.set_contactor(True)
    await clock.advance(60)
    assert c.meter.read().energy_import_wh > 0.0


async def test_changes_take_effect_at_the_instant_they_happen(clock: ManualClock) -> None:
    c = charging(clock)
    await clock.advance(3600)
    c.set_offered_current(16.0)  # integrates the first hour at 32 A before changing
    await clock.advance(3600)
    c.set_contactor(False)
    await clock.advance(3600)
    assert c.meter.read().energy_import_wh == pytest.approx(7360.0 + 3680.0, abs=1e-6)
    c.set_contactor(True)
    await clock.advance(1800)
    c.simulated_meter.true_energy_wh  # noqa: B018 - an extra look changes nothing
    hw_ev = c.unplug()
    await clock.advance(3600)
    assert c.meter.read().energy_import_wh == pytest.approx(7360.0 + 3680.0 + 1840.0, abs=1e-6)
    assert hw_ev.charged_wh == pytest.approx(7360.0 + 3680.0 + 1840.0, abs=1e-6)


async def test_reading_often_or_rarely_gives_the_same_energy(clock: ManualClock) -> None:
    often = charging(clock)
    rarely = charging(clock)
    for _ in range(600):
        await clock.advance(1.0)
        often.meter.read()
    assert often.meter.read().energy_import_wh == pytest.approx(
        rarely.meter.read().energy_import_wh, rel=1e-12
    )


async def test_taper_then_full_conserves_energy(clock: ManualClock) -> None:
    c = charging(clock, battery_kwh=60.0, soc=70.0)
    started = time.perf_counter()
    await clock.advance(24 * 3600)  # well past full
    r = c.meter.read()
    assert time.perf_counter() - started < 2.0  # a simulated day stays cheap
    assert r.soc_percent == 100.0
    assert r.power_w == 0.0
    assert r.energy_import_wh == pytest.approx(0.30 * 60_000.0, rel=1e-9)


async def test_taper_reduces_power(clock: ManualClock) -> None:
    c = charging(clock, battery_kwh=10.0, soc=79.0, max_power_w=7000.0)
    assert c.meter.read().power_w == pytest.approx(7000.0)
    while (c.meter.read().soc_percent or 0.0) < 95.0:
        await clock.advance(60)
    assert c.meter.read().power_w < 0.3 * 7000.0


async def test_five_percent_error_reads_five_percent_high(clock: ManualClock) -> None:
    c = charging(clock, error=0.05)
    await clock.advance(3600)
    measured, true = c.meter.read(), c.simulated_meter.true_reading()
    assert true.energy_import_wh == pytest.approx(7360.0, abs=1e-6)
    assert measured.energy_import_wh == pytest.approx(1.05 * 7360.0, abs=1e-6)
    assert measured.power_w == pytest.approx(1.05 * true.power_w)
    assert measured.current_a == pytest.approx(tuple(1.05 * i for i in true.current_a))
    assert measured.voltage_v == true.voltage_v
    assert measured.soc_percent == true.soc_percent


async def test_changing_the_error_only_affects_what_follows(clock: ManualClock) -> None:
    c = charging(clock)
    await clock.advance(3600)
    c.simulated_meter.error_fraction = 0.10
    await clock.advance(3600)
    assert c.meter.read().energy_import_wh == pytest.approx(7360.0 + 1.10 * 7360.0, abs=1e-6)
    c.simulated_meter.error_fraction = -0.10
    assert c.meter.read().energy_import_wh == pytest.approx(7360.0 + 1.10 * 7360.0, abs=1e-6)
    with pytest.raises(ValueError, match="error_fraction"):
        c.simulated_meter.error_fraction = -1.0


async def test_simulated_clock_at_speed_60_stays_exact() -> None:
    clock = SimulatedClock(speed=60.0)
    t0 = clock.monotonic()
    c = charging(clock)  # 7360 W from some instant in [t0, t1]
    t1 = clock.monotonic()
    await asyncio.sleep(0.2)  # about 12 simulated seconds
    t2 = clock.monotonic()
    energy = c.meter.read().energy_import_wh  # up to some instant in [t2, t3]
    t3 = clock.monotonic()
    assert t2 - t1 >= 11.0
    assert 7360.0 * (t2 - t1) / 3600.0 <= energy <= 7360.0 * (t3 - t0) / 3600.0


def reference_wh(soc: float, seconds: int, step_s: float, **ev: float) -> float:
    """The EV alone, stepped finely by hand: what the meter's lazy integration must agree with."""
    car = SimulatedEV(
        battery_kwh=ev["battery_kwh"], soc=soc, max_power_w=ev["max_power_w"], phases=1
    )
    for _ in range(round(seconds / step_s)):
        car.draw(32.0, True, step_s, 1)
    return car.charged_wh


@pytest.mark.parametrize("soc", [85.0, 70.0])
async def test_one_late_read_follows_the_taper_step_by_step(clock: ManualClock, soc: float) -> None:
    c = charging(clock, battery_kwh=60.0, soc=soc, max_power_w=7400.0)
    await clock.advance(3 * 3600)  # into and through the taper in one read
    energy = c.meter.read().energy_import_wh
    fine = reference_wh(soc, 3 * 3600, 0.1, battery_kwh=60.0, max_power_w=7400.0)
    assert energy == pytest.approx(fine, rel=1e-3)
    if soc >= TAPER_START_SOC:  # steps line up exactly with a 1 s reference
        assert energy == pytest.approx(
            reference_wh(soc, 3 * 3600, 1.0, battery_kwh=60.0, max_power_w=7400.0), rel=1e-12
        )
