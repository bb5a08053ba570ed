"""Helpers for the platform tests (imported by name: conftest puts this folder on sys.path)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from csms_peer import now_iso as now_iso  # the peers' clock, re-exported for the tests here
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from websockets.asyncio.client import ClientConnection, connect

from smartcharge.clock import Clock, SystemClock
from smartcharge.platform.app import PlatformApp
from smartcharge.platform.registry import add_charger
from smartcharge.platform.store import Store


class FakeClock(SystemClock):
    """Wall time from the OS (chargers stamp real times); monotonic time, which lockouts run
    on, stands still until a test moves `t`."""

    def __init__(self) -> None:
        self.t = 1000.0

    def monotonic(self) -> float:
        return self.t


class SharedClock(FakeClock):
    """The platform on the same simulated wall time as a charger (`clock`): what happens at a
    whole minute of the plan comes in seconds, not in up to a real minute."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.shared = clock

    def now(self) -> datetime:
        return self.shared.now()


@dataclass
class Platform:
    app: PlatformApp
    clock: FakeClock
    passwords: dict[str, str] = field(default_factory=dict)

    @property
    def store(self) -> Store:
        return self.app.store

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.app.ocpp.port}/ocpp"

    async def add(self, identity: str, **kw: Any) -> str:
        new = await add_charger(self.store, identity, **kw)
        self.passwords[identity] = new.password
        return new.password

    async def charger_id(self, identity: str) -> int:
        creds = await self.store.chargers.credentials(identity)
        assert creds is not None
        return creds.id


def basic(identity: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{identity}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


MakePlatform = Callable[..., Awaitable[Platform]]


class PeerChargePoint(ChargePoint):
    """The `ocpp` package's charge point: it validates every CALLRESULT it receives."""

    def __init__(self, id: str, connection: Any) -> None:
        super().__init__(id, connection, response_timeout=10)
        self.silent = False
        self.silent_s = 30.0  # how long a silent charger keeps a call unanswered
        self.configuration_answer = "Accepted"  # what ChangeConfiguration answers
        self.keys: dict[str, str] = {}  # what ChangeConfiguration set (when Accepted)

    @on("GetConfiguration")
    async def on_get_configuration(self, **_: Any) -> call_result.GetConfiguration:
        if self.silent:
            await asyncio.sleep(self.silent_s)
        return call_result.GetConfiguration(
            configuration_key=[{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]
        )

    @on("ChangeConfiguration")
    async def on_change_configuration(self, key: str, value: str) -> Any:
        if self.silent:
            await asyncio.sleep(self.silent_s)
        if self.configuration_answer in ("Accepted", "RebootRequired"):
            self.keys[key] = value
        return call_result.ChangeConfiguration(status=self.configuration_answer)


@dataclass
class Peer:
    cp: PeerChargePoint
    ws: ClientConnection
    task: asyncio.Task[None]

    async def call(self, request: Any) -> Any:
        return await self.cp.call(request, suppress=False)


async def open_peer(
    url: str, identity: str, password: str, cls: type[PeerChargePoint] = PeerChargePoint
) -> Peer:
    """The `ocpp` package's charge point (or `cls`, a subclass) connected to `url` (…/ocpp)
    with basic auth."""
    ws = await connect(
        f"{url}/{identity}",
        subprotocols=["ocpp1.6"],  # type: ignore[list-item]
        additional_headers=basic(identity, password),
    )
    cp = cls(identity, ws)
    return Peer(cp, ws, asyncio.create_task(cp.start()))


async def close_peers(peers: list[Peer]) -> None:
    for peer in peers:
        await peer.ws.close()
        peer.task.cancel()
    await asyncio.gather(*(p.task for p in peers), return_exceptions=True)
