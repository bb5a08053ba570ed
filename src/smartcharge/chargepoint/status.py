"""Status: what each connector shows (indicator) and reports (StatusNotification).

The status is the pure mapping of connector.py over what the hardware and the session say; a
change is reported once it has lasted MinimumStatusDuration, and all are sent again on reconnect.
"""

from __future__ import annotations

import logging

from smartcharge.chargepoint.connector import Connector, ConnectorFacts, ocpp_status
from smartcharge.chargepoint.hardware.ports import PilotState
from smartcharge.chargepoint.reservations import Reservations
from smartcharge.ocpp.times import format_time

log = logging.getLogger("smartcharge.chargepoint.station")


class StatusReports(Reservations):
    """The station's status (see the module)."""

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

    async def report_status_now(self, connector_id: int | None) -> None:
        """TriggerMessage(StatusNotification): the status of one connector (0: the charger) or
        of all, now."""
        ids = [connector_id] if connector_id is not None else [0, *self.connectors]
        for n in ids:
            if n == 0:
                available = self.operative and not self.tampered
                await self.send_status(0, "Available" if available else "Unavailable")
            else:
                c = self.connectors[n]
                await self.send_status(n, c.status, c.hw.error_code())
