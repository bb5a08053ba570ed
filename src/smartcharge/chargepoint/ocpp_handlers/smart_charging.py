"""OCPP 1.6 Smart Charging profile: SetChargingProfile, ClearChargingProfile and
GetCompositeSchedule, answered by the station's charge control (charge_control.py); what the
profiles then mean for each connector's rate is the charging decision (chargepoint/charging/)."""

from __future__ import annotations

from typing import Any, Literal

from ocpp.v16 import call, call_result

from smartcharge.chargepoint.station import Station
from smartcharge.ocpp.rpc import RpcEndpoint


class SmartChargingHandlers:
    def __init__(self, station: Station) -> None:
        self.station = station

    def register(self, ep: RpcEndpoint) -> None:
        ep.route("SetChargingProfile", self.set_charging_profile, raw=True)
        ep.route("ClearChargingProfile", self.clear_charging_profile)
        ep.route("GetCompositeSchedule", self.get_composite_schedule, raw=True)

    async def set_charging_profile(self, req: dict[str, Any]) -> dict[str, Any]:
        installed = self.station.set_charging_profile(
            int(req["connectorId"]), req["csChargingProfiles"]
        )
        return {"status": "Accepted" if installed else "Rejected"}

    async def clear_charging_profile(
        self, req: call.ClearChargingProfile
    ) -> call_result.ClearChargingProfile:
        cleared = self.station.clear_charging_profiles(
            id=req.id,
            connector_id=req.connector_id,
            purpose=req.charging_profile_purpose,
            stack_level=req.stack_level,
        )
        return call_result.ClearChargingProfile(status="Accepted" if cleared else "Unknown")

    async def get_composite_schedule(self, req: dict[str, Any]) -> dict[str, Any]:
        unit: Literal["A", "W"] = "W" if req.get("chargingRateUnit") == "W" else "A"
        return self.station.composite_schedule(int(req["connectorId"]), int(req["duration"]), unit)
