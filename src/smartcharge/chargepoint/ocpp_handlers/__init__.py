"""Requests from the central system, one module per OCPP 1.6 feature profile (as the
platform's handlers are): core, local_auth_list, reservation, remote_trigger, firmware,
smart_charging, security (the security whitepaper) and uk_extension (our DataTransfer messages).

Each module answers from the station's domain methods; `Handlers` builds them and routes every
action. Commands that act after answering do their work in an after-hook, so the central system
always gets the CALLRESULT first, as OCPP requires.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from smartcharge.chargepoint.configuration_keys import Configuration
from smartcharge.chargepoint.diagnostics import Diagnostics
from smartcharge.chargepoint.firmware import FirmwareManager
from smartcharge.chargepoint.ocpp_handlers.core import CoreHandlers
from smartcharge.chargepoint.ocpp_handlers.firmware import FirmwareHandlers
from smartcharge.chargepoint.ocpp_handlers.local_auth_list import LocalAuthListHandlers
from smartcharge.chargepoint.ocpp_handlers.remote_trigger import RemoteTriggerHandlers
from smartcharge.chargepoint.ocpp_handlers.reservation import ReservationHandlers
from smartcharge.chargepoint.ocpp_handlers.smart_charging import SmartChargingHandlers
from smartcharge.chargepoint.ocpp_handlers.uk_extension import DeviceHooks, UkExtension
from smartcharge.chargepoint.owner_controls import OwnerControls
from smartcharge.chargepoint.station import Station
from smartcharge.chargepoint.store import Store
from smartcharge.clock import Clock
from smartcharge.ocpp.errors import SecurityError
from smartcharge.ocpp.rpc import RpcEndpoint
from smartcharge.ocpp.schemas import ACTIONS_TO_CHARGE_POINT


def _refuse_report_only(req: dict[str, Any]) -> dict[str, Any]:
    raise SecurityError(
        "the charger's software failed its integrity check: it takes no remote commands"
        " until a valid signed update restores it"
    )


class Handlers:
    """Every feature profile's handlers, routed on one endpoint."""

    def __init__(
        self,
        station: Station,
        store: Store,
        controls: OwnerControls,
        configuration: Configuration,
        firmware: FirmwareManager,
        diagnostics: Diagnostics,
        send_boot: Callable[[], Awaitable[None]],
        send_heartbeat: Callable[[], Awaitable[None]],
        device: DeviceHooks | None = None,
        *,
        clock: Clock,
    ) -> None:
        self.station = station
        self.config = configuration
        self.core = CoreHandlers(station, configuration)
        self.local_auth_list = LocalAuthListHandlers(store, configuration)
        self.reservation = ReservationHandlers(station, configuration)
        self.trigger = RemoteTriggerHandlers(
            station, firmware, diagnostics, send_boot, send_heartbeat
        )
        self.firmware = FirmwareHandlers(firmware, diagnostics)
        self.smart_charging = SmartChargingHandlers(station)
        self.uk = UkExtension(station, controls, device, clock=clock)
        # The security profile reuses these (ExtendedTriggerMessage, ChangeConfiguration).
        self.change_configuration = self.core.change_configuration
        self.trigger_message = self.trigger.trigger_message
        self.after_trigger = self.trigger.after_trigger

    def register(self, ep: RpcEndpoint, *, report_only: bool = False) -> None:
        """Route every request; `report_only` (the boot integrity check failed, R31): refuse
        every command with a SecurityError CALLERROR but a signed firmware update, the one
        thing that can restore the charger."""
        if report_only:
            for action in sorted(ACTIONS_TO_CHARGE_POINT):
                ep.route(action, _refuse_report_only, raw=True)
            ep.route("SignedUpdateFirmware", self.firmware.signed_update_firmware, raw=True)
            return
        self.core.register(ep)
        ep.route("DataTransfer", self.uk.data_transfer, raw=True, after=self.uk.after)
        self.local_auth_list.register(ep)
        self.reservation.register(ep)
        self.trigger.register(ep)
        self.firmware.register(ep)
        self.smart_charging.register(ep)


__all__ = ["Handlers"]
