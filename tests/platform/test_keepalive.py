"""Keepalive (platform/keepalive.py): only chargers from which nothing has come for
`ocpp_ping_interval_s` are pinged, and one whose pong does not come within `ocpp_ping_timeout_s`
is disconnected and logged. Verdicts wait for evidence (a ping counted, a log line, the
connection gone), with a generous guard only for failure."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from ocpp.v16 import call
from platform_harness import MakePlatform, Platform, close_peers, open_peer
from test_handshake_log import Lines, _upgrade

WAIT = 30.0


@pytest.fixture
async def lines() -> AsyncIterator[Lines]:
    handler = Lines()
    logger = logging.getLogger("smartcharge.platform.ocpp")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


async def _until(check: object, what: str) -> None:
    async with asyncio.timeout(WAIT):
        while not check():  # type: ignore[operator]
            await asyncio.sleep(0.02)


async def test_a_charger_that_sends_is_not_pinged_a_quiet_one_is(
    make_platform: MakePlatform,
) -> None:
    platform = await make_platform(ocpp_ping_interval_s=1.0, ocpp_ping_timeout_s=5.0)
    chatty = await open_peer(platform.url, "CHATTY", await platform.add("CHATTY"))
    quiet = await open_peer(platform.url, "QUIET", await platform.add("QUIET"))
    pinged = platform.app.ocpp.keepalive.pinged
    stop = asyncio.Event()

    async def talk() -> None:
        while not stop.is_set():
            await chatty.call(call.Heartbeat())
            await asyncio.sleep(0.05)

    talker = asyncio.create_task(talk())
    try:
        # The quiet one (its pongs come: websockets answers them) is pinged again and again...
        await _until(lambda: pinged.get("QUIET", 0) >= 3, "the quiet charger pinged")
        assert platform.app.ocpp.is_connected("QUIET")
        # ...and the one that sends a Heartbeat every 50 ms never.
        assert pinged["CHATTY"] == 0
    finally:
        stop.set()
        await talker
        await close_peers([chatty, quiet])


async def test_a_charger_whose_pong_never_comes_is_disconnected_and_logged(
    make_platform: MakePlatform, lines: Lines
) -> None:
    platform: Platform = await make_platform(ocpp_ping_interval_s=0.2, ocpp_ping_timeout_s=0.3)
    password = await platform.add("MUTE")
    # A raw connection: the upgrade, then nothing, not even a pong.
    reader, writer = await asyncio.open_connection("127.0.0.1", platform.app.ocpp.port)
    writer.write(_upgrade("MUTE", password))
    assert b" 101 " in await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
    await _until(lambda: platform.app.ocpp.is_connected("MUTE"), "connected")
    line = await lines.wait_for("keepalive ping timeout", "identity=MUTE")
    assert "timeout_s=0.3" in line
    await _until(lambda: not platform.app.ocpp.is_connected("MUTE"), "disconnected")
    assert "MUTE" not in platform.app.ocpp.keepalive.pinged  # nothing kept of it
    writer.close()


async def test_the_ping_interval_and_timeout_are_settings(make_platform: MakePlatform) -> None:
    platform = await make_platform(ocpp_ping_interval_s=45, ocpp_ping_timeout_s=15)
    assert (platform.app.ocpp.keepalive.interval, platform.app.ocpp.keepalive.timeout) == (45, 15)
