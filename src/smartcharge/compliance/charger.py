"""One charger under test as the suite sees it: its identity on the suite's central system, its
simulator (when simulated), its clock, and what the suite changed on it (put back at the end).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from smartcharge.compliance.csms import CentralSystem
from smartcharge.compliance.firmware_images import FirmwareImages
from smartcharge.compliance.owner_client import OwnerClient
from smartcharge.compliance.simulator import SimulatorControl
from smartcharge.manufacturer import keys


class TargetError(Exception):
    """The charger could not be started or did not connect."""


class Charger:
    """One charger under test, connected to the suite's central system."""

    def __init__(
        self,
        identity: str,
        csms: CentralSystem,
        sim: SimulatorControl | None = None,
        speed: float | None = None,
        data_dir: Path | None = None,
    ) -> None:
        self.identity = identity
        self.csms = csms
        self.sim = sim
        self.speed = speed  # simulated seconds per real second; None: real time, unknown
        self.data_dir = data_dir
        self.credentials_dir: Path | None = None
        self.manufacturer: keys.KeyFiles | None = None  # the signing keys it trusts, if known
        self.owner: OwnerClient | None = None  # its owner API, when the suite can reach it
        self.local_https: tuple[str, int] | None = None  # its local HTTPS interface, if given
        self.firmware: FirmwareImages | None = None  # its own images, if its maker gave them
        # Every setting the suite changed, with the value it had before (put back at the end),
        # and the charging profiles it installed.
        self.changed: dict[str, str | None] = {}
        self.profiles: set[tuple[int, int]] = set()
        # (simulated start, loop time at launch): an upper bound of the charger's clock until
        # it has sent a timestamp of its own.
        self.clock_hint: tuple[datetime, float] | None = None
        # What a scenario worked out from the messages so far, to read only new ones next time.
        self.memo: dict[tuple[str, str], Any] = {}

    async def call(
        self, action: str, payload: dict[str, Any], timeout: float | None = None
    ) -> dict[str, Any]:
        key = str(payload.get("key", "")) if action == "ChangeConfiguration" else ""
        if key and key not in self.changed:
            before = await self.csms.call(self.identity, "GetConfiguration", {"key": [key]})
            listed = [
                k
                for k in before.get("configurationKey") or []
                if str(k.get("key", "")).casefold() == key.casefold() and not k.get("readonly")
            ]
            if listed and listed[0].get("value") is not None:
                original: str | None = str(listed[0]["value"])
            else:
                original = None
        answer = await self.csms.call(self.identity, action, payload, timeout)
        status = answer.get("status")
        if key and key not in self.changed and status in ("Accepted", "RebootRequired"):
            self.changed[key] = original
        if action == "SetChargingProfile" and status == "Accepted":
            profile = payload.get("csChargingProfiles") or {}
            self.profiles.add((int(payload["connectorId"]), int(profile["chargingProfileId"])))
        return answer

    async def put_back(self) -> list[str]:
        """Put back every setting the suite changed and clear the profiles it installed; what
        could not be put back, in words (for the evidence)."""
        left = []
        for key, value in list(self.changed.items()):
            if value is None:
                left.append(f"{key}: its value before the suite changed it was not readable")
                continue
            try:
                res = await self.csms.call(
                    self.identity, "ChangeConfiguration", {"key": key, "value": value}
                )
                if res.get("status") not in ("Accepted", "RebootRequired"):
                    left.append(f"{key}: putting back {value!r} was {res.get('status')}")
            except Exception as exc:
                left.append(f"{key}: {type(exc).__name__}: {exc}")
        self.changed.clear()
        for connector_id, profile_id in sorted(self.profiles):
            try:
                await self.csms.call(self.identity, "ClearChargingProfile", {"id": profile_id})
            except Exception as exc:
                left.append(f"profile {profile_id} on {connector_id}: {type(exc).__name__}")
        self.profiles.clear()
        return left

    def clock_upper_bound(self) -> datetime:
        """A time the charger's clock has not yet reached (it started after we launched it)."""
        if self.clock_hint is None:
            raise TargetError("the charger's clock is unknown")
        start, launched = self.clock_hint
        return start + timedelta(
            seconds=self.sim_seconds(asyncio.get_running_loop().time() - launched)
        )

    def sim_seconds(self, real_s: float) -> float:
        return real_s * (self.speed or 1.0)

    def real_seconds(self, sim_s: float) -> float:
        return sim_s / (self.speed or 1.0)
