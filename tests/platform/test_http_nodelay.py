"""The REST API and web app answer a kept-alive connection at once: every connection the API
accepts has TCP_NODELAY, on asyncio's own loop too (it sets it only on sockets that say they are
TCP). Without it, uvicorn's body, written after its headers, waited for the client's delayed ACK:
about 40 ms on every request after a connection's first (a browser's, a script's)."""

from __future__ import annotations

import asyncio
import socket

from platform_harness import MakePlatform


async def test_every_api_connection_has_tcp_nodelay(make_platform: MakePlatform) -> None:
    platform = await make_platform()
    http = platform.app.http
    reader, writer = await asyncio.open_connection("127.0.0.1", http.port)
    try:
        for _ in range(2):  # the second request on the same (kept-alive) connection
            writer.write(b"GET /api/info HTTP/1.1\r\nHost: x\r\n\r\n")
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
            assert head.startswith(b"HTTP/1.1 "), head
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await asyncio.wait_for(reader.readexactly(length), 30)
        accepted = [
            c.transport.get_extra_info("socket") for c in http._server.server_state.connections
        ]
        assert accepted, "the API holds the connection"
        assert all(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for s in accepted)
    finally:
        writer.close()
