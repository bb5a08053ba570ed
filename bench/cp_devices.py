"""The charge point on its real device drivers, for bench/chargepoint_resources.py --hardware
devices: an SDM630 meter and an EVSE-DIN board per connector, served over Modbus TCP on loopback
by this process (the protocol-level simulators, driven by the simulated EV physics), and how long
a Modbus reading takes to reach the central system.

Latency: every meter read this process serves stamps phase 1's voltage with a sequence number
(230.0 V + n/10, n cycling through 100 values, about 15 s at 6-7 reads a second); the charger
reports that voltage in its MeterValues, so each MeterValues received names the read it came
from, and the time between serving that read and receiving the message is the latency.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from smartcharge.chargepoint.hardware.device_sims.rig import DeviceRig
from smartcharge.chargepoint.hardware.ports import MeterReading
from smartcharge.chargepoint.hardware.simulated import SimulatedHardware
from smartcharge.sim.central_system import CentralSystem
from smartcharge.sim.clock import SimulatedClock

STAMPS = 100
POLL_INTERVAL_S = 0.15  # 4 Modbus requests per connector per poll


@dataclass
class Stamps:
    served: dict[tuple[int, int], float] = field(default_factory=dict)  # (connector, n) -> t
    count: dict[int, int] = field(default_factory=dict)

    def stamped(self, n: int, read: Callable[[], MeterReading]) -> Callable[[], MeterReading]:
        def serve() -> MeterReading:
            seq = self.count.get(n, 0) % STAMPS
            self.count[n] = self.count.get(n, 0) + 1
            self.served[(n, seq)] = time.monotonic()
            r = read()
            return replace(r, voltage_v=(230.0 + seq / 10, *r.voltage_v[1:]))

        return serve


@dataclass
class Devices:
    rig: DeviceRig
    table: dict[str, Any]
    stamps: Stamps
    # (received at, ms since the read it carries): matched on arrival, before the stamp's
    # sequence number comes round again
    latencies: list[tuple[float, float]] = field(default_factory=list)

    @property
    def world(self) -> SimulatedHardware:
        return self.rig.hardware

    def latencies_ms(self, since: float) -> list[float]:
        return [ms for t, ms in self.latencies if t >= since]

    def received(self, t: float, p: dict[str, Any]) -> None:
        n = p["connectorId"]
        for mv in p["meterValue"]:
            for sv in mv["sampledValue"]:
                if sv.get("measurand") == "Voltage" and sv.get("phase", "L1") in ("L1", "L1-N"):
                    seq = round((float(sv["value"]) - 230.0) * 10) % STAMPS
                    served = self.stamps.served.get((n, seq))
                    if served is not None and served <= t:
                        self.latencies.append((t, 1000 * (t - served)))


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) >= 2 else float("nan")


async def start_devices(cs: CentralSystem, start: datetime, speed: float) -> Devices:
    world = SimulatedHardware(SimulatedClock(start, speed), connectors=2)
    rig = DeviceRig(world)
    stamps = Stamps()
    for n, meter in rig.meters.items():
        meter.source = stamps.stamped(n, meter.source)
    table = await rig.start()
    table["poll_interval_s"] = POLL_INTERVAL_S
    devices = Devices(rig, table, stamps)
    answer = cs._answer

    def recording(rec: Any, action: str, p: dict[str, Any]) -> dict[str, Any]:
        if action == "MeterValues":
            devices.received(time.monotonic(), p)
        return answer(rec, action, p)

    cs._answer = recording  # type: ignore[method-assign]
    return devices


def hardware_toml(table: dict[str, Any]) -> str:
    """The `[hardware]` tables for the charger's cp.toml."""

    def value(v: Any) -> str:
        if isinstance(v, str):
            return f'"{v}"'
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return str(v)

    lines = ["[hardware]"]
    lines += [f"{k} = {value(v)}" for k, v in table.items() if not isinstance(v, dict)]
    for part, keys in table.items():
        if isinstance(keys, dict):
            lines.append(f"[hardware.{part}]")
            lines += [f"{k} = {value(v)}" for k, v in keys.items()]
    return "\n".join(lines) + "\n"
