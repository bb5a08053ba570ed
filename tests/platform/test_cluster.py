"""Several nodes (issue 5 item 9): two platform nodes on one PostgreSQL database and one NATS
server. Node A runs in the test process (so the test calls its `OcppServer.send`, as the REST API
does); node B is a real `smartcharge platform serve` process, killed with SIGKILL in the failover
test. The chargers are the `ocpp` package's ChargePoint.

NATS: `SMARTCHARGE_TEST_NATS` (default nats://127.0.0.1:4222). Like PostgreSQL, an unreachable
broker skips these tests on a developer machine and fails them in CI.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nats
import pytest
from ocpp.v16 import call
from platform_harness import Peer, PeerChargePoint, basic, close_peers, now_iso, open_peer
from sqlalchemy import select
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from smartcharge.ocpp.errors import CallTimeout, OcppError
from smartcharge.platform.app import PlatformApp
from smartcharge.platform.config import PlatformSettings
from smartcharge.platform.errors import ChargerOffline
from smartcharge.platform.registry import add_charger
from smartcharge.platform.store import Store
from smartcharge.platform.store.models import MeterValue, Transaction

NATS_URL = os.environ.get("SMARTCHARGE_TEST_NATS", "nats://127.0.0.1:4222")


async def _nats_reachable() -> None:
    try:
        nc = await nats.connect(NATS_URL, connect_timeout=3, allow_reconnect=False)
    except Exception as exc:
        if os.environ.get("CI"):
            raise RuntimeError(f"NATS at {NATS_URL} is unreachable in CI: {exc!r}") from exc
        pytest.skip(f"NATS at {NATS_URL} unreachable: {exc!r}")
    await nc.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    a: PlatformApp
    b: asyncio.subprocess.Process
    b_port: int
    b_log: Path
    settings: dict[str, Any]
    passwords: dict[str, str] = field(default_factory=dict)

    @property
    def url_a(self) -> str:
        return f"ws://127.0.0.1:{self.a.ocpp.port}/ocpp"

    @property
    def url_b(self) -> str:
        return f"ws://127.0.0.1:{self.b_port}/ocpp"

    @property
    def store(self) -> Store:
        return self.a.store

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({f"SMARTCHARGE_PLATFORM_{k.upper()}": str(v) for k, v in self.settings.items()})
        return env


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:]


async def _wait_listening(
    port: int, proc: asyncio.subprocess.Process, log: Path, timeout: float = 30.0
) -> None:
    async with asyncio.timeout(timeout):
        while True:
            if proc.returncode is not None:
                raise RuntimeError(f"node B exited: {_tail(log)}")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            writer.close()
            await writer.wait_closed()
            return


@pytest.fixture
async def cluster(pg_url: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    await _nats_reachable()
    shared = {
        "database_url": pg_url,
        "bus_url": NATS_URL,
        "bus_prefix": f"test{uuid.uuid4().hex[:10]}",  # tests sharing the broker never meet
        "host": "127.0.0.1",
        "security_profile": 1,
        "meter_batch_ms": 20,
        "api_host": "127.0.0.1",
        "api_port": 0,  # each node's REST API on a free port
    }
    a = PlatformApp(
        PlatformSettings(**shared, port=0, node_id="node-a", data_dir=tmp_path / "a")  # type: ignore[arg-type]
    )
    await a.start()
    b_port = _free_port()
    settings = {**shared, "port": b_port, "node_id": "node-b", "data_dir": tmp_path / "b"}
    b_log = tmp_path / "node-b.log"
    c = Cluster(a, None, b_port, b_log, settings)  # type: ignore[arg-type]
    with b_log.open("wb") as err:
        c.b = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "smartcharge",
            "platform",
            "serve",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=err,
            env=c.env(),
        )
    try:
        await _wait_listening(b_port, c.b, b_log)
        for identity in ("CP-1", "CP-2"):
            c.passwords[identity] = (await add_charger(a.store, identity)).password
        yield c
    finally:
        if c.b.returncode is None:
            c.b.kill()
            await c.b.wait()
        await a.stop()


OpenPeer = Callable[[Cluster, str, str], Awaitable[Peer]]


@pytest.fixture
async def charger() -> AsyncIterator[OpenPeer]:
    opened: list[Peer] = []

    async def open_charger(c: Cluster, identity: str, url: str) -> Peer:
        peer = await open_peer(url, identity, c.passwords[identity])
        opened.append(peer)
        return peer

    yield open_charger
    await close_peers(opened)


async def _node_of(c: Cluster, identity: str, node: str | None) -> None:
    async with asyncio.timeout(10):
        while await c.store.chargers.connected_node(identity) != node:
            await asyncio.sleep(0.05)


async def test_a_command_through_node_a_reaches_a_charger_on_node_b(
    cluster: Cluster, charger: OpenPeer
) -> None:
    on_b = await charger(cluster, "CP-1", cluster.url_b)
    await charger(cluster, "CP-2", cluster.url_a)
    await _node_of(cluster, "CP-1", "node-b")
    send = cluster.a.ocpp.send
    assert not cluster.a.ocpp.is_connected("CP-1")

    answer = await send("CP-1", "GetConfiguration", {"key": ["HeartbeatInterval"]}, timeout=5)
    assert answer["configurationKey"][0]["value"] == "300"
    assert (await send("CP-2", "GetConfiguration", {}, timeout=5))["configurationKey"]
    # The charger's errors come back as if it were here.
    with pytest.raises(OcppError):
        await send("CP-1", "GetConfiguration", {"key": "not a list"}, timeout=5)
    on_b.cp.silent, on_b.cp.silent_s = True, 1.0
    with pytest.raises(CallTimeout):
        await send("CP-1", "GetConfiguration", {}, timeout=0.5)
    on_b.cp.silent = False
    await asyncio.sleep(0.6)  # the peer answers one call at a time: let the slow one finish
    with pytest.raises(ChargerOffline):  # registered, connected nowhere: no responders
        await send("NOBODY", "GetConfiguration", {}, timeout=5)

    # The CLI (a third process) rotates CP-1's password through the bus.
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "smartcharge", "platform", "rotate-password", "--identity", "CP-1"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=cluster.env(),
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    new = on_b.cp.keys["AuthorizationKey"]
    assert new not in out.decode() + err.decode()
    creds = await cluster.store.chargers.credentials("CP-1")
    assert creds is not None and creds.pending_accepted

    # CP-1 reconnects to node A (with its new password): node B drops its stale connection.
    cluster.passwords["CP-1"] = new
    await charger(cluster, "CP-1", cluster.url_a)
    async with asyncio.timeout(10):
        await on_b.ws.wait_closed()
    await _node_of(cluster, "CP-1", "node-a")
    assert cluster.a.ocpp.is_connected("CP-1")


class FailoverCharger:
    """A charger behind a load balancer: when its node goes, it connects to the next one and
    sends again what was not acknowledged (as a charge point's durable outbox does)."""

    def __init__(self, c: Cluster, identity: str, urls: list[str]) -> None:
        self.c, self.identity, self.urls = c, identity, urls
        self.url_index = 0
        self.current: tuple[PeerChargePoint, ClientConnection, asyncio.Task[None]] | None = None
        self.reconnects = 0

    async def _connect(self) -> PeerChargePoint:
        while self.current is None:
            url = self.urls[self.url_index % len(self.urls)]
            try:
                ws = await connect(
                    f"{url}/{self.identity}",
                    subprotocols=["ocpp1.6"],  # type: ignore[list-item]
                    additional_headers=basic(self.identity, self.c.passwords[self.identity]),
                    open_timeout=2,
                )
            except (OSError, TimeoutError, WebSocketException):  # refused, or cut mid-handshake
                self.url_index += 1
                self.reconnects += 1
                await asyncio.sleep(0.1)
                continue
            cp = PeerChargePoint(self.identity, ws)
            cp._response_timeout = 2
            self.current = (cp, ws, asyncio.create_task(cp.start()))
        return self.current[0]

    async def send(self, request: Any) -> Any:
        while True:
            cp = await self._connect()
            try:
                return await cp.call(request, suppress=False)
            except (WebSocketException, TimeoutError, OSError):
                await self.drop()

    async def drop(self) -> None:
        if self.current is not None:
            _, ws, task = self.current
            self.current = None
            await ws.close()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def test_a_node_dies_and_its_chargers_lose_nothing(cluster: Cluster) -> None:
    await cluster.store.id_tags.put("CARD", at=cluster.a.ocpp._now())
    ch = FailoverCharger(cluster, "CP-1", [cluster.url_b, cluster.url_a])
    try:
        await ch.send(call.BootNotification(charge_point_model="M", charge_point_vendor="V"))
        await _node_of(cluster, "CP-1", "node-b")
        start = await ch.send(
            call.StartTransaction(connector_id=1, id_tag="CARD", meter_start=0, timestamp=now_iso())
        )
        tx = start.transaction_id
        sent = 120
        for seq in range(1, sent + 1):
            if seq == 40:  # node B dies mid-stream, without a chance to say anything
                cluster.b.send_signal(signal.SIGKILL)
            await ch.send(
                call.MeterValues(
                    connector_id=1,
                    transaction_id=tx,
                    meter_value=[
                        {
                            "timestamp": now_iso(),
                            "sampled_value": [
                                {"value": str(seq), "measurand": "Energy.Active.Import.Register"}
                            ],
                        }
                    ],
                )
            )
        stop = await ch.send(
            call.StopTransaction(
                meter_stop=sent, timestamp=now_iso(), transaction_id=tx, reason="Local"
            )
        )
        assert stop is not None
        assert await cluster.b.wait() == -signal.SIGKILL
        assert ch.reconnects >= 1 and cluster.a.ocpp.is_connected("CP-1")
        await _node_of(cluster, "CP-1", "node-a")
        # Node A now commands it locally.
        answer = await cluster.a.ocpp.send("CP-1", "GetConfiguration", {}, timeout=5)
        assert answer["configurationKey"]
    finally:
        await ch.drop()

    async with cluster.store.engine.connect() as conn:
        values = (
            await conn.scalars(select(MeterValue.value).where(MeterValue.transaction_id == tx))
        ).all()
        row = (await conn.execute(select(Transaction).where(Transaction.id == tx))).one()
    # Every message the charger sent is stored (one sent again after the kill may be stored
    # twice: OCPP delivery is at least once).
    assert {int(v) for v in values} == set(range(1, sent + 1))
    assert row.meter_stop == sent and not row.unknown_transaction and row.stop_reason == "Local"
