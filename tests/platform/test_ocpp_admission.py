"""Who may open an OCPP connection, under attack (issue 15, findings 3 and 6): one bad charger
behind a NAT locks out only itself, a reconnect storm is held off with 429 and Retry-After, and
two Authorization headers are a clear 400, never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import pytest
from ocpp.v16 import call
from platform_harness import MakePlatform, Peer, Platform, basic
from test_ocpp_server import refused
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

OpenPeer = Callable[..., Awaitable[Peer]]


async def test_a_charger_with_a_stale_password_locks_out_only_itself_behind_a_nat(
    platform: Platform, peers: OpenPeer
) -> None:
    """Every charger of the site shares 127.0.0.1, as behind a NAT (lockout_failures = 3)."""
    await platform.add("CP-BAD")
    await platform.add("CP-GOOD")
    for _ in range(5):  # a failed rotation: it keeps trying its old password
        assert await refused(platform, "CP-BAD", "the-old-password-000") in (401, 429)
    assert await refused(platform, "CP-BAD", platform.passwords["CP-BAD"]) == 429
    peer = await peers(platform, "CP-GOOD")  # its neighbour is not held off
    await peer.call(call.Heartbeat())


async def test_guessing_identities_from_one_address_is_still_locked_out(
    platform: Platform, peers: OpenPeer
) -> None:
    await platform.add("CP-1")
    for n in range(3):
        assert await refused(platform, f"GUESS-{n}", "whatever-password") == 401
    assert await refused(platform, "GUESS-9", "whatever-password") == 429
    peer = await peers(platform, "CP-1")  # a known charger there is not
    await peer.call(call.Heartbeat())


async def test_a_reconnect_storm_is_held_off_with_429_and_retry_after(
    make_platform: MakePlatform, peers: OpenPeer, caplog: pytest.LogCaptureFixture
) -> None:
    platform = await make_platform(ocpp_handshakes_per_hour=3)
    await platform.add("CP-1")
    for _ in range(3):
        peer = await peers(platform, "CP-1")
        await peer.call(call.Heartbeat())
        await peer.ws.close()
    with pytest.raises(InvalidStatus) as info:
        async with connect(
            f"{platform.url}/CP-1",
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            additional_headers=basic("CP-1", platform.passwords["CP-1"]),
        ):
            pass
    response = info.value.response
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 3601
    assert "over 3 handshakes in 3600 s" in caplog.text and "CP-1" in caplog.text
    platform.clock.t += 3601  # an hour on: it may connect again
    peer = await peers(platform, "CP-1")
    await peer.call(call.Heartbeat())


async def test_a_stranger_naming_a_charger_does_not_use_up_its_handshakes(
    make_platform: MakePlatform, peers: OpenPeer
) -> None:
    platform = await make_platform(ocpp_handshakes_per_hour=2, lockout_failures=100)
    await platform.add("CP-1")
    for _ in range(10):
        assert await refused(platform, "CP-1", "not-its-password-00") == 401
    peer = await peers(platform, "CP-1")
    await peer.call(call.Heartbeat())


async def test_two_authorization_headers_are_a_clear_400_without_a_traceback(
    platform: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    password = await platform.add("CP-1")
    caplog.set_level(logging.INFO)
    header = basic("CP-1", password)["Authorization"]
    with pytest.raises(InvalidStatus) as info:
        async with connect(
            f"{platform.url}/CP-1",
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            additional_headers=[("Authorization", header), ("Authorization", header)],
        ):
            pass
    assert info.value.response.status_code == 400
    assert "several Authorization headers" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert header.split()[1] not in caplog.text
