"""The OCPP listener's opening handshakes (platform/handshake_log.py): the limit is the
`ocpp_handshake_timeout_s` setting, and a handshake that times out or fails is logged at warning
level with the address, the identity once the request named it, and the reason. Each test waits
for the log line itself (an event), never for time to pass."""

from __future__ import annotations

import asyncio
import base64
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from platform_harness import MakePlatform, Platform

WAIT = 30.0  # generous: only a failure waits this long


class Lines(logging.Handler):
    """The platform's OCPP warnings as they come, with an event per awaited match."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []
        self._waiters: list[tuple[Callable[[str], bool], asyncio.Event]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        for match, seen in self._waiters:
            if match(record.getMessage()):
                seen.set()

    async def wait_for(self, *parts: str) -> str:
        def match(message: str) -> bool:
            return all(part in message for part in parts)

        seen = asyncio.Event()
        self._waiters.append((match, seen))
        for record in self.records:
            if match(record.getMessage()):
                seen.set()
        await asyncio.wait_for(seen.wait(), WAIT)
        return next(r.getMessage() for r in self.records if match(r.getMessage()))


@pytest.fixture
async def lines() -> AsyncIterator[Lines]:
    handler = Lines()
    logger = logging.getLogger("smartcharge.platform.ocpp")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


async def _open(platform: Platform) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", platform.app.ocpp.port)


def _upgrade(identity: str, password: str) -> bytes:
    auth = base64.b64encode(f"{identity}:{password}".encode()).decode()
    return (
        f"GET /ocpp/{identity} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n"
        f"Authorization: Basic {auth}\r\n\r\n"
    ).encode()


async def test_the_handshake_timeout_is_a_setting(make_platform: MakePlatform) -> None:
    platform = await make_platform(ocpp_handshake_timeout_s=12.5)
    assert platform.app.ocpp.handshake_timeout == 12.5
    default = await make_platform()
    assert default.app.ocpp.handshake_timeout == 30.0


async def test_a_request_that_never_comes_is_logged_when_it_times_out(
    make_platform: MakePlatform, lines: Lines
) -> None:
    platform = await make_platform(ocpp_handshake_timeout_s=0.3)
    reader, writer = await _open(platform)
    writer.write(b"GET /ocpp/CP-1 HTTP/1.1\r\nHost: x\r\n")  # never finished
    message = await lines.wait_for("handshake failed", "timed out")
    assert "address=127.0.0.1" in message and "identity=unknown" in message
    assert "request not received" in message
    assert await reader.read() == b""  # and the connection was closed
    writer.close()


async def test_a_request_not_answered_in_time_names_the_charger(
    make_platform: MakePlatform, lines: Lines, tmp_path: Path
) -> None:
    platform = await make_platform(ocpp_handshake_timeout_s=0.5)
    password = await platform.add("CP-7")
    database = Path(platform.app.store.engine.url.database or "")
    # Another process holds SQLite's write lock: the credential check waits past the limit.
    blocker = sqlite3.connect(database, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        _reader, writer = await _open(platform)
        writer.write(_upgrade("CP-7", password))
        message = await lines.wait_for("handshake failed", "identity=CP-7")
        assert "timed out after 0.5 s (request not answered)" in message
        assert "address=127.0.0.1" in message
        assert password not in message
        writer.close()
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


async def test_a_request_without_the_ocpp_subprotocol_is_logged_with_its_reason(
    platform: Platform, lines: Lines
) -> None:
    reader, writer = await _open(platform)
    writer.write(b"GET /ocpp/CP-9 HTTP/1.1\r\nHost: x\r\n\r\n")
    status = await reader.readline()
    assert status.startswith(b"HTTP/1.1 4")
    writer.close()  # the refused client goes (the server would otherwise wait to close it)
    message = await lines.wait_for("handshake failed", "identity=CP-9")
    assert "address=127.0.0.1" in message and "HTTP 400" in message


async def test_a_connection_closed_before_its_request_is_logged(
    platform: Platform, lines: Lines
) -> None:
    _, writer = await _open(platform)
    writer.close()
    message = await lines.wait_for("handshake failed", "closed before the request")
    assert "address=127.0.0.1" in message and "identity=unknown" in message


async def test_a_refused_path_is_logged_once_and_a_wrong_password_not_twice(
    platform: Platform, lines: Lines
) -> None:
    await platform.add("CP-2")
    reader, writer = await _open(platform)
    writer.write(_upgrade("CP-2", "not-the-password"))
    assert (await reader.readline()).startswith(b"HTTP/1.1 401")
    writer.close()
    reader, writer = await _open(platform)
    writer.write(b"GET /elsewhere HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (await reader.readline()).startswith(b"HTTP/1.1 404")
    writer.close()
    await lines.wait_for("handshake failed", "refused with HTTP 404")
    await lines.wait_for("charger refused", "CP-2")  # the admission check's own line
    twice = [
        r for r in lines.records if "handshake failed" in r.getMessage() and "401" in r.getMessage()
    ]
    assert twice == []
