"""A charger that is not ours: the `ocpp` package's ChargePoint with a few behaviours, for the
suite's `--listen` mode (tests/compliance/test_listen_independent.py).

It keeps a small configuration (some keys read-only, int keys range-checked), accepts charging
profiles up to its ChargeProfileMaxStackLevel with non-negative limits and plans them clamped to
its 32 A in GetCompositeSchedule, answers Reset by rebooting (a new connection and a new
BootNotification, its settings kept), refuses GetLog, knows no DataTransfer vendor, and
implements none of the security whitepaper's firmware messages. It connects with its own random
HTTP Basic auth password.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ocpp.routing import after, on
from ocpp.v16 import ChargePoint, call, call_result
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

VENDOR, MODEL, FIRMWARE, SERIAL = "Independent Test Co", "IT-Peer-1", "3.2.1", "ITP-000042"
HARDWARE_A = 32.0
MEASURANDS = {"Energy.Active.Import.Register", "Power.Active.Import", "Current.Offered"}


@dataclass
class Memory:
    """What the charger keeps across reboots."""

    password: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    config: dict[str, tuple[str, bool]] = field(
        default_factory=lambda: {
            "HeartbeatInterval": ("300", False),
            "MeterValueSampleInterval": ("60", False),
            "MeterValuesSampledData": ("Energy.Active.Import.Register", False),
            "RandomisedDelayMaxSeconds": ("600", False),
            "NumberOfConnectors": ("1", True),
            "ChargeProfileMaxStackLevel": ("3", True),
        }
    )
    profiles: dict[int, dict[str, Any]] = field(default_factory=dict)
    boots: int = 0
    changes: list[tuple[str, str]] = field(default_factory=list)  # every value it accepted


def _valid(key: str, value: str) -> bool:
    if key == "MeterValuesSampledData":
        members = [m.strip() for m in value.split(",")]
        return bool(members) and set(members) <= MEASURANDS
    if not value.strip().isdigit():
        return False
    return key != "RandomisedDelayMaxSeconds" or 0 <= int(value) <= 1800


class IndependentCharger(ChargePoint):
    def __init__(self, identity: str, connection: Any, memory: Memory) -> None:
        super().__init__(identity, connection, response_timeout=30)
        self.memory = memory
        self.reboot = asyncio.Event()

    @on("GetConfiguration")
    async def on_get_configuration(self, key: list[str] | None = None) -> Any:
        config = self.memory.config
        wanted = key or list(config)
        listed = [
            {"key": k, "readonly": config[k][1], "value": config[k][0]}
            for k in wanted
            if k in config
        ]
        unknown = [k for k in wanted if k not in config]
        return call_result.GetConfiguration(configuration_key=listed, unknown_key=unknown or None)

    @on("ChangeConfiguration")
    async def on_change_configuration(self, key: str, value: str) -> Any:
        if key not in self.memory.config:
            return call_result.ChangeConfiguration(status="NotSupported")
        readonly = self.memory.config[key][1]
        if readonly or not _valid(key, value):
            return call_result.ChangeConfiguration(status="Rejected")
        self.memory.config[key] = (value, False)
        self.memory.changes.append((key, value))
        return call_result.ChangeConfiguration(status="Accepted")

    @on("SetChargingProfile")
    async def on_set_charging_profile(self, connector_id: int, cs_charging_profiles: Any) -> Any:
        profile = cs_charging_profiles
        periods = profile["charging_schedule"]["charging_schedule_period"]
        stack = int(profile["stack_level"])
        if stack > int(self.memory.config["ChargeProfileMaxStackLevel"][0]) or any(
            float(p["limit"]) < 0 for p in periods
        ):
            return call_result.SetChargingProfile(status="Rejected")
        self.memory.profiles[int(profile["charging_profile_id"])] = profile
        return call_result.SetChargingProfile(status="Accepted")

    @on("ClearChargingProfile")
    async def on_clear_charging_profile(self, id: int | None = None, **_: Any) -> Any:
        found = self.memory.profiles.pop(int(id), None) if id is not None else None
        return call_result.ClearChargingProfile(status="Accepted" if found else "Unknown")

    @on("GetCompositeSchedule")
    async def on_get_composite_schedule(self, connector_id: int, duration: int, **_: Any) -> Any:
        if not self.memory.profiles:
            return call_result.GetCompositeSchedule(status="Rejected")
        profile = max(self.memory.profiles.values(), key=lambda p: int(p["stack_level"]))
        schedule = profile["charging_schedule"]
        now = datetime.now(UTC).replace(microsecond=0)
        begin = datetime.fromisoformat(schedule["start_schedule"].replace("Z", "+00:00"))
        periods: list[dict[str, Any]] = []
        for p in schedule["charging_schedule_period"]:
            offset = max(
                0, int((begin + timedelta(seconds=p["start_period"]) - now).total_seconds())
            )
            limit = min(float(p["limit"]), HARDWARE_A)  # the charger's own hardware limit
            if periods and offset == periods[-1]["startPeriod"]:
                periods[-1]["limit"] = limit
            else:
                periods.append({"startPeriod": offset, "limit": limit})
        return call_result.GetCompositeSchedule(
            status="Accepted",
            connector_id=connector_id,
            schedule_start=now.isoformat().replace("+00:00", "Z"),
            charging_schedule={
                "duration": duration,
                "startSchedule": now.isoformat().replace("+00:00", "Z"),
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": periods,
            },
        )

    @on("Reset")
    async def on_reset(self, type: str) -> Any:
        return call_result.Reset(status="Accepted")

    @after("Reset")
    async def reboot_after_reset(self, type: str) -> None:
        self.reboot.set()  # once the answer has gone

    @on("DataTransfer")
    async def on_data_transfer(self, vendor_id: str, **_: Any) -> Any:
        return call_result.DataTransfer(status="UnknownVendorId")

    @on("GetLog")
    async def on_get_log(self, **_: Any) -> Any:
        return call_result.GetLog(status="Rejected")


async def run(url: str, identity: str, memory: Memory, stop: asyncio.Event) -> None:
    """Connect, boot, serve; reconnect (a new boot) after every accepted Reset; until `stop`."""
    token = base64.b64encode(f"{identity}:{memory.password}".encode()).decode()
    while not stop.is_set():
        async with connect(
            f"{url}/{identity}",
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            additional_headers={"Authorization": f"Basic {token}"},
        ) as ws:
            cp = IndependentCharger(identity, ws, memory)
            serving = asyncio.ensure_future(cp.start())
            memory.boots += 1
            await cp.call(
                call.BootNotification(
                    charge_point_vendor=VENDOR,
                    charge_point_model=MODEL,
                    charge_point_serial_number=SERIAL,
                    firmware_version=FIRMWARE,
                )
            )
            ended = asyncio.ensure_future(asyncio.wait({serving}))
            waits = {
                ended,
                asyncio.ensure_future(cp.reboot.wait()),
                asyncio.ensure_future(stop.wait()),
            }
            _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for task in (*pending, serving):
                task.cancel()
            await asyncio.gather(*pending, serving, return_exceptions=True)


async def main_loop(url: str, identity: str, memory: Memory, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await run(url, identity, memory, stop)
        except (OSError, ConnectionClosed):
            # A charger's own back-off before it dials again (its behaviour, not a verdict).
            await asyncio.sleep(0.2)
