"""The station: the charger's connectors, driven by one tick per simulated second.

Each tick: expire reservations (reservations.py), notice sessions starting and ending
(sessions.py), ask the charging decision for every connector and drive the pilot and contactor
(charge_control.py; the decision itself is chargepoint/charging/), sample the meters (R9, R11:
metering.py) and report status (status.py). Availability is availability.py, the tamper latch
tamper.py, the state they share station_state.py. This module keeps the wiring and the tick.
Every transaction message is queued in the durable outbox before anything is sent; the station
never talks to the network itself: `online` gives it the current connection, if any.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from smartcharge.chargepoint.authorization import Authorizer
from smartcharge.chargepoint.charge_control import PROFILES_KEY, RANDOM_DELAY_KEY
from smartcharge.chargepoint.charging import in_peak, targets
from smartcharge.chargepoint.charging.horizon import next_time_change
from smartcharge.chargepoint.connector import Connector
from smartcharge.chargepoint.hardware.ports import Hardware
from smartcharge.chargepoint.metering import SAMPLE_FLUSH_EVERY_S, aligned_slot, aligned_start
from smartcharge.chargepoint.owner_controls import OwnerControls
from smartcharge.chargepoint.smart_charging.installed import Installed
from smartcharge.chargepoint.station_state import Online, Settings
from smartcharge.chargepoint.store import Store
from smartcharge.chargepoint.tamper import TAMPER_KEY, Tamper
from smartcharge.clock import Clock

log = logging.getLogger("smartcharge.chargepoint.station")

PRUNE_EVERY_S = 3600  # history past its retention (store.SESSION/SAMPLE_RETENTION) goes hourly
GRID_SLACK_S = 0.05  # a timer may fire a hair early; a tick this close to the grid is on it


class Station(Tamper):
    """The charger's connectors, driven by one tick a simulated second (see the module)."""

    def __init__(
        self,
        *,
        hardware: Hardware,
        store: Store,
        settings: Settings,
        authorizer: Authorizer,
        clock: Clock,
        max_current_a: float,
        phases: int,
        controls: OwnerControls | None = None,
        rng: random.Random | None = None,
        site_limit_a: float | None = None,
        resume_after_power_loss: bool = True,
    ) -> None:
        self.hw = hardware
        self.resume_after_power_loss = resume_after_power_loss
        self.store = store
        self.settings = settings
        self.auth = authorizer
        self.clock = clock
        self.max_current_a = max_current_a
        self.phases = phases
        self.online: Online | None = None
        self.clock_trusted: Callable[[], bool] = lambda: True  # clock_trust.py (app.py sets it)
        self.controls = controls or OwnerControls(store)
        self.controls.on_change(self.poke)  # an owner's change is decided on at once
        # The delay maximum shapes the default hours (R17): a change is decided on at once too,
        # whoever made it (the owner's API, the central system's ChangeConfiguration).
        if RANDOM_DELAY_KEY in settings:
            settings.on_change(RANDOM_DELAY_KEY, lambda _value: self.poke())
        self.rng = rng or secrets.SystemRandom()  # R22: a CSPRNG unless a test seeds one
        self.site_limit_a = site_limit_a
        self.connectors = {
            n: Connector(n, hw, operative=store.setting(f"availability.{n}") != "Inoperative")
            for n, hw in sorted(hardware.connectors.items())
        }
        self.operative = store.setting("availability.0") != "Inoperative"
        # R36: after a tamper alarm no energy flows until the owner or installer clears it;
        # kept in the store so a power cycle does not clear it.
        self.tampered = store.setting(TAMPER_KEY) is not None
        # Told when a write failed (SecurityEvents.storage_failed): True for a full disk, which
        # the station survives; anything else is a fault and propagates.
        self.storage_failed: Callable[[str, BaseException], bool] | None = None
        self.profiles = Installed.loads(store.setting(PROFILES_KEY) or "[]", self._profile_limits())
        self._scheduled_station: bool | None = None  # ChangeAvailability(0) answered Scheduled
        self._samples: list[tuple[datetime, int, float, float]] = []
        self._last_flush = clock.monotonic()
        self._aligned_slot: tuple[int, int | None] = (0, None)  # (interval, slot) last tick
        self._poke = asyncio.Event()
        # Awaited before each tick of the grid: the devices' fresh poll (hardware/devices/build.py)
        self.before_tick: Callable[[], Awaitable[None]] | None = None
        self.reboot_requested: asyncio.Event = asyncio.Event()
        self.reboot_kind = ""
        self._tasks: set[asyncio.Task[Any]] = set()

    async def run(self) -> None:
        """The tick loop: one pass a simulated second, sooner when something happens."""
        self.recover()
        self.store.prune(self.clock.now())
        last_prune = self.clock.monotonic()
        self.poke()
        next_tick = self.clock.monotonic()
        while True:
            # A tick of the grid (not one a poke brought) samples the meters: read them now.
            if self.before_tick is not None and self.clock.monotonic() >= next_tick - GRID_SLACK_S:
                await self.before_tick()
            self._tick()
            mono = self.clock.monotonic()
            if mono - last_prune >= PRUNE_EVERY_S:
                self._storing("history", self.store.prune, self.clock.now())
                last_prune = mono
            # Ticks keep to a fixed one-second grid (R11: a reading every second): a late tick
            # does not push the schedule back; a tick missed entirely is skipped, not repeated.
            if next_tick <= mono:
                next_tick += math.floor(mono - next_tick) + 1.0
            await self._wait(next_tick - mono)

    async def _wait(self, seconds: float) -> None:
        sleeper = asyncio.ensure_future(self.clock.sleep(seconds))
        poked = asyncio.ensure_future(self._poke.wait())
        try:
            await asyncio.wait({sleeper, poked}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            poked.cancel()
        self._poke.clear()

    async def shutdown(self) -> None:
        for t in list(self._tasks):
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._storing("samples", self.flush_samples)

    def _tick(self) -> None:
        now = self.clock.now()
        mono = self.clock.monotonic()
        self._storing("reservations", self._expire_reservations, now)
        interval = self.settings.int_value("ClockAlignedDataInterval")
        slot = aligned_slot(now, interval)
        # A new interval began since the last tick; a changed ClockAlignedDataInterval is not one.
        aligned_due = (
            slot is not None
            and self._aligned_slot[0] == interval
            and (self._aligned_slot[1] is not None and slot != self._aligned_slot[1])
        )
        self._aligned_slot = (interval, slot)
        for c in self.connectors.values():
            self._storing("transactions", self._session_changes, c, mono)
        owner = self._owner_rules()
        decisions = targets(
            now,
            mono,
            self._sessions(now),
            {n: c.control for n, c in self.connectors.items()},
            owner,
            self._supply(now),
        )
        peak = in_peak(now, owner)
        for c in self.connectors.values():
            self._drive(c, decisions[c.id], mono, peak)
            reading = c.hw.meter.read()
            self._samples.append((now, c.id, reading.power_w, reading.energy_import_wh))
            if c.tx_local_id is not None and mono >= c.next_sample_mono:
                self._storing("meter values", self._periodic_sample, c, now, mono)
            if aligned_due:
                self._storing("meter values", self._aligned_sample, c, now)
        if mono - self._last_flush >= SAMPLE_FLUSH_EVERY_S:
            self._storing("samples", self.flush_samples)
        self._report_statuses(mono)

    def next_due(self) -> float:
        """The monotonic time of the next tick that could do more than take the per-second
        power reading (R11): a delay ending, a timed rule of the decision changing
        (charging/horizon.py), a meter value due, a reservation expiring, a status waiting out
        its minimum duration. The station still ticks every second; a test harness on a manual
        clock jumps here (tests/support/station_harness.py). Conservative: one second on while
        a profile is installed, a status or a card waits, or the clock cannot be trusted. The
        car's own physics (a full battery) is the harness's to bound."""
        now, mono = self.clock.now(), self.clock.monotonic()
        soon = mono + 1.0
        reporting = self.online is not None and self.online.ready  # status.py: else none sent
        waiting = any(
            (reporting and c.status != c.reported) or c.authorized is not None or c.finishing
            for c in self.connectors.values()
        )
        if waiting or len(self.profiles) > 0 or not self.clock_trusted():
            return soon
        due: list[float] = []
        for c in self.connectors.values():
            if c.control.rate.deadline is not None:
                due.append(c.control.rate.deadline)
            if c.tx_local_id is not None and self._sample_interval() < math.inf:
                due.append(c.next_sample_mono)
        interval = self.settings.int_value("ClockAlignedDataInterval")
        times = [r.expires_at for r in self.store.reservations()]
        if interval > 0:
            times.append(aligned_start(now, interval) + timedelta(seconds=interval))
        change = next_time_change(now, self._owner_rules())
        if change is not None:
            times.append(change)
        due += [mono + (t - now).total_seconds() for t in times]
        # On the tick grid (whole seconds from the first tick), never before the next tick.
        return max(soon, float(math.ceil(min(due, default=math.inf) - 1e-9)))
