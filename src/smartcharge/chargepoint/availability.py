"""Availability (ChangeAvailability): a connector or the whole charger Operative or
Inoperative, kept in the store; while a session runs the change is Scheduled for its end."""

from __future__ import annotations

import logging

from smartcharge.chargepoint.charge_control import ChargeControl

log = logging.getLogger("smartcharge.chargepoint.station")


class Availability(ChargeControl):
    """The station's availability (see the module)."""

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
            if self.busy() and not operative:
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
