"""Reservations (OCPP Reservation profile): a connector held for one card until it expires."""

from __future__ import annotations

import logging
from datetime import datetime

from smartcharge.chargepoint.connector import Connector
from smartcharge.chargepoint.station_state import StationState
from smartcharge.chargepoint.store_id_tags import Reservation

log = logging.getLogger("smartcharge.chargepoint.station")


class Reservations(StationState):
    """The station's reservations (see the module)."""

    def _reserved_for_other(self, c: Connector, id_tag: str, parent: str | None = None) -> bool:
        r = self.reservation_for(c.id)
        if r is None:
            return False
        return not (id_tag == r.id_tag or (parent is not None and parent == r.parent_id_tag))

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

    def reserve(
        self,
        connector: Connector,
        reservation_id: int,
        id_tag: str,
        parent_id_tag: str | None,
        expires: datetime,
    ) -> str:
        """ReserveNow: hold `connector` for `id_tag` until `expires`; the OCPP status."""
        existing = self.reservation_for(connector.id)
        replacing = existing is not None and existing.reservation_id == reservation_id
        if connector.status == "Faulted":
            return "Faulted"
        if connector.status == "Unavailable":
            return "Unavailable"
        if not replacing and (connector.status != "Available" or existing is not None):
            return "Occupied"
        self.store.put_reservation(
            Reservation(reservation_id, connector.id, id_tag, parent_id_tag, expires)
        )
        self.poke()
        return "Accepted"

    def cancel_reservation(self, reservation_id: int) -> bool:
        removed = self.store.remove_reservation(reservation_id)
        self.poke()
        return removed
