"""The simulated charger as one `Hardware` bundle, plus the actions of the simulator's user.

The charge point software drives it through the ports (`connectors`, `rfid`, …) exactly as it
drives real hardware; the demo, the control API and tests act as the outside world through the
methods below (plug an EV in, present a card, pull the network cable, inject a fault).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from smartcharge.chargepoint.hardware.ports import (
    ConnectorHardware,
    Indicator,
    NetworkLink,
    RfidReader,
    TamperSensor,
)
from smartcharge.chargepoint.hardware.simulated.connector import SimulatedConnector
from smartcharge.chargepoint.hardware.simulated.peripherals import (
    SimulatedIndicator,
    SimulatedNetwork,
    SimulatedRfidReader,
    SimulatedTamperSensor,
)
from smartcharge.clock import Clock
from smartcharge.sim.ev import SimulatedEV


class SimulatedHardware:
    """Implements `Hardware` with `connectors` simulated connectors numbered 1..n."""

    connectors: dict[int, ConnectorHardware]
    rfid: RfidReader
    tamper: TamperSensor
    indicator: Indicator
    network: NetworkLink

    def __init__(
        self,
        clock: Clock,
        connectors: int = 2,
        max_current_a: float = 32.0,
        phases: int = 3,
        meter_error_fraction: float = 0.0,
    ) -> None:
        if isinstance(connectors, bool) or not isinstance(connectors, int) or connectors < 1:
            raise ValueError(f"connectors must be a whole number ≥ 1, got {connectors!r}")
        self.clock = clock
        self.simulated_connectors: dict[int, SimulatedConnector] = {
            n: SimulatedConnector(
                n,
                clock,
                max_current_a=max_current_a,
                phases=phases,
                meter_error_fraction=meter_error_fraction,
            )
            for n in range(1, connectors + 1)
        }
        self.connectors = dict(self.simulated_connectors)
        self.simulated_rfid = SimulatedRfidReader()
        self.simulated_tamper = SimulatedTamperSensor()
        self.simulated_indicator = SimulatedIndicator()
        self.simulated_network = SimulatedNetwork()
        self.rfid = self.simulated_rfid
        self.tamper = self.simulated_tamper
        self.indicator = self.simulated_indicator
        self.network = self.simulated_network

    def connector(self, n: int) -> SimulatedConnector:
        """The simulated connector `n`; `ValueError` naming the valid ones when there is none."""
        try:
            return self.simulated_connectors[n]
        except KeyError:
            raise ValueError(
                f"no connector {n!r}; this charger has connectors 1..{len(self.connectors)}"
            ) from None

    # -- the outside world ---------------------------------------------------------------------

    def plug(
        self,
        n: int,
        battery_kwh: float,
        soc: float,
        max_power_w: float,
        phases: int | None = None,
    ) -> SimulatedEV:
        """Plug a new EV into connector `n`; `phases=None` means it uses every supply phase."""
        connector = self.connector(n)
        if connector.ev is not None:
            raise ValueError(f"connector {n} already has an EV plugged in; unplug it first")
        ev = SimulatedEV(
            battery_kwh=battery_kwh,
            soc=soc,
            max_power_w=max_power_w,
            phases=connector.phases if phases is None else phases,
            voltage_v=connector.voltage_v,
        )
        connector.plug(ev)
        return ev

    def unplug(self, n: int) -> SimulatedEV:
        return self.connector(n).unplug()

    def present_card(self, id_tag: str) -> None:
        self.simulated_rfid.present(id_tag)

    def tamper_with(self, description: str = "enclosure opened") -> None:
        self.simulated_tamper.trigger(description)

    def set_network(self, up: bool) -> None:
        self.simulated_network.set_up(up)

    def inject_fault(self, n: int, code: str) -> None:
        self.connector(n).inject_fault(code)

    def clear_fault(self, n: int) -> None:
        self.connector(n).clear_fault()

    def set_ev_paused(self, n: int, paused: bool) -> None:
        self.connector(n).set_ev_paused(paused)

    def set_meter_error(self, n: int, error_fraction: float) -> None:
        self.connector(n).simulated_meter.error_fraction = error_fraction

    def restore_registers(self, registers: Mapping[int, float]) -> None:
        """Carry meter registers over a restart ({connector: Wh}); a register never goes back."""
        for n in registers:
            self.connector(n)  # all known before any is touched
        for n, energy_wh in registers.items():
            self.connector(n).simulated_meter.restore_register(energy_wh)

    # -- truth -----------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Hardware truth, JSON-able: per connector (keyed "1".."n") and the network flag."""
        return {
            "connectors": {
                str(n): self._connector_snapshot(c) for n, c in self.simulated_connectors.items()
            },
            "network_up": self.simulated_network.is_up(),
        }

    def _connector_snapshot(self, c: SimulatedConnector) -> dict[str, Any]:
        meter = c.simulated_meter
        metered = meter.read()
        true = meter.true_reading()
        ev = c.ev
        return {
            "ev_connected": ev is not None,
            "pilot": c.pilot_state().value,
            "offered_current_a": c.offered_current(),
            "contactor_closed": c.contactor_closed(),
            "cable_locked": c.cable_locked,
            "error_code": c.error_code(),
            "power_w": metered.power_w,
            "energy_wh": metered.energy_import_wh,
            "current_a": list(metered.current_a),
            "voltage_v": list(metered.voltage_v),
            "true_power_w": true.power_w,
            "true_energy_wh": true.energy_import_wh,
            "true_current_a": list(true.current_a),
            "meter_error_fraction": meter.error_fraction,
            "soc": None if ev is None else ev.soc,
            "ev": None
            if ev is None
            else {
                "battery_kwh": ev.battery_kwh,
                "soc": ev.soc,
                "max_power_w": ev.max_power_w,
                "phases": ev.phases,
                "paused": ev.paused,
                "wants_energy": ev.wants_energy,
                "charged_wh": ev.charged_wh,
            },
            "indicator": self.simulated_indicator.status(c.connector_id),
            "max_current_a": c.max_current_a,
            "phases": c.phases,
        }
