"""The listeners' caps under uvloop, the event loop `platform serve` runs on: its transports are
not asyncio's classes, and a connection over the OCPP cap must still get its 503 at the door
(it raised instead, found by the 5,000-charger boot storm from one address)."""

from __future__ import annotations

import asyncio

import pytest
import uvloop
from platform_harness import MakePlatform
from test_flood_limits import answer_and_eof, sockets


@pytest.fixture
def event_loop_policy() -> asyncio.AbstractEventLoopPolicy:
    return uvloop.EventLoopPolicy()


async def test_over_the_ocpp_cap_a_connection_gets_503_under_uvloop(
    make_platform: MakePlatform,
) -> None:
    assert isinstance(asyncio.get_running_loop(), uvloop.Loop)
    platform = await make_platform(ocpp_max_per_address=3, ocpp_max_connections=3)
    ocpp = platform.app.ocpp
    async with sockets(ocpp.port, 8, b"GET /ocpp/X HTTP/1.1\r\n") as readers:
        for reader in readers[3:]:
            assert (await answer_and_eof(reader)).startswith(b"HTTP/1.1 503")
        assert ocpp.limits.open == 3


async def test_over_the_api_cap_a_connection_gets_503_under_uvloop(
    make_platform: MakePlatform,
) -> None:
    platform = await make_platform(http_max_per_address=3, http_max_connections=3)
    async with sockets(platform.app.http.port, 8, b"GET /api/me HTTP/1.1\r\n") as readers:
        for reader in readers[3:]:
            assert (await answer_and_eof(reader)).startswith(b"HTTP/1.1 503")
