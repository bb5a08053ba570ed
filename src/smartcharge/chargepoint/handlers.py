"""Requests from the central system (OCPP 1.6 profiles Core, Local Auth List Management,
Reservation, Remote Trigger, Firmware Management), each answered from the station's state.

Commands that act after answering (remote start, reset, trigger) do their work in an
after-hook, so the central system always gets the CALLRESULT first, as OCPP requires.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Literal

from ocpp.charge_point import snake_to_camel_case
from ocpp.v16 import call, call_result

from smartcharge.chargepoint import transfer
from smartcharge.chargepoint.configuration_keys import Configuration, TooManyKeysError
from smartcharge.chargepoint.connector import Connector
from smartcharge.chargepoint.diagnostics import Diagnostics
from smartcharge.chargepoint.firmware import FirmwareManager
from smartcharge.chargepoint.hardware.ports import PilotState
from smartcharge.chargepoint.smart_charging.composite import composite_response, composite_schedule
from smartcharge.chargepoint.smart_charging.profiles import ProfileError, parse_profile
from smartcharge.chargepoint.station import Station
from smartcharge.chargepoint.store import Reservation
from smartcharge.chargepoint.uk_extension import DeviceHooks, UkExtension
from smartcharge.ocpp.errors import (
    OccurenceConstraintViolation,
    PropertyConstraintViolation,
    SecurityError,
)
from smartcharge.ocpp.rpc import RpcEndpoint
from smartcharge.ocpp.schemas import ACTIONS_TO_CHARGE_POINT
from smartcharge.ocpp.times import parse_time

log = logging.getLogger("smartcharge.chargepoint.handlers")


def _when(text: str) -> datetime:
    try:
        return parse_time(text)
    except ValueError as exc:
        raise PropertyConstraintViolation(f"not an ISO 8601 date-time: {text!r}") from exc


def _refuse_report_only(req: dict[str, Any]) -> dict[str, Any]:
    raise SecurityError(
        "the charger's software failed its integrity check: it takes no remote commands"
        " until a valid signed update restores it"
    )


class Handlers:
    def __init__(
        self,
        station: Station,
        configuration: Configuration,
        firmware: FirmwareManager,
        diagnostics: Diagnostics,
        send_boot: Callable[[], Awaitable[None]],
        send_heartbeat: Callable[[], Awaitable[None]],
        device: DeviceHooks | None = None,
    ) -> None:
        self.station = station
        self.config = configuration
        self.firmware = firmware
        self.diagnostics = diagnostics
        self.uk = UkExtension(station, device)
        self._remote_profile: dict[str, Any] | None = None
        self._send_boot = send_boot
        self._send_heartbeat = send_heartbeat

    def register(self, ep: RpcEndpoint, *, report_only: bool = False) -> None:
        """Route every request; `report_only` (the boot integrity check failed, R31): refuse
        every command with a SecurityError CALLERROR but a signed firmware update, the one
        thing that can restore the charger."""
        if report_only:
            for action in sorted(ACTIONS_TO_CHARGE_POINT):
                ep.route(action, _refuse_report_only, raw=True)
            ep.route("SignedUpdateFirmware", self.signed_update_firmware, raw=True)
            return
        ep.route("ChangeAvailability", self.change_availability)
        ep.route("ChangeConfiguration", self.change_configuration)
        ep.route("ClearCache", self.clear_cache)
        ep.route("DataTransfer", self.uk.data_transfer, raw=True, after=self.uk.after)
        ep.route("GetConfiguration", self.get_configuration)
        ep.route("RemoteStartTransaction", self.remote_start, after=self.after_remote_start)
        ep.route("RemoteStopTransaction", self.remote_stop)
        ep.route("Reset", self.reset, after=self.after_reset)
        ep.route("UnlockConnector", self.unlock_connector)
        ep.route("GetLocalListVersion", self.get_local_list_version)
        ep.route("SendLocalList", self.send_local_list, raw=True)
        ep.route("ReserveNow", self.reserve_now)
        ep.route("CancelReservation", self.cancel_reservation)
        ep.route("TriggerMessage", self.trigger_message, after=self.after_trigger)
        ep.route("UpdateFirmware", self.update_firmware)
        ep.route("SignedUpdateFirmware", self.signed_update_firmware, raw=True)
        ep.route("GetDiagnostics", self.get_diagnostics)
        ep.route("SetChargingProfile", self.set_charging_profile, raw=True)
        ep.route("ClearChargingProfile", self.clear_charging_profile)
        ep.route("GetCompositeSchedule", self.get_composite_schedule, raw=True)

    def _connector(self, connector_id: int) -> Connector:
        c = self.station.connectors.get(connector_id)
        if c is None:
            raise PropertyConstraintViolation(f"connectorId {connector_id} does not exist")
        return c

    # --- Core ----------------------------------------------------------------------------------
    async def change_availability(
        self, req: call.ChangeAvailability
    ) -> call_result.ChangeAvailability:
        if req.connector_id != 0:
            self._connector(req.connector_id)
        status = self.station.change_availability(req.connector_id, req.type == "Operative")
        return call_result.ChangeAvailability(status=status)

    async def change_configuration(
        self, req: call.ChangeConfiguration
    ) -> call_result.ChangeConfiguration:
        return call_result.ChangeConfiguration(status=self.config.change(req.key, req.value))

    async def clear_cache(self, req: call.ClearCache) -> call_result.ClearCache:
        self.station.store.cache_clear()
        return call_result.ClearCache(status="Accepted")

    async def get_configuration(self, req: call.GetConfiguration) -> call_result.GetConfiguration:
        try:
            known, unknown = self.config.get(req.key)
        except TooManyKeysError as exc:
            raise OccurenceConstraintViolation(str(exc)) from exc
        return call_result.GetConfiguration(
            configuration_key=known or None, unknown_key=unknown or None
        )

    async def remote_start(
        self, req: call.RemoteStartTransaction
    ) -> call_result.RemoteStartTransaction:
        self._remote_profile = None
        if req.charging_profile is not None:
            profile = snake_to_camel_case(req.charging_profile)
            try:
                parsed = parse_profile(profile, remote_start=True)
            except ProfileError as exc:
                log.info("remote start refused: %s", exc)
                return call_result.RemoteStartTransaction(status="Rejected")
            if parsed.purpose != "TxProfile":
                return call_result.RemoteStartTransaction(status="Rejected")
            self._remote_profile = profile
        target = self._remote_target(req.connector_id, req.id_tag)
        return call_result.RemoteStartTransaction(
            status="Accepted" if target is not None else "Rejected"
        )

    def _remote_target(self, connector_id: int | None, id_tag: str) -> Connector | None:
        st = self.station
        if connector_id is not None:
            if connector_id <= 0:
                return None
            c = self._connector(connector_id)
            candidates = [c]
        else:
            candidates = list(st.connectors.values())
            candidates.sort(key=lambda c: c.hw.pilot_state() == PilotState.A)
        for c in candidates:
            if (
                c.tx_local_id is None
                and c.authorized is None
                and c.operative
                and st.operative
                and not st.tampered
                and c.hw.error_code() == "NoError"
                and not st._reserved_for_other(c, id_tag)
            ):
                return c
        return None

    async def after_remote_start(
        self, req: call.RemoteStartTransaction, res: call_result.RemoteStartTransaction
    ) -> None:
        if res.status != "Accepted":
            return
        c = self._remote_target(req.connector_id, req.id_tag)
        if c is None:
            return
        info: dict[str, Any] = {"status": "Accepted"}
        if self.config.bool_value("AuthorizeRemoteTxRequests"):
            info = await self.station.auth.authorize(req.id_tag, self.station._online_authorize())
            if info.get("status") != "Accepted":
                log.info("remote start refused: id tag %s", info.get("status"))
                return
        if self._remote_profile is not None:
            c.pending_profile, self._remote_profile = self._remote_profile, None
        self.station.authorize_connector(c, req.id_tag, info)

    async def remote_stop(
        self, req: call.RemoteStopTransaction
    ) -> call_result.RemoteStopTransaction:
        c = self.station.connector_by_transaction(req.transaction_id)
        if c is None:
            return call_result.RemoteStopTransaction(status="Rejected")
        self.station.stop_transaction(c, "Remote")
        return call_result.RemoteStopTransaction(status="Accepted")

    async def reset(self, req: call.Reset) -> call_result.Reset:
        return call_result.Reset(status="Accepted")

    async def after_reset(self, req: call.Reset, res: call_result.Reset) -> None:
        reason = "HardReset" if req.type == "Hard" else "SoftReset"
        for c in self.station.connectors.values():
            self.station.stop_transaction(c, reason)
        self.station.reboot_kind = req.type
        self.station.reboot_requested.set()

    async def unlock_connector(self, req: call.UnlockConnector) -> call_result.UnlockConnector:
        c = self._connector(req.connector_id)
        self.station.stop_transaction(c, "UnlockCommand")
        ok = c.hw.unlock()
        return call_result.UnlockConnector(status="Unlocked" if ok else "UnlockFailed")

    # --- Smart Charging ------------------------------------------------------------------------
    async def set_charging_profile(self, req: dict[str, Any]) -> dict[str, Any]:
        st = self.station
        connector_id = int(req["connectorId"])
        try:
            profile = parse_profile(req["csChargingProfiles"])
            running = (
                connector_id in st.connectors
                and st.connectors[connector_id].tx_local_id is not None
            )
            if profile.purpose == "TxProfile" and profile.transaction_id is not None and running:
                local = st.connectors[connector_id].tx_local_id
                assert local is not None
                if st.store.transaction_id(local) != profile.transaction_id:
                    raise ProfileError("transactionId: not the transaction on that connector")
            st.profiles.install(connector_id, profile, transaction_running=running)
        except ProfileError as exc:
            log.info("charging profile rejected: %s", exc)
            return {"status": "Rejected"}
        st.save_profiles()
        return {"status": "Accepted"}

    async def clear_charging_profile(
        self, req: call.ClearChargingProfile
    ) -> call_result.ClearChargingProfile:
        st = self.station
        cleared = st.profiles.clear(
            id=req.id,
            connector_id=req.connector_id,
            purpose=req.charging_profile_purpose,
            stack_level=req.stack_level,
        )
        if cleared:
            st.save_profiles()
        return call_result.ClearChargingProfile(status="Accepted" if cleared else "Unknown")

    async def get_composite_schedule(self, req: dict[str, Any]) -> dict[str, Any]:
        st = self.station
        connector_id = int(req["connectorId"])
        if connector_id != 0 and connector_id not in st.connectors:
            return {"status": "Rejected"}
        unit: Literal["A", "W"] = "W" if req.get("chargingRateUnit") == "W" else "A"
        c = st.connectors.get(connector_id)
        tx_id = None
        if c is not None and c.tx_local_id is not None:
            tx_id = st.store.transaction_id(c.tx_local_id)
        hardware_max = st.max_current_a if unit == "A" else st.max_current_a * 230.0 * st.phases
        schedule = composite_schedule(
            st.profiles,
            connector_id,
            st.clock.now(),
            int(req["duration"]),
            unit,
            c.tx_started_at if c is not None else None,
            tx_id,
            phases=st.phases,
            max_limit=hardware_max,
        )
        return composite_response(schedule, no_limit=hardware_max)

    # --- Local Auth List Management ------------------------------------------------------------
    async def get_local_list_version(
        self, req: call.GetLocalListVersion
    ) -> call_result.GetLocalListVersion:
        if not self.config.bool_value("LocalAuthListEnabled"):
            return call_result.GetLocalListVersion(list_version=-1)
        return call_result.GetLocalListVersion(list_version=self.station.store.local_list_version())

    async def send_local_list(self, req: dict[str, Any]) -> dict[str, Any]:
        store = self.station.store
        if not self.config.bool_value("LocalAuthListEnabled"):
            return {"status": "NotSupported"}
        version = int(req["listVersion"])
        entries = req.get("localAuthorizationList") or []
        tags = [e["idTag"] for e in entries]
        if len(entries) > self.config.int_value("SendLocalListMaxLength") or len(set(tags)) != len(
            tags
        ):
            return {"status": "Failed"}
        if req["updateType"] == "Full":
            full = {e["idTag"]: e["idTagInfo"] for e in entries if "idTagInfo" in e}
            if len(full) > self.config.int_value("LocalAuthListMaxLength"):
                return {"status": "Failed"}
            store.replace_local_list(version, full)
            return {"status": "Accepted"}
        if version <= store.local_list_version():
            return {"status": "VersionMismatch"}
        diff = {e["idTag"]: e.get("idTagInfo") for e in entries}
        adds = sum(
            1 for tag, info in diff.items() if info is not None and not store.local_list_entry(tag)
        )
        removes = sum(
            1 for tag, info in diff.items() if info is None and store.local_list_entry(tag)
        )
        if store.local_list_size() + adds - removes > self.config.int_value(
            "LocalAuthListMaxLength"
        ):
            return {"status": "Failed"}
        store.update_local_list(version, diff)
        return {"status": "Accepted"}

    # --- Reservation ---------------------------------------------------------------------------
    async def reserve_now(self, req: call.ReserveNow) -> call_result.ReserveNow:
        st = self.station
        if req.connector_id == 0 and not self.config.bool_value("ReserveConnectorZeroSupported"):
            return call_result.ReserveNow(status="Rejected")
        c = self._connector(req.connector_id)
        existing = st.reservation_for(c.id)
        replacing = existing is not None and existing.reservation_id == req.reservation_id
        if c.status == "Faulted":
            return call_result.ReserveNow(status="Faulted")
        if c.status == "Unavailable":
            return call_result.ReserveNow(status="Unavailable")
        if not replacing and (c.status != "Available" or existing is not None):
            return call_result.ReserveNow(status="Occupied")
        expires = _when(req.expiry_date)
        st.store.put_reservation(
            Reservation(req.reservation_id, c.id, req.id_tag, req.parent_id_tag, expires)
        )
        st.poke()
        return call_result.ReserveNow(status="Accepted")

    async def cancel_reservation(
        self, req: call.CancelReservation
    ) -> call_result.CancelReservation:
        removed = self.station.store.remove_reservation(req.reservation_id)
        self.station.poke()
        return call_result.CancelReservation(status="Accepted" if removed else "Rejected")

    # --- Remote Trigger ------------------------------------------------------------------------
    async def trigger_message(self, req: call.TriggerMessage) -> call_result.TriggerMessage:
        if req.connector_id is not None and req.connector_id not in (
            0,
            *self.station.connectors,
        ):
            return call_result.TriggerMessage(status="Rejected")
        known = {
            "BootNotification",
            "DiagnosticsStatusNotification",
            "FirmwareStatusNotification",
            "Heartbeat",
            "MeterValues",
            "StatusNotification",
        }
        if req.requested_message not in known:
            return call_result.TriggerMessage(status="NotImplemented")
        return call_result.TriggerMessage(status="Accepted")

    async def after_trigger(
        self, req: call.TriggerMessage, res: call_result.TriggerMessage
    ) -> None:
        if res.status != "Accepted":
            return
        st = self.station
        what = req.requested_message
        if what == "BootNotification":
            await self._send_boot()
        elif what == "Heartbeat":
            await self._send_heartbeat()
        elif what == "MeterValues":
            st.trigger_meter_values(req.connector_id)
        elif what == "StatusNotification":
            ids = [req.connector_id] if req.connector_id is not None else [0, *st.connectors]
            for n in ids:
                if n == 0:
                    available = st.operative and not st.tampered
                    await st.send_status(0, "Available" if available else "Unavailable")
                else:
                    c = st.connectors[n]
                    await st.send_status(n, c.status, c.hw.error_code())
        elif what == "FirmwareStatusNotification":
            await self.firmware.send_firmware_status()
        elif what == "DiagnosticsStatusNotification":
            await self.diagnostics.send_status()

    # --- Firmware Management -------------------------------------------------------------------
    async def update_firmware(self, req: call.UpdateFirmware) -> call_result.UpdateFirmware:
        self.firmware.schedule_update(
            req.location, _when(req.retrieve_date), req.retries, req.retry_interval
        )
        return call_result.UpdateFirmware()

    async def signed_update_firmware(self, req: dict[str, Any]) -> dict[str, Any]:
        """Security whitepaper SignedUpdateFirmware: the certificate is checked now."""
        return {"status": self.firmware.signed_update(req)}

    async def get_diagnostics(self, req: call.GetDiagnostics) -> call_result.GetDiagnostics:
        try:
            self.diagnostics.transfers.check_upload(req.location)
        except transfer.TransferError as exc:
            # GetDiagnostics.conf has no status: no file name means nothing will be uploaded.
            log.info("GetDiagnostics refused: %s", exc)
            return call_result.GetDiagnostics()
        name = self.diagnostics.schedule(
            req.location,
            req.retries,
            req.retry_interval,
            _when(req.start_time) if req.start_time else None,
            _when(req.stop_time) if req.stop_time else None,
        )
        return call_result.GetDiagnostics(file_name=name)
