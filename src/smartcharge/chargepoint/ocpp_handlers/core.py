"""OCPP 1.6 Core profile requests from the central system: availability, configuration, the
authorisation cache, remote start and stop, reset and unlock, each answered from the station.

Commands that act after answering (remote start, reset) do their work in an after-hook, so the
central system always gets the CALLRESULT first, as OCPP requires.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from ocpp.charge_point import snake_to_camel_case
from ocpp.v16 import call, call_result

from smartcharge.chargepoint.configuration_keys import Configuration, TooManyKeysError
from smartcharge.chargepoint.connector import Connector
from smartcharge.chargepoint.smart_charging.profiles import ProfileError, parse_profile
from smartcharge.chargepoint.station import Station
from smartcharge.ocpp.errors import OccurenceConstraintViolation, PropertyConstraintViolation
from smartcharge.ocpp.rpc import RpcEndpoint
from smartcharge.ocpp.times import parse_time

log = logging.getLogger("smartcharge.chargepoint.handlers")


def when(text: str) -> datetime:
    """A date-time field of a request; a bad one is the request's PropertyConstraintViolation."""
    try:
        return parse_time(text)
    except ValueError as exc:
        raise PropertyConstraintViolation(f"not an ISO 8601 date-time: {text!r}") from exc


def connector(station: Station, connector_id: int) -> Connector:
    """The connector a request names; one that does not exist is a PropertyConstraintViolation."""
    c = station.connector(connector_id)
    if c is None:
        raise PropertyConstraintViolation(f"connectorId {connector_id} does not exist")
    return c


class CoreHandlers:
    def __init__(self, station: Station, configuration: Configuration) -> None:
        self.station = station
        self.config = configuration
        self._remote_profile: dict[str, Any] | None = None

    def register(self, ep: RpcEndpoint) -> None:
        ep.route("ChangeAvailability", self.change_availability)
        ep.route("ChangeConfiguration", self.change_configuration)
        ep.route("ClearCache", self.clear_cache)
        ep.route("GetConfiguration", self.get_configuration)
        ep.route("RemoteStartTransaction", self.remote_start, after=self.after_remote_start)
        ep.route("RemoteStopTransaction", self.remote_stop)
        ep.route("Reset", self.reset, after=self.after_reset)
        ep.route("UnlockConnector", self.unlock_connector)

    async def change_availability(
        self, req: call.ChangeAvailability
    ) -> call_result.ChangeAvailability:
        if req.connector_id != 0:
            connector(self.station, req.connector_id)
        status = self.station.change_availability(req.connector_id, req.type == "Operative")
        return call_result.ChangeAvailability(status=status)

    async def change_configuration(
        self, req: call.ChangeConfiguration
    ) -> call_result.ChangeConfiguration:
        return call_result.ChangeConfiguration(status=self.config.change(req.key, req.value))

    async def clear_cache(self, req: call.ClearCache) -> call_result.ClearCache:
        self.station.clear_authorization_cache()
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
        if req.connector_id is not None and req.connector_id > 0:
            connector(self.station, req.connector_id)
        target = self.station.remote_start_target(req.connector_id, req.id_tag)
        return call_result.RemoteStartTransaction(
            status="Accepted" if target is not None else "Rejected"
        )

    async def after_remote_start(
        self, req: call.RemoteStartTransaction, res: call_result.RemoteStartTransaction
    ) -> None:
        if res.status != "Accepted":
            return
        c = self.station.remote_start_target(req.connector_id, req.id_tag)
        if c is None:
            return
        info: dict[str, Any] = {"status": "Accepted"}
        if self.config.bool_value("AuthorizeRemoteTxRequests"):
            info = await self.station.authorize_remote(req.id_tag)
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
        self.station.stop_all("HardReset" if req.type == "Hard" else "SoftReset")
        self.station.reboot_kind = req.type
        self.station.reboot_requested.set()

    async def unlock_connector(self, req: call.UnlockConnector) -> call_result.UnlockConnector:
        c = connector(self.station, req.connector_id)
        self.station.stop_transaction(c, "UnlockCommand")
        ok = c.hw.unlock()
        return call_result.UnlockConnector(status="Unlocked" if ok else "UnlockFailed")
