"""The station: connectors, transactions and status, driven by one tick per simulated second.

It owns the charging logic of the core profile: authorise, start and stop transactions, drive
the pilot and contactor, sample the meters (R9, R11), report status (MinimumStatusDuration
honoured) and queue every transaction message in the durable outbox before anything is sent.
It never talks to the network itself: `online` gives it the current connection, if any.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import secrets
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from smartcharge.chargepoint.authorization import Authorizer, IdTagInfo
from smartcharge.chargepoint.charging import (
    ConnectorController,
    Decision,
    OwnerRules,
    SessionFacts,
    Supply,
    session_facts,
    targets,
)
from smartcharge.chargepoint.connector import MIN_OFFERED_A, ConnectorFacts, ocpp_status
from smartcharge.chargepoint.hardware.ports import ConnectorHardware, Hardware, PilotState
from smartcharge.chargepoint.metering import (
    aligned_slot,
    aligned_start,
    meter_value,
    sampled_values,
)
from smartcharge.chargepoint.owner_controls import OwnerControls
from smartcharge.chargepoint.smart_charging.composite import charge_point_cap
from smartcharge.chargepoint.smart_charging.installed import Installed, Limits, allowed_units
from smartcharge.chargepoint.smart_charging.profiles import ProfileError, parse_profile
from smartcharge.chargepoint.store import Reservation, Store
from smartcharge.clock import Clock
from smartcharge.ocpp import uk_extension
from smartcharge.ocpp.times import format_time
from smartcharge.regulations import DEFAULT_MAX_S, RandomDelay

log = logging.getLogger("smartcharge.chargepoint.station")

SAMPLE_FLUSH_EVERY_S = 10  # per-second samples are history, not transaction data: batch them
PROFILES_KEY = "smart_charging.profiles"
TAMPER_KEY = "security.tamper"
SAMPLES_KEPT = 3600  # per connector, in memory while the disk is full (an hour of 1 s samples)
PRUNE_EVERY_S = 3600  # history past its retention (store.SESSION/SAMPLE_RETENTION) goes hourly


class Settings(Protocol):
    def int_value(self, name: str) -> int: ...

    def bool_value(self, name: str) -> bool: ...

    def csl_value(self, name: str) -> list[str]: ...

    def str_value(self, name: str) -> str: ...


class Online(Protocol):
    """The current OCPP connection, as the station sees it."""

    @property
    def ready(self) -> bool:
        """Connected and BootNotification accepted."""
        ...

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]: ...

    def wake_outbox(self) -> None: ...


@dataclass
class Connector:
    id: int
    hw: ConnectorHardware
    operative: bool = True
    scheduled_operative: bool | None = None  # ChangeAvailability answered Scheduled
    tx_local_id: int | None = None
    tx_id_tag: str | None = None
    tx_info: IdTagInfo | None = None
    tx_started_mono: float = 0.0
    tx_started_at: datetime | None = None
    tx_begin_values: list[dict[str, Any]] = field(default_factory=list)
    next_sample_mono: float = 0.0
    authorized: tuple[str, IdTagInfo, float] | None = None  # id tag, info, deadline (monotonic)
    finishing: bool = False
    reported: str | None = None  # last status sent to the central system
    candidate: tuple[str, float] | None = None  # status waiting out MinimumStatusDuration
    status: str = "Available"
    limit_a: float = 0.0
    control: ConnectorController = field(default_factory=ConnectorController)
    pending_profile: dict[str, Any] | None = None  # a RemoteStart's TxProfile, for its session


class Station:
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
        self.reboot_requested: asyncio.Event = asyncio.Event()
        self.reboot_kind = ""
        self._tasks: set[asyncio.Task[Any]] = set()

    # --- lifecycle -----------------------------------------------------------------------------
    def recover(self) -> None:
        """After a restart: sessions left open by a crash or power cut are closed as PowerLoss.

        The meter register reported then is at least the last one queued, so the central system
        never sees energy go backwards. Where the car is still plugged in, charging resumes for the
        same card in a new transaction (`[charging] resume_after_power_loss`); power coming back
        with a car connected is a relevant time, so the first energy waits for the random delay
        (R24) with the cause `power_restore`."""
        resume: list[tuple[Connector, str]] = []
        for s in self.store.open_sessions():
            c = self.connectors.get(s.connector_id)
            reading = c.hw.meter.read() if c else None
            register = max(
                self.store.last_register(s.connector_id),
                round(reading.energy_import_wh) if reading else 0,
                s.meter_start_wh,
            )
            log.warning("closing session %s left open by a restart", s.local_id)
            self.store.stop_transaction(
                s.local_id, meter_stop_wh=register, now=self.clock.now(), reason="PowerLoss"
            )
            if c is not None and self._resumable(c):
                resume.append((c, s.id_tag))
        for c, id_tag in resume:
            # A card the charger knows to be blocked or expired does not resume; otherwise the
            # central system's StartTransaction answer decides (StopTransactionOnInvalidId).
            info = self.auth.known(id_tag) or {"status": "Accepted"}
            if info.get("status") != "Accepted":
                continue
            self.start_transaction(c, id_tag, info)
            c.control.restoring = True
            log.info("connector %s: power restored with a car connected; resuming", c.id)

    def _resumable(self, c: Connector) -> bool:
        plugged = c.hw.pilot_state() in (PilotState.B, PilotState.C, PilotState.D)
        return self.resume_after_power_loss and plugged and self._available(c)

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        """Run background work owned by this station (cancelled on reboot)."""
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())

    async def run(self) -> None:
        """The tick loop: one pass a simulated second, sooner when something happens."""
        self.recover()
        self.store.prune(self.clock.now())
        last_prune = self.clock.monotonic()
        self.poke()
        next_tick = self.clock.monotonic()
        while True:
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

    def poke(self) -> None:
        """Something changed (a card, a command, a plug): evaluate now rather than next tick."""
        self._poke.set()

    async def shutdown(self) -> None:
        for t in list(self._tasks):
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._storing("samples", self.flush_samples)

    # --- the tick ------------------------------------------------------------------------------
    def _storing(self, where: str, step: Callable[..., object], *args: Any, **kw: Any) -> None:
        """Run one step of the tick; a full disk does not stop the others (MemoryExhaustion is
        reported through `storage_failed`, and the step is tried again next tick)."""
        try:
            step(*args, **kw)
        except (sqlite3.Error, OSError) as exc:
            if self.storage_failed is None or not self.storage_failed(where, exc):
                raise

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
        decisions = targets(
            now,
            mono,
            self._sessions(now),
            {n: c.control for n, c in self.connectors.items()},
            self._owner_rules(),
            self._supply(now),
        )
        for c in self.connectors.values():
            self._drive(c, decisions[c.id], mono)
            reading = c.hw.meter.read()
            self._samples.append((now, c.id, reading.power_w, reading.energy_import_wh))
            if c.tx_local_id is not None and mono >= c.next_sample_mono:
                self._storing("meter values", self._periodic_sample, c, now, mono)
            if aligned_due:
                self._storing("meter values", self._aligned_sample, c, now)
        if mono - self._last_flush >= SAMPLE_FLUSH_EVERY_S:
            self._storing("samples", self.flush_samples)
        self._report_statuses(mono)

    def flush_samples(self) -> None:
        batch, self._samples = self._samples, []
        self._last_flush = self.clock.monotonic()
        try:
            self.store.add_samples(batch)
        except (sqlite3.Error, OSError):
            # Kept for the next flush (a full disk), the newest SAMPLES_KEPT of them.
            self._samples = (batch + self._samples)[-SAMPLES_KEPT * len(self.connectors) :]
            raise

    def _session_changes(self, c: Connector, mono: float) -> None:
        pilot = c.hw.pilot_state()
        plugged = pilot in (PilotState.B, PilotState.C, PilotState.D)
        if c.authorized and mono > c.authorized[2] and not plugged:
            log.info("connector %s: authorisation timed out (ConnectionTimeOut)", c.id)
            c.authorized = None
        if pilot is PilotState.A:
            c.finishing = False
        if c.tx_local_id is None and c.authorized and plugged and self._available(c):
            tag, info, _ = c.authorized
            self.start_transaction(c, tag, info)
            c.authorized = None  # only once started: a start the store refused is tried again
        if (
            c.tx_local_id is not None
            and pilot is PilotState.A
            and self.settings.bool_value("StopTransactionOnEVSideDisconnect")
        ):
            self.stop_transaction(c, "EVDisconnected")

    def _faulted(self, c: Connector) -> bool:
        return c.hw.error_code() != "NoError" or c.hw.pilot_state() in (PilotState.E, PilotState.F)

    def _sessions(self, now: datetime) -> dict[int, SessionFacts]:
        """Each connector's session as the charging decision needs it (charging/)."""
        out: dict[int, SessionFacts] = {}
        for c in self.connectors.values():
            if c.tx_local_id is None:
                out[c.id] = SessionFacts()
                continue
            out[c.id] = session_facts(
                self.profiles,
                c.id,
                now,
                charging=not self._faulted(c) and not self.tampered,
                started_at=c.tx_started_at,
                transaction_id=self.store.transaction_id(c.tx_local_id),
                phases=self.phases,
                flags_of=self.controls.profile_flags,
                charge_now=self.controls.charge_now_cause(c.tx_local_id),
                skip_delay=self.controls.no_delay_session(c.tx_local_id),
            )
        return out

    def _owner_rules(self) -> OwnerRules:
        return OwnerRules(
            default_hours=self.controls.default_hours(self.random_delay_max()),
            user_schedule=self.controls.user_schedule(),
            dsr_events=self.controls.dsr_events(),
            dsr_opted_out=self.controls.opted_out(),
            clock_trusted=self.clock_trusted(),
        )

    def _supply(self, now: datetime) -> Supply:
        return Supply(
            hardware_max_a=self.max_current_a,
            charge_point_cap_a=charge_point_cap(self.profiles, now, phases=self.phases),
            site_limit_a=self.site_limit_a,
        )

    def _drive(self, c: Connector, decision: Decision, mono: float) -> None:
        """Apply a decision to the pilot and contactor, through the randomised delay."""
        pilot = c.hw.pilot_state()
        if c.tx_local_id is None:
            c.control.idle()
            limit = 0.0
        else:
            changed, delay_started = c.control.step(
                decision,
                mono,
                RandomDelay(self.random_delay_max(), self.rng),
                skip=self.controls.no_delay_session(c.tx_local_id),
                hardware_max_a=self.max_current_a,
            )
            if delay_started:
                log.info("connector %s: random delay of %s s", c.id, c.control.rate.drawn_s)
                self._announce_delay(c)
            # R8: whatever was decided, never above the hardware and installation limit.
            limit = 0.0 if self._faulted(c) else min(c.control.applied.limit_a, self.max_current_a)
            if changed or limit != c.limit_a:
                self._storing(
                    "rate changes",
                    self.store.record_rate_change,
                    c.tx_local_id,
                    at=self.clock.now(),
                    limit_a=limit,
                    cause=c.control.applied.cause,
                )
        c.limit_a = limit
        if c.hw.offered_current() != limit:
            c.hw.set_offered_current(limit)
        want_closed = limit >= MIN_OFFERED_A and pilot in (PilotState.C, PilotState.D)
        if c.hw.contactor_closed() != want_closed:
            c.hw.set_contactor(want_closed)
        self._show(c, pilot)

    def _show(self, c: Connector, pilot: PilotState) -> None:
        c.status = ocpp_status(
            ConnectorFacts(
                pilot=pilot,
                error_code=c.hw.error_code(),
                operative=c.operative and self.operative and not self.tampered,
                transaction=c.tx_local_id is not None,
                authorized_waiting=c.authorized is not None,
                reserved=self.reservation_for(c.id) is not None,
                offered_a=c.hw.offered_current(),
                finishing=c.finishing,
            )
        )
        self.hw.indicator.show(c.id, c.status)

    def _available(self, c: Connector) -> bool:
        return (
            c.operative and self.operative and not self.tampered and c.hw.error_code() == "NoError"
        )

    # --- tamper (R36) ----------------------------------------------------------------------------
    def tamper(self, description: str) -> None:
        """Stop charging until `clear_tamper`: transactions end, connectors are Unavailable."""
        self.tampered = True  # first: a full disk must not keep charging going
        self._storing(
            "tamper latch", self.store.save_setting, TAMPER_KEY, description[:255] or "tamper"
        )
        for c in self.connectors.values():
            c.authorized = None
            if c.tx_local_id is not None:
                self._storing("transactions", self.stop_transaction, c, "Other")
        self.spawn(self.send_status(0, "Unavailable"))
        self.poke()

    def clear_tamper(self) -> bool:
        """The owner or installer cleared the alarm; False when there was none."""
        if not self.tampered:
            return False
        self.store.delete_setting(TAMPER_KEY)
        self.tampered = False
        self.spawn(self.send_status(0, "Available" if self.operative else "Unavailable"))
        self.poke()
        return True

    # --- status notifications ------------------------------------------------------------------
    def _report_statuses(self, mono: float) -> None:
        online = self.online
        if online is None or not online.ready:
            return
        minimum = self.settings.int_value("MinimumStatusDuration")
        for c in self.connectors.values():
            if c.status == c.reported:
                c.candidate = None
                continue
            if c.candidate is None or c.candidate[0] != c.status:
                c.candidate = (c.status, mono)
            if mono - c.candidate[1] >= minimum:
                c.reported = c.status
                c.candidate = None
                self.spawn(self.send_status(c.id, c.status, c.hw.error_code()))

    async def send_status(
        self, connector_id: int, status: str, error_code: str = "NoError"
    ) -> None:
        online = self.online
        if online is None or not online.ready:
            return
        payload = {
            "connectorId": connector_id,
            "status": status,
            "errorCode": error_code,
            "timestamp": format_time(self.clock.now()),
        }
        try:
            await online.call("StatusNotification", payload)
        except Exception as exc:  # status is not transaction data; it is resent on reconnect
            log.info("StatusNotification not delivered: %s", type(exc).__name__)
            if connector_id in self.connectors:
                self.connectors[connector_id].reported = None

    def resend_all_statuses(self) -> None:
        """After (re)connecting: tell the central system where every connector stands."""
        available = self.operative and not self.tampered
        self.spawn(self.send_status(0, "Available" if available else "Unavailable"))
        for c in self.connectors.values():
            c.reported = None
            c.candidate = None
        self.poke()

    # --- authorisation and transactions --------------------------------------------------------
    def _online_authorize(self) -> Callable[[str], Awaitable[IdTagInfo]] | None:
        online = self.online
        if online is None or not online.ready:
            return None

        async def authorize(id_tag: str) -> IdTagInfo:
            result = await online.call("Authorize", {"idTag": id_tag})
            info: IdTagInfo = result["idTagInfo"]
            return info

        return authorize

    def on_card(self, id_tag: str) -> None:
        self.spawn(self.present_card(id_tag))

    async def present_card(self, id_tag: str) -> None:
        """A card at the reader: stop the session it started, or authorise a new one."""
        for c in self.connectors.values():
            started_by = c.tx_id_tag
            if started_by is not None and self.auth.may_stop(started_by, c.tx_info, id_tag):
                self.stop_transaction(c, "Local", id_tag=id_tag)
                return
        target = self._connector_for_card(id_tag)
        if target is None:
            log.info("card presented but no connector can take it")
            return
        info = await self.auth.authorize(id_tag, self._online_authorize())
        if info.get("status") != "Accepted":
            log.info("card rejected: %s", info.get("status"))
            return
        self.authorize_connector(target, id_tag, info)

    def _connector_for_card(self, id_tag: str) -> Connector | None:
        # A connector reserved for this card first, then one with a car waiting, then any free.
        for r in self.store.reservations():
            if r.id_tag == id_tag and r.connector_id in self.connectors:
                return self.connectors[r.connector_id]
        free = [
            c
            for c in self.connectors.values()
            if c.tx_local_id is None
            and self._available(c)
            and not self._reserved_for_other(c, id_tag)
        ]
        plugged = [c for c in free if c.hw.pilot_state() != PilotState.A and not c.finishing]
        choice = plugged or free
        return choice[0] if choice else None

    def _reserved_for_other(self, c: Connector, id_tag: str, parent: str | None = None) -> bool:
        r = self.reservation_for(c.id)
        if r is None:
            return False
        return not (id_tag == r.id_tag or (parent is not None and parent == r.parent_id_tag))

    def authorize_connector(self, c: Connector, id_tag: str, info: IdTagInfo) -> None:
        timeout = self.settings.int_value("ConnectionTimeOut")
        c.authorized = (id_tag, info, self.clock.monotonic() + timeout)
        self.poke()

    def start_transaction(self, c: Connector, id_tag: str, info: IdTagInfo) -> None:
        reading = c.hw.meter.read()
        now = self.clock.now()
        reservation = self.reservation_for(c.id)
        reservation_id = reservation.reservation_id if reservation else None
        c.tx_local_id = self.store.start_transaction(
            connector_id=c.id,
            id_tag=id_tag,
            meter_start_wh=round(reading.energy_import_wh),
            now=now,
            reservation_id=reservation_id,
            export_start_wh=round(reading.energy_export_wh),
        )
        c.tx_id_tag = id_tag
        c.tx_info = info
        c.tx_started_mono = self.clock.monotonic()
        c.tx_started_at = now
        c.control.session_started()
        if c.pending_profile is not None:
            self._install_pending(c)
        c.next_sample_mono = c.tx_started_mono + self._sample_interval()
        c.tx_begin_values = [
            meter_value(now, self._stop_txn_values(c, reading, "Transaction.Begin"))
        ]
        c.limit_a = 0.0
        log.info("connector %s: transaction %s started for a card", c.id, c.tx_local_id)
        self._wake_outbox()
        self.poke()

    def stop_transaction(self, c: Connector, reason: str, id_tag: str | None = None) -> None:
        if c.tx_local_id is None:
            return
        reading = c.hw.meter.read()
        now = self.clock.now()
        data = [
            *c.tx_begin_values,
            meter_value(now, self._stop_txn_values(c, reading, "Transaction.End")),
        ]
        data = [d for d in data if d["sampledValue"]]
        self.store.stop_transaction(
            c.tx_local_id,
            meter_stop_wh=max(round(reading.energy_import_wh), 0),
            now=now,
            reason=reason,
            id_tag=id_tag,
            transaction_data=data or None,
            export_stop_wh=round(reading.energy_export_wh),
        )
        log.info("connector %s: transaction %s stopped (%s)", c.id, c.tx_local_id, reason)
        # The stop is stored: what follows must not fail it half-way (a full disk), or the
        # next tick would stop the same transaction again.
        self._storing("owner controls", self.controls.end_session, c.tx_local_id)
        if self.profiles.end_transaction(c.id):
            self._storing("charging profiles", self.save_profiles)
        c.control.idle()
        c.tx_local_id = None
        c.tx_id_tag = None
        c.tx_info = None
        c.tx_started_at = None
        c.tx_begin_values = []
        c.limit_a = 0.0
        c.finishing = c.hw.pilot_state() != PilotState.A
        c.hw.set_offered_current(0.0)
        c.hw.set_contactor(False)
        if c.scheduled_operative is not None:
            self.set_availability(c.id, c.scheduled_operative)
        elif self._scheduled_station is not None and not self._busy():
            self.set_availability(0, self._scheduled_station)
        self._wake_outbox()
        self.poke()

    def on_start_result(self, local_id: int, info: IdTagInfo) -> None:
        """StartTransaction.conf: a card the central system no longer accepts may end it."""
        tag = self._tag_of(local_id)
        if tag is not None:
            self.auth.remember(tag, info)
        if info.get("status") == "Accepted":
            return
        for c in self.connectors.values():
            if c.tx_local_id == local_id:
                c.tx_info = info
                if self.settings.bool_value("StopTransactionOnInvalidId"):
                    self.stop_transaction(c, "DeAuthorized")

    def _tag_of(self, local_id: int) -> str | None:
        s = self.store.session(local_id)
        return s.id_tag if s else None

    def connector_by_transaction(self, transaction_id: int) -> Connector | None:
        for c in self.connectors.values():
            if (
                c.tx_local_id is not None
                and self.store.transaction_id(c.tx_local_id) == transaction_id
            ):
                return c
        return None

    def _busy(self) -> bool:
        return any(c.tx_local_id is not None for c in self.connectors.values())

    # --- availability and reservations ---------------------------------------------------------
    def set_availability(self, connector_id: int, operative: bool) -> None:
        self.store.save_setting(
            f"availability.{connector_id}", "Operative" if operative else "Inoperative"
        )
        if connector_id == 0:
            self.operative = operative
            self._scheduled_station = None
            self.spawn(self.send_status(0, "Available" if operative else "Unavailable"))
        else:
            c = self.connectors[connector_id]
            c.operative = operative
            c.scheduled_operative = None
        self.poke()

    def change_availability(self, connector_id: int, operative: bool) -> str:
        if connector_id == 0:
            if self._busy() and not operative:
                self._scheduled_station = operative
                return "Scheduled"
            self.set_availability(0, operative)
            return "Accepted"
        c = self.connectors[connector_id]
        if c.tx_local_id is not None and not operative:
            c.scheduled_operative = operative
            return "Scheduled"
        self.set_availability(connector_id, operative)
        return "Accepted"

    def reservation_for(self, connector_id: int) -> Reservation | None:
        for r in self.store.reservations():
            if r.connector_id == connector_id:
                return r
        return None

    def _expire_reservations(self, now: datetime) -> None:
        for r in self.store.reservations():
            if r.expires_at <= now:
                log.info("reservation %s expired", r.reservation_id)
                self.store.remove_reservation(r.reservation_id)

    # --- meter values --------------------------------------------------------------------------
    def _sample_interval(self) -> float:
        interval = self.settings.int_value("MeterValueSampleInterval")
        return float(interval) if interval > 0 else float("inf")

    def _stop_txn_values(self, c: Connector, reading: Any, context: str) -> list[dict[str, Any]]:
        return sampled_values(
            reading,
            self.settings.csl_value("StopTxnSampledData"),
            context=context,
            offered_a=c.hw.offered_current(),
            phases=self.phases,
        )

    def _periodic_sample(self, c: Connector, now: datetime, mono: float) -> None:
        assert c.tx_local_id is not None
        c.next_sample_mono = max(c.next_sample_mono + self._sample_interval(), mono)
        self._queue_values(c, now, "Sample.Periodic", "MeterValuesSampledData")

    def _aligned_sample(self, c: Connector, now: datetime) -> None:
        now = aligned_start(now, self.settings.int_value("ClockAlignedDataInterval"))
        if c.tx_local_id is not None:
            # Never before its transaction began (it may have begun in this very tick).
            if c.tx_started_at is not None:
                now = max(now, c.tx_started_at)
            self._queue_values(c, now, "Sample.Clock", "MeterValuesAlignedData")
            return
        reading = c.hw.meter.read()
        values = sampled_values(
            reading,
            self.settings.csl_value("MeterValuesAlignedData"),
            context="Sample.Clock",
            offered_a=c.hw.offered_current(),
            phases=self.phases,
        )
        if values and self.online is not None and self.online.ready:
            payload = {"connectorId": c.id, "meterValue": [meter_value(now, values)]}
            self.spawn(self.send_best_effort("MeterValues", payload))

    def _queue_values(self, c: Connector, now: datetime, context: str, key: str) -> None:
        assert c.tx_local_id is not None
        reading = c.hw.meter.read()
        values = sampled_values(
            reading,
            self.settings.csl_value(key),
            context=context,
            offered_a=c.hw.offered_current(),
            phases=self.phases,
        )
        if not values:
            return
        self.store.queue_transaction_meter_values(
            c.tx_local_id,
            c.id,
            [meter_value(now, values)],
            now=now,
            register_wh=round(reading.energy_import_wh),
        )
        self._wake_outbox()

    def trigger_meter_values(self, connector_id: int | None) -> None:
        """TriggerMessage(MeterValues): current values now, outside any transaction queue."""
        now = self.clock.now()
        for c in self.connectors.values():
            if connector_id not in (None, 0, c.id):
                continue
            values = sampled_values(
                c.hw.meter.read(),
                self.settings.csl_value("MeterValuesSampledData"),
                context="Trigger",
                offered_a=c.hw.offered_current(),
                phases=self.phases,
            )
            payload: dict[str, Any] = {
                "connectorId": c.id,
                "meterValue": [meter_value(now, values)],
            }
            if c.tx_local_id is not None:
                tx = self.store.transaction_id(c.tx_local_id)
                if tx is not None:
                    payload["transactionId"] = tx
            self.spawn(self.send_best_effort("MeterValues", payload))

    async def send_best_effort(self, action: str, payload: dict[str, Any]) -> None:
        """Send what is not transaction data: offline or failing, it is dropped and logged."""
        online = self.online
        if online is None or not online.ready:
            return
        try:
            await online.call(action, payload)
        except Exception as exc:
            log.info("%s not delivered: %s", action, type(exc).__name__)

    def _wake_outbox(self) -> None:
        if self.online is not None:
            self.online.wake_outbox()

    # --- smart charging and the owner's controls -----------------------------------------------
    def random_delay_max(self) -> int:
        try:
            return self.settings.int_value("RandomisedDelayMaxSeconds")
        except KeyError:
            return DEFAULT_MAX_S

    def _profile_limits(self) -> Limits:
        try:
            return Limits(
                max_stack_level=self.settings.int_value("ChargeProfileMaxStackLevel"),
                max_profiles=self.settings.int_value("MaxChargingProfilesInstalled"),
                max_periods=self.settings.int_value("ChargingScheduleMaxPeriods"),
                units=allowed_units(
                    self.settings.str_value("ChargingScheduleAllowedChargingRateUnit")
                ),
                connectors=len(self.connectors),
            )
        except KeyError:
            return Limits(connectors=len(self.connectors))

    def save_profiles(self) -> None:
        self.store.save_setting(PROFILES_KEY, self.profiles.dumps())
        self.poke()

    def _install_pending(self, c: Connector) -> None:
        profile_dict, c.pending_profile = c.pending_profile, None
        assert profile_dict is not None and c.tx_local_id is not None
        try:
            profile = parse_profile(profile_dict, remote_start=True)
            self.profiles.install(c.id, profile, transaction_running=True)
        except ProfileError as exc:
            log.warning("the remote start's charging profile was refused: %s", exc)
            return
        self.save_profiles()

    def skip_delay(self, connector_id: int, *, session: bool = False) -> bool:
        """The owner skips the random delay now, or for the rest of the session (R25)."""
        c = self.connectors.get(connector_id)
        if c is None or c.tx_local_id is None:
            return False
        if session:
            self.controls.set_no_delay_session(c.tx_local_id)
        c.control.rate.skip()
        self.poke()
        return True

    def charge_now(self, connector_id: int, *, by: str = "owner") -> bool:
        """The owner (or another end user, `by="end_user"`) overrides the default charging hours
        for this session (R18); NotPermitted on a workplace charger unless the administrator."""
        c = self.connectors.get(connector_id)
        if c is None or c.tx_local_id is None:
            return False
        self.controls.set_charge_now(c.tx_local_id, by=by)
        return True

    def _announce_delay(self, c: Connector) -> None:
        """Tell the central system a delay started, so the owner sees the countdown (R25)."""
        data = {
            "connectorId": c.id,
            "remainingS": c.control.rate.drawn_s,
            "cause": c.control.rate.pending.cause.value if c.control.rate.pending else None,
        }
        payload = uk_extension.data_transfer(uk_extension.RANDOM_DELAY, data)
        self.spawn(self.send_best_effort("DataTransfer", payload))

    # --- what the simulator and the owner see ---------------------------------------------------
    def state(self) -> dict[int, dict[str, Any]]:
        out: dict[int, dict[str, Any]] = {}
        for c in self.connectors.values():
            tx = self.store.transaction_id(c.tx_local_id) if c.tx_local_id is not None else None
            out[c.id] = {
                "status": c.status,
                "transaction_id": tx,
                "local_transaction_id": c.tx_local_id,
                "id_tag": c.tx_id_tag,
                "limit_a": c.limit_a,
                "limit_cause": c.control.applied.cause.value if c.tx_local_id is not None else None,
                "limit_reason": (c.control.rate.pending or c.control.applied).reason,
                "random_delay_remaining_s": round(
                    c.control.rate.remaining_s(self.clock.monotonic())
                ),
                "operative": c.operative and self.operative,
            }
        return out
