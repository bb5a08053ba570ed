"""The simulated charger: a first-class hardware adapter the demo, compliance suite and benchmarks
run on. See docs/simulator.md."""

from smartcharge.chargepoint.hardware.simulated.connector import FAULT_CODES, SimulatedConnector
from smartcharge.chargepoint.hardware.simulated.hardware import SimulatedHardware
from smartcharge.chargepoint.hardware.simulated.meter import SimulatedMeter
from smartcharge.chargepoint.hardware.simulated.peripherals import (
    SimulatedIndicator,
    SimulatedNetwork,
    SimulatedRfidReader,
    SimulatedTamperSensor,
)

__all__ = [
    "FAULT_CODES",
    "SimulatedConnector",
    "SimulatedHardware",
    "SimulatedIndicator",
    "SimulatedMeter",
    "SimulatedNetwork",
    "SimulatedRfidReader",
    "SimulatedTamperSensor",
]
