"""OCPP 1.6 Reservation profile: ReserveNow and CancelReservation (the station's
reservations.py keeps them and lets them expire)."""

from __future__ import annotations

from ocpp.v16 import call, call_result

from smartcharge.chargepoint.configuration_keys import Configuration
from smartcharge.chargepoint.ocpp_handlers.core import connector, when
from smartcharge.chargepoint.station import Station
from smartcharge.ocpp.rpc import RpcEndpoint


class ReservationHandlers:
    def __init__(self, station: Station, configuration: Configuration) -> None:
        self.station = station
        self.config = configuration

    def register(self, ep: RpcEndpoint) -> None:
        ep.route("ReserveNow", self.reserve_now)
        ep.route("CancelReservation", self.cancel_reservation)

    async def reserve_now(self, req: call.ReserveNow) -> call_result.ReserveNow:
        if req.connector_id == 0 and not self.config.bool_value("ReserveConnectorZeroSupported"):
            return call_result.ReserveNow(status="Rejected")
        c = connector(self.station, req.connector_id)
        status = self.station.reserve(
            c, req.reservation_id, req.id_tag, req.parent_id_tag, when(req.expiry_date)
        )
        return call_result.ReserveNow(status=status)

    async def cancel_reservation(
        self, req: call.CancelReservation
    ) -> call_result.CancelReservation:
        removed = self.station.cancel_reservation(req.reservation_id)
        return call_result.CancelReservation(status="Accepted" if removed else "Rejected")
