"""Site balancing on several nodes (issue 14 item 5 with issue 5's cluster): one PostgreSQL
database, one NATS server, node B a real `smartcharge platform serve` process and node A in the
test process, the chargers (the `ocpp` package's charge point) connected to A. Only the node
holding the site's lease balances it: B takes it first and its limits reach the chargers on A
through NATS while A, running rounds, sends nothing. B is killed with SIGKILL: its lease runs out,
A takes the site over from what B recorded and acts on the next change of supply."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from api_harness import UkPeer
from platform_harness import Peer, close_peers, open_peer
from test_cluster import NATS_URL, _free_port, _nats_reachable, _tail, _wait_listening
from test_site_balancer import charging, limits, live, until

from smartcharge.platform.app import PlatformApp
from smartcharge.platform.config import PlatformSettings
from smartcharge.platform.registry import add_charger
from smartcharge.platform.services.site_balancer import CLAIM_S, LIVE_ID
from smartcharge.platform.store import Store

NAMES = [f"N-{n}" for n in range(4)]


@pytest.fixture
async def shared(pg_url: str, tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    await _nats_reachable()
    yield {
        "database_url": pg_url,
        "bus_url": NATS_URL,
        "bus_prefix": f"test{uuid.uuid4().hex[:10]}",  # tests sharing the broker never meet
        "host": "127.0.0.1",
        "security_profile": 1,
        "meter_batch_ms": 20,
        "api_host": "127.0.0.1",
        "api_port": 0,
    }


async def _holder(store: Store, site_id: int, node: str) -> None:
    async with asyncio.timeout(CLAIM_S * 9):  # a guard only: a busy machine is slow
        while (await store.sites.balancer(site_id))[0] != node:
            await asyncio.sleep(0.1)


async def test_one_node_balances_a_site_and_another_takes_over_when_it_dies(
    shared: dict[str, Any], tmp_path: Path
) -> None:
    store = Store(shared["database_url"])
    await store.migrate()
    passwords = {n: (await add_charger(store, n, site="depot")).password for n in NAMES}
    site_id = await store.sites.site_id("depot")
    assert site_id is not None
    at = datetime.now(UTC)
    await store.sites.set_supply(
        site_id, limit_a=(40.0, 40.0, 40.0), other_load_a=(0.0, 0.0, 0.0), fallback_a=6.0, at=at
    )
    port, log = _free_port(), tmp_path / "node-b.log"
    env_b = {**shared, "port": port, "node_id": "node-b", "data_dir": tmp_path / "b"}
    env = {f"SMARTCHARGE_PLATFORM_{k.upper()}": str(v) for k, v in env_b.items()}
    with log.open("wb") as err:
        b = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "smartcharge", "platform", "serve",
            stdout=asyncio.subprocess.DEVNULL, stderr=err, env={**os.environ, **env},
        )  # fmt: skip
    a: PlatformApp | None = None
    fleet: list[Peer] = []
    try:
        await _wait_listening(port, b, log, timeout=120)  # a fresh interpreter, busy machine
        await _holder(store, site_id, "node-b")  # B alone: it takes the site
        a = PlatformApp(
            PlatformSettings(**shared, port=0, node_id="node-a", data_dir=tmp_path / "a")
        )
        await a.start()
        url = f"ws://127.0.0.1:{a.ocpp.port}/ocpp"
        fleet = [await open_peer(url, n, passwords[n], cls=UkPeer) for n in NAMES]
        for peer in fleet:
            await charging(peer)
        # B's limits reach the chargers on A through NATS: 40 A shared by four.
        await until(lambda: all(live(p) == 10 for p in fleet), timeout=60)
        rounds = a.balancer.rounds
        await until(lambda: a is not None and a.balancer.rounds >= rounds + 3, timeout=60)
        assert (await store.sites.balancer(site_id))[0] == "node-b"
        assert a.balancer.balancing == []  # A ran rounds and balanced nothing
        _, recorded = await store.sites.balancer(site_id)
        assert recorded == {n: 10.0 for n in NAMES}, recorded

        sent = [len(limits(p, LIVE_ID)) for p in fleet]
        b.send_signal(signal.SIGKILL)
        assert await b.wait() == -signal.SIGKILL
        await _holder(store, site_id, "node-a")  # B's lease ran out: A took the site
        # A sends every charger its limit again, from what B recorded: 10 A, not a ramp from 0.
        await until(
            lambda: all(len(limits(p, LIVE_ID)) > n for p, n in zip(fleet, sent, strict=True))
        )
        assert [limits(p, LIVE_ID)[n] for p, n in zip(fleet, sent, strict=True)] == [10.0] * 4
        assert a.balancer.balancing == [site_id]
        # A acts on the next change, from what B recorded: cut at once to 24 / 4 = 6 A.
        await store.sites.set_supply(
            site_id, limit_a=(24.0, 40.0, 40.0), other_load_a=(0.0, 0.0, 0.0), fallback_a=6.0, at=at
        )
        a.balancer.changed(site_id)
        await until(lambda: all(live(p) == 6 for p in fleet), timeout=30)
    finally:
        await close_peers(fleet)
        if b.returncode is None:
            b.kill()
            await b.wait()
        if a is not None:
            await a.stop()
        await store.close()
        if sys.exc_info()[0] is not None:
            print(_tail(log))
