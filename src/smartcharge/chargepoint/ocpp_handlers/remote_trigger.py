"""OCPP 1.6 Remote Trigger profile: TriggerMessage. The answer goes first; the triggered
message is sent from the after-hook (the security profile's ExtendedTriggerMessage reuses both)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ocpp.v16 import call, call_result

from smartcharge.chargepoint.diagnostics import Diagnostics
from smartcharge.chargepoint.firmware import FirmwareManager
from smartcharge.chargepoint.station import Station
from smartcharge.ocpp.rpc import RpcEndpoint

TRIGGERABLE = frozenset(
    {
        "BootNotification",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "Heartbeat",
        "MeterValues",
        "StatusNotification",
    }
)


class RemoteTriggerHandlers:
    def __init__(
        self,
        station: Station,
        firmware: FirmwareManager,
        diagnostics: Diagnostics,
        send_boot: Callable[[], Awaitable[None]],
        send_heartbeat: Callable[[], Awaitable[None]],
    ) -> None:
        self.station = station
        self.firmware = firmware
        self.diagnostics = diagnostics
        self._send_boot = send_boot
        self._send_heartbeat = send_heartbeat

    def register(self, ep: RpcEndpoint) -> None:
        ep.route("TriggerMessage", self.trigger_message, after=self.after_trigger)

    async def trigger_message(self, req: call.TriggerMessage) -> call_result.TriggerMessage:
        if not self.station.names_connector(req.connector_id):
            return call_result.TriggerMessage(status="Rejected")
        if req.requested_message not in TRIGGERABLE:
            return call_result.TriggerMessage(status="NotImplemented")
        return call_result.TriggerMessage(status="Accepted")

    async def after_trigger(
        self, req: call.TriggerMessage, res: call_result.TriggerMessage
    ) -> None:
        if res.status != "Accepted":
            return
        what = req.requested_message
        if what == "BootNotification":
            await self._send_boot()
        elif what == "Heartbeat":
            await self._send_heartbeat()
        elif what == "MeterValues":
            self.station.trigger_meter_values(req.connector_id)
        elif what == "StatusNotification":
            await self.station.report_status_now(req.connector_id)
        elif what == "FirmwareStatusNotification":
            await self.firmware.send_firmware_status()
        elif what == "DiagnosticsStatusNotification":
            await self.diagnostics.send_status()
