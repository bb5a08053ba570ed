"""What a stranger can hold of the platform's two listeners (issue 15, finding 1): slow-header and
slow-body requests are closed, connections over the caps are refused at the door, and a flood on
one listener does not stop the other. The 2,000-socket figures are in bench/flood.py."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
from ocpp.v16 import call
from platform_harness import MakePlatform, Peer, Platform

from smartcharge.platform.connection_limits import ConnectionLimits

FLOOD = 120  # sockets; the caps below are a fraction of it


@contextlib.asynccontextmanager
async def sockets(port: int, count: int, first: bytes) -> AsyncIterator[list[asyncio.StreamReader]]:
    """`count` connections to `port`, each having sent `first` and nothing more."""
    opened: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    try:
        for _ in range(count):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(first)
            opened.append((reader, writer))
        yield [reader for reader, _ in opened]
    finally:
        for _, writer in opened:
            writer.close()


async def answer_and_eof(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sent until it closed the connection (generous timeout)."""
    return await asyncio.wait_for(reader.read(), timeout=30)


async def until_closed(limits: ConnectionLimits) -> None:
    """Wait (generous timeout) until the server has counted every connection as closed."""
    async with asyncio.timeout(30):
        while limits.open:
            await asyncio.sleep(0.01)


async def charger_connects(platform: Platform, peers: object, identity: str) -> Peer:
    peer: Peer = await peers(platform, identity)  # type: ignore[operator]
    boot = await peer.call(call.BootNotification(charge_point_model="M", charge_point_vendor="V"))
    assert boot.status == "Accepted"
    return peer


async def test_slow_header_flood_on_the_api_is_capped_and_timed_out_while_a_charger_connects(
    make_platform: MakePlatform, peers: object
) -> None:
    # The header timeout must outlast opening all FLOOD sockets: with 1 s, on a busy machine the
    # first held ones timed out before the last were opened, and those took the freed places.
    platform = await make_platform(
        http_max_per_address=20, http_max_connections=40, http_header_timeout_s=5.0
    )
    await platform.add("CP-1")
    http = platform.app.http
    async with sockets(http.port, FLOOD, b"G") as readers:
        # The first 20 from this address are held (each has sent one byte of a header)...
        held, refused = readers[:20], readers[20:]
        for reader in refused:  # ...the others are told so and closed at once.
            assert (await answer_and_eof(reader)).startswith(b"HTTP/1.1 503")
        assert http.connections.open_from("127.0.0.1") <= 20
        # A charger connects to the OCPP listener meanwhile.
        await charger_connects(platform, peers, "CP-1")
        # The held ones never finish their header: 408 and closed after the header timeout.
        for reader in held:
            assert (await answer_and_eof(reader)).startswith(b"HTTP/1.1 408")
    async with httpx.AsyncClient(base_url=http.url, timeout=60) as client:  # the API answers again
        assert (await client.get("/api/me")).status_code == 401
    await until_closed(http.connections)


async def test_a_body_that_never_ends_is_cut_off(make_platform: MakePlatform) -> None:
    platform = await make_platform(http_body_timeout_s=1.0)
    http = platform.app.http
    head = (
        b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n{"
    )
    async with sockets(http.port, 3, head) as readers:
        for reader in readers:
            await answer_and_eof(reader)  # closed by the server, not by us
    await until_closed(http.connections)


async def test_a_flood_on_the_ocpp_listener_does_not_stop_the_api(
    make_platform: MakePlatform, peers: object
) -> None:
    platform = await make_platform(ocpp_max_per_address=10, ocpp_max_connections=10)
    ocpp = platform.app.ocpp
    async with sockets(ocpp.port, FLOOD, b"GET /ocpp/X HTTP/1.1\r\n") as readers:
        for reader in readers[10:]:
            assert (await answer_and_eof(reader)).startswith(b"HTTP/1.1 503")
        assert ocpp.limits.open == 10
        async with httpx.AsyncClient(base_url=platform.app.http.url, timeout=60) as client:
            assert (await client.get("/api/me")).status_code == 401
    # Once the flood is gone, chargers connect again.
    await platform.add("CP-1")
    await charger_connects(platform, peers, "CP-1")


async def test_forwarded_headers_are_not_believed_from_a_client(
    make_platform: MakePlatform,
) -> None:
    """Finding 2: X-Forwarded-For from a client that is no configured proxy changes nothing:
    the lock-out counts the socket's address, and the right password is still refused."""
    from api_harness import add_user

    platform = await make_platform()  # lockout_failures = 3
    password = await add_user(platform, "ann@example.org", "owner")
    async with httpx.AsyncClient(base_url=platform.app.http.url, timeout=60) as client:
        for n in range(3):
            forged = {"X-Forwarded-For": f"10.9.9.{n}"}
            wrong = {"email": "ann@example.org", "password": "wrong-password"}
            r = await client.post("/api/auth/login", json=wrong, headers=forged)
            assert r.status_code == 401
        right = {"email": "ann@example.org", "password": password}
        r = await client.post(
            "/api/auth/login", json=right, headers={"X-Forwarded-For": "10.9.9.9"}
        )
        assert r.status_code == 429


async def test_forwarded_headers_are_believed_from_a_configured_proxy(
    make_platform: MakePlatform,
) -> None:
    from api_harness import add_user

    platform = await make_platform(trusted_proxies=["127.0.0.1"])
    password = await add_user(platform, "ann@example.org", "owner")
    async with httpx.AsyncClient(base_url=platform.app.http.url, timeout=60) as client:
        for n in range(3):  # three clients behind the proxy, one wrong guess each
            forged = {"X-Forwarded-For": f"10.9.9.{n}"}
            wrong = {"email": "ann@example.org", "password": "wrong-password"}
            assert (await client.post("/api/auth/login", json=wrong, headers=forged)).status_code
        right = {"email": "ann@example.org", "password": password}
        r = await client.post(
            "/api/auth/login", json=right, headers={"X-Forwarded-For": "10.9.9.9"}
        )
        assert r.status_code == 200  # each client behind the proxy is its own address


FIT = """
import json, logging, resource
from smartcharge.platform.connection_limits import (
    ConnectionLimits, accept_backlog, fit_open_file_limit,
)
resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
logging.basicConfig(level=logging.WARNING, format="%(message)s")
ocpp = ConnectionLimits("ocpp", total=10_000, per_address=1_000)
http = ConnectionLimits("http", total=1_000, per_address=50)
limit = fit_open_file_limit(ocpp, http)
queue = accept_backlog(2048)
print(json.dumps([limit, ocpp.total, ocpp.per_address, http.total, http.per_address, queue]))
"""


def test_caps_that_do_not_fit_the_open_file_limit_are_lowered_and_said() -> None:
    """With 1,024 files (a common default) the default caps (11,000) could not all be reached:
    both are lowered in proportion, so a flood on one listener still leaves the other room. The
    REST listener's accept queue shrinks too: what one accept burst takes under a flood (up to
    four turns' worth in flight) fits in the files kept for refusals (bench/flood.py)."""
    import json
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", FIT], capture_output=True, text=True, timeout=60, check=True
    )
    limit, ocpp, ocpp_per, http, http_per, queue = json.loads(done.stdout)
    assert limit == 1024
    assert ocpp + http <= 1024 - 128 and ocpp > http > 0
    assert ocpp_per <= ocpp and http_per <= http
    assert 4 * queue <= 128
    assert "open-file limit 1024 is below the connection caps" in done.stderr
