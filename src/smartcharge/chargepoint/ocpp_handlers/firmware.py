"""OCPP 1.6 Firmware Management profile (UpdateFirmware, GetDiagnostics) and the security
whitepaper's SignedUpdateFirmware, handed to firmware.py and diagnostics.py."""

from __future__ import annotations

import logging
from typing import Any

from ocpp.v16 import call, call_result

from smartcharge.chargepoint import transfer
from smartcharge.chargepoint.diagnostics import Diagnostics
from smartcharge.chargepoint.firmware import FirmwareManager
from smartcharge.chargepoint.ocpp_handlers.core import when
from smartcharge.ocpp.rpc import RpcEndpoint

log = logging.getLogger("smartcharge.chargepoint.handlers")


class FirmwareHandlers:
    def __init__(self, firmware: FirmwareManager, diagnostics: Diagnostics) -> None:
        self.firmware = firmware
        self.diagnostics = diagnostics

    def register(self, ep: RpcEndpoint) -> None:
        ep.route("UpdateFirmware", self.update_firmware)
        ep.route("SignedUpdateFirmware", self.signed_update_firmware, raw=True)
        ep.route("GetDiagnostics", self.get_diagnostics)

    async def update_firmware(self, req: call.UpdateFirmware) -> call_result.UpdateFirmware:
        self.firmware.schedule_update(
            req.location, when(req.retrieve_date), req.retries, req.retry_interval
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
            when(req.start_time) if req.start_time else None,
            when(req.stop_time) if req.stop_time else None,
        )
        return call_result.GetDiagnostics(file_name=name)
