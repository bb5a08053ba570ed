"""Which clock and which hardware a charger runs on, from its config (the composition root's
choices, kept here so app.py stays the wiring).

- The clock: the system clock (wall time as NTP corrects it; monotonic time for delays) unless
  `[simulator]` sets its own timeline (a `start_time`, or a `speed` other than 1).
- The hardware: the whole-charger simulator (`[hardware] kind = "simulated"`, with its control
  API), or the device drivers (`kind = "devices"`, polled in the background). The drivers and
  pymodbus are imported only when chosen.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from smartcharge.chargepoint.clock_trust import ClockTrust, kernel_synchronised
from smartcharge.chargepoint.hardware.simulated.hardware import SimulatedHardware
from smartcharge.clock import Clock, SystemClock
from smartcharge.sim.clock import SimulatedClock

if TYPE_CHECKING:
    from smartcharge.chargepoint.config import ChargePointConfig
    from smartcharge.chargepoint.hardware.devices.build import DeviceHardware
    from smartcharge.chargepoint.hardware.simulated.control_api import ControlApi

log = logging.getLogger("smartcharge.chargepoint")


def production_clock(config: ChargePointConfig) -> Clock:
    sim = config.simulator
    if sim.start_time is None and sim.speed == 1:
        return SystemClock()
    return SimulatedClock(sim.start_time, sim.speed)


def clock_trust(config: ChargePointConfig, clock: Clock) -> ClockTrust:
    """Simulated clocks and a board with a real-time clock are trusted from boot; the system
    clock once NTP or the central system has set it (clock_trust.py)."""
    return ClockTrust(always=config.clock.rtc or not isinstance(clock, SystemClock))


def build_hardware(config: ChargePointConfig, clock: Clock) -> SimulatedHardware | DeviceHardware:
    if config.hardware.kind == "simulated-devices":
        from smartcharge.chargepoint.hardware.device_sims.wired import WiredSimulation

        world = _simulated(config, clock)
        return WiredSimulation(
            world,
            max_current_a=config.max_current_a,
            phases=config.phases,
            monotonic=clock.monotonic,
        )
    if config.hardware.kind == "devices":
        from smartcharge.chargepoint.hardware.devices.build import DeviceHardware

        return DeviceHardware(
            config.hardware,
            connectors=config.connectors,
            max_current_a=config.max_current_a,
            phases=config.phases,
            monotonic=clock.monotonic,
        )
    return _simulated(config, clock)


def _simulated(config: ChargePointConfig, clock: Clock) -> SimulatedHardware:
    return SimulatedHardware(
        clock,
        connectors=config.connectors,
        max_current_a=config.max_current_a,
        phases=config.phases,
        meter_error_fraction=config.hardware.meter_error_fraction,
    )


def ntp_authoritative(clock: Clock) -> Callable[[], bool]:
    """Whether NTP keeps the clock right (only the system clock can be)."""
    return kernel_synchronised if isinstance(clock, SystemClock) else (lambda: False)


class HardwareRunner:
    """Starts what the chosen hardware needs beside the charge point: the simulator's control
    API, or the drivers' poll loop (after one full poll, so the first boot sees real states)."""

    def __init__(
        self,
        config: ChargePointConfig,
        hardware: SimulatedHardware | DeviceHardware,
        state: Callable[[], dict[int, dict[str, Any]]],
        poke: Callable[[], None],
    ) -> None:
        self.config = config
        self.hardware = hardware
        self.control: ControlApi | None = None
        self._poller: asyncio.Task[None] | None = None
        self.world = getattr(hardware, "world", hardware)  # the simulation, if any
        if isinstance(self.world, SimulatedHardware):
            # Imported here: a charger on devices serves no control API (aiohttp stays unloaded).
            from smartcharge.chargepoint.hardware.simulated.control_api import ControlApi

            self.control = ControlApi(self.world, state_provider=state)
        if not isinstance(hardware, SimulatedHardware):
            hardware.on_change(poke)

    @property
    def simulator(self) -> SimulatedHardware:
        """The simulated charger; an error on a charger that runs on devices."""
        if not isinstance(self.world, SimulatedHardware):
            raise RuntimeError("this charger runs on devices, not the simulator")
        return self.world

    @property
    def control_port(self) -> int:
        if self.control is None:
            raise RuntimeError("no simulator control API: this charger runs on devices")
        return self.control.port

    async def start(self) -> None:
        if self.control is not None:
            sim = self.config.simulator
            await self.control.start(sim.control_host, sim.control_port)
            log.info("simulator control API on port %s", self.control.port)
        hardware = self.hardware
        if isinstance(hardware, SimulatedHardware):
            return
        serve = getattr(hardware, "serve", None)
        if serve is not None:
            await serve()  # simulated devices on the wire
        hardware.open_gpio()
        await hardware.poll()
        self._poller = asyncio.ensure_future(hardware.run())

    def fresh_readings(self) -> Callable[[], Awaitable[None]] | None:
        """What the station awaits before each tick of its grid: a poll of the devices. None on
        the simulator (its readings are always current) and on a simulated clock faster than
        real time, where a poll would hold the tick for many simulated seconds."""
        if isinstance(self.hardware, SimulatedHardware) or self.config.simulator.speed != 1:
            return None
        return self.hardware.fresh

    async def stop(self) -> None:
        if self.control is not None:
            await self.control.stop()
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
        stop_serving = getattr(self.hardware, "stop_serving", None)
        if stop_serving is not None:
            await stop_serving()
