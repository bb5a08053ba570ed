"""Sessions: card authorisation, starting and stopping transactions, and power-loss recovery.

A card at the reader stops the session it started or authorises a new one (online, local list,
cache or the offline policy: authorization.py); a session starts once an authorised driver's car
is plugged in, and ends on a card, a command, an unplug or a fault. Every start and stop is
written with its OCPP message to the durable outbox in one transaction before anything is sent.
After a restart, sessions a crash or power cut left open are closed as PowerLoss and, where the
car is still plugged in, resumed for the same card.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from smartcharge.chargepoint.authorization import IdTagInfo
from smartcharge.chargepoint.availability import Availability
from smartcharge.chargepoint.connector import Connector
from smartcharge.chargepoint.hardware.ports import PilotState
from smartcharge.chargepoint.metering import meter_value
from smartcharge.chargepoint.store_sessions import Session

log = logging.getLogger("smartcharge.chargepoint.station")


class Sessions(Availability):
    """The station's sessions (see the module)."""

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
        elif self._scheduled_station is not None and not self.busy():
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

    # --- the central system's commands on sessions ------------------------------------------------
    def remote_start_target(self, connector_id: int | None, id_tag: str) -> Connector | None:
        """The connector a RemoteStartTransaction would use: the one named, else a free one
        (a plugged-in car first); None when none can take it."""
        if connector_id is not None:
            if connector_id <= 0 or connector_id not in self.connectors:
                return None
            candidates = [self.connectors[connector_id]]
        else:
            candidates = list(self.connectors.values())
            candidates.sort(key=lambda c: c.hw.pilot_state() == PilotState.A)
        for c in candidates:
            if (
                c.tx_local_id is None
                and c.authorized is None
                and c.operative
                and self.operative
                and not self.tampered
                and c.hw.error_code() == "NoError"
                and not self._reserved_for_other(c, id_tag)
            ):
                return c
        return None

    async def authorize_remote(self, id_tag: str) -> IdTagInfo:
        """AuthorizeRemoteTxRequests: the card as the central system (or the local list) says."""
        return await self.auth.authorize(id_tag, self._online_authorize())

    def stop_all(self, reason: str) -> None:
        for c in self.connectors.values():
            self.stop_transaction(c, reason)

    def clear_authorization_cache(self) -> None:
        self.store.cache_clear()

    def session_history(self, since: datetime, until: datetime | None = None) -> list[Session]:
        """The sessions that started in [since, until): what the owner's history shows (R10)."""
        return self.store.sessions(since, until)
