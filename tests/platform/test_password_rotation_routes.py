"""AuthorizationKey rotation through the REST API and the CLI on a single node without a broker
(issue 14 item 2), and the generic command route refusing the keys that decide how a charger
logs in: the `ocpp` package's ChargePoint is the charger."""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from api_harness import logged_in, set_password, user_client
from platform_harness import Peer, Platform
from test_ocpp_server import refused
from typer.testing import CliRunner
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from smartcharge.cli import app as cli

OpenPeer = Callable[..., Awaitable[Peer]]


async def test_the_owner_rotates_through_the_api_and_the_old_password_lasts_until_the_new_is_used(
    platform: Platform, peers: OpenPeer
) -> None:
    old = await platform.add("CP-1", owner="owner@example.org")
    peer = await peers(platform, "CP-1")
    await platform.app.ocpp.wait_connected("CP-1")
    async with user_client(platform, "someone@example.org", "owner") as stranger:
        r = await stranger.post("/api/chargers/CP-1/password-rotation")
        assert r.status_code == 404  # not theirs: as if it did not exist
    async with logged_in(
        platform, "owner@example.org", await set_password(platform, "owner@example.org")
    ) as owner:
        r = await owner.post("/api/chargers/CP-1/password-rotation", params={"timeout": 5})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "Accepted" and "old one stays valid" in body["detail"]
        new = peer.cp.keys["AuthorizationKey"]
        assert re.fullmatch(r"[0-9a-f]{40}", new) and new not in r.text
        # A second one while the charger has not connected with the new password: refused.
        r = await owner.post("/api/chargers/CP-1/password-rotation")
        assert r.status_code == 409 and "in progress" in r.json()["detail"]
    await peers(platform, "CP-1", old)  # the old one still opens it ...
    await peers(platform, "CP-1", new)  # ... until the new one is used
    assert await refused(platform, "CP-1", old) == 401


async def test_rotation_of_an_offline_charger_is_409_and_changes_nothing(
    platform: Platform,
) -> None:
    await platform.add("CP-1")
    before = await platform.store.chargers.credentials("CP-1")
    async with user_client(platform, "op@example.org", "operator") as op:
        r = await op.post("/api/chargers/CP-1/password-rotation")
    assert r.status_code == 409 and r.json()["detail"] == "charger CP-1 is offline"
    assert await platform.store.chargers.credentials("CP-1") == before


@pytest.mark.parametrize("key", ["AuthorizationKey", "SecurityProfile", "authorizationkey"])
async def test_the_command_route_refuses_the_login_keys_and_names_the_route(
    platform: Platform, peers: OpenPeer, key: str
) -> None:
    await platform.add("CP-1")
    peer = await peers(platform, "CP-1")
    await platform.app.ocpp.wait_connected("CP-1")
    async with user_client(platform, "op@example.org", "operator") as op:
        r = await op.post(
            "/api/chargers/CP-1/commands/ChangeConfiguration",
            json={"key": key, "value": "3" if "Profile" in key else "0123456789abcdef0123"},
        )
        assert r.status_code == 422
        route = "security-profile" if "Profile" in key else "password-rotation"
        assert f"/api/chargers/CP-1/{route}" in r.json()["detail"]
        # Any other key still goes through.
        r = await op.post(
            "/api/chargers/CP-1/commands/ChangeConfiguration",
            json={"key": "HeartbeatInterval", "value": "60"},
        )
        assert r.status_code == 200 and r.json() == {"status": "Accepted"}
    assert peer.cp.keys == {"HeartbeatInterval": "60"}  # nothing else reached the charger


async def test_the_cli_rotates_on_a_single_node_through_the_api(
    platform: Platform, peers: OpenPeer, tmp_path: Path
) -> None:
    old = await platform.add("CP-1")
    peer = await peers(platform, "CP-1")
    await platform.app.ocpp.wait_connected("CP-1")
    async with user_client(platform, "op@example.org", "operator") as op:
        token = op.headers["Authorization"].removeprefix("Bearer ")
    assert platform.app.settings.bus_url is None  # one node, no broker
    args = ["platform", "rotate-password", "--identity", "CP-1", "--timeout", "5"]
    args += ["--api-url", platform.app.http.url]
    env = {"SMARTCHARGE_PLATFORM_SECURITY_PROFILE": "1"}
    runner = CliRunner()
    # Without a token: a clear error, nothing sent.
    result = await asyncio.to_thread(runner.invoke, cli, args, env=env)
    assert result.exit_code == 2 and "SMARTCHARGE_API_TOKEN" in result.output
    assert peer.cp.keys == {}
    result = await asyncio.to_thread(
        runner.invoke, cli, args, env={**env, "SMARTCHARGE_API_TOKEN": token}
    )
    assert result.exit_code == 0, result.output
    assert "took its new password" in result.output
    new = peer.cp.keys["AuthorizationKey"]
    assert new not in result.output and token not in result.output
    await peers(platform, "CP-1", new)
    assert await refused(platform, "CP-1", old) == 401
    # The charger now gone: the API's words come back, exit code 2.
    await platform.app.ocpp.connections["CP-1"].endpoint.close()
    async with asyncio.timeout(10):  # until the platform has recorded it
        while await platform.store.chargers.connected_node("CP-1") is not None:
            await asyncio.sleep(0.02)
    result = await asyncio.to_thread(
        runner.invoke, cli, args, env={**env, "SMARTCHARGE_API_TOKEN": token}
    )
    assert result.exit_code == 2 and "charger CP-1 is offline" in result.output


async def test_a_charger_sending_the_keys_octets_instead_of_its_digits_is_let_in(
    platform: Platform,
) -> None:
    """Some chargers send the octets a hexadecimal AuthorizationKey stands for."""
    password = await platform.add("CP-1")
    octets = bytes.fromhex(password)
    token = base64.b64encode(b"CP-1:" + octets).decode()
    async with connect(
        f"{platform.url}/CP-1",
        subprotocols=["ocpp1.6"],  # type: ignore[list-item]
        additional_headers={"Authorization": f"Basic {token}"},
    ) as ws:
        await ws.send('[2,"1","Heartbeat",{}]')
        assert '"currentTime"' in str(await ws.recv())
    wrong = base64.b64encode(b"CP-1:" + bytes(20)).decode()
    assert await refused_header(platform, f"Basic {wrong}") == 401


async def refused_header(platform: Platform, header: str) -> int:
    with pytest.raises(InvalidStatus) as info:
        async with connect(
            f"{platform.url}/CP-1",
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            additional_headers={"Authorization": header},
        ):
            pass
    return int(info.value.response.status_code)
