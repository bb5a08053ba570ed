"""Honest outcomes (issue 14 item 6) with the `ocpp` package's ChargePoint as the charger: one
that closes its connection during a call is reported as such, not as offline; a second
connection with an identity already connected follows the documented policy (the newest takes
over), is logged and stored as a security event."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from api_harness import user_client
from ocpp.routing import on
from ocpp.v16 import call
from platform_harness import Peer, PeerChargePoint, Platform

from smartcharge.platform.errors import ChargerDisconnected
from smartcharge.platform.second_connection import SECOND_CONNECTION

OpenPeer = Callable[..., Awaitable[Peer]]


class HangsUp(PeerChargePoint):
    """Closes its connection instead of answering GetConfiguration."""

    @on("GetConfiguration")
    async def on_get_configuration(self, **_: Any) -> Any:
        await self._connection.close()
        await asyncio.sleep(30)  # never answers


async def test_a_charger_closing_its_connection_during_a_call_is_reported_as_such(
    platform: Platform, peers: OpenPeer
) -> None:
    await platform.add("CP-1")
    await peers(platform, "CP-1", cls=HangsUp)
    await platform.app.ocpp.wait_connected("CP-1")
    async with user_client(platform, "op@example.org", "operator") as op:
        r = await op.post("/api/chargers/CP-1/commands/GetConfiguration", json={})
        assert r.status_code == 502, r.text
        assert r.json()["outcome"] == "disconnected"
        assert "closed its connection during the call" in r.json()["detail"]
        async with asyncio.timeout(10):  # until the platform has seen it gone
            while platform.app.ocpp.is_connected("CP-1"):
                await asyncio.sleep(0.02)
        # Not connected at all: that is "offline".
        r = await op.post("/api/chargers/CP-1/commands/GetConfiguration", json={})
        assert r.status_code == 409 and r.json()["outcome"] == "offline"
        log = (await op.get("/api/chargers/CP-1/commands")).json()
        assert [c["outcome"] for c in log] == ["offline", "disconnected"]


async def test_send_raises_charger_disconnected_a_kind_of_offline(
    platform: Platform, peers: OpenPeer
) -> None:
    await platform.add("CP-1")
    await peers(platform, "CP-1", cls=HangsUp)
    await platform.app.ocpp.wait_connected("CP-1")
    with pytest.raises(ChargerDisconnected, match="closed its connection during the call"):
        await platform.app.ocpp.send("CP-1", "GetConfiguration", {}, timeout=10)


async def test_a_second_connection_takes_over_and_leaves_a_security_event(
    platform: Platform, peers: OpenPeer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    await platform.add("CP-1")
    first = await peers(platform, "CP-1")
    await first.call(call.Heartbeat())
    second = await peers(platform, "CP-1")
    await asyncio.wait_for(first.ws.wait_closed(), 5)
    await second.call(call.Heartbeat())
    # Commands now reach the newest connection.
    answer = await platform.app.ocpp.send("CP-1", "ChangeConfiguration", {"key": "K", "value": "1"})
    assert answer == {"status": "Accepted"} and second.cp.keys == {"K": "1"}
    assert first.cp.keys == {}
    events = await platform.store.history.security_events(await platform.charger_id("CP-1"))
    assert [e["type"] for e in events] == [SECOND_CONNECTION]
    assert "replaced the one from 127.0.0.1" in events[0]["tech_info"]
    assert any("second connection identity=CP-1" in r.getMessage() for r in caplog.records)
    async with user_client(platform, "op@example.org", "operator") as op:
        shown = (await op.get("/api/chargers/CP-1/security-events")).json()
        assert [e["type"] for e in shown] == [SECOND_CONNECTION]
