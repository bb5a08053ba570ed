"""Serve the REST API with uvicorn inside the platform's own event loop (one process, one loop,
one store): the composition root starts and stops it like the OCPP server.

What a stranger can hold is bounded (`http_protocol`): connections in all and per address,
header and body read times, the TLS handshake time. Proxy headers (X-Forwarded-For, -Proto) are
believed only from the operator's `trusted_proxies`; by default from nobody, so a client's
address is the socket's and cannot be forged to dodge the login lock-out.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from smartcharge.platform.connection_limits import ConnectionLimits, accept_backlog
from smartcharge.platform.http_headers import SecurityHeaders
from smartcharge.platform.http_protocol import GuardedH11Protocol


@dataclass(frozen=True)
class HttpLimits:
    """What one client may hold of the HTTP listener (docs/security.md, "Limits")."""

    max_connections: int = 1000
    max_per_address: int = 50
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    tls_handshake_timeout: float = 10.0
    trusted_proxies: tuple[str, ...] = ()


class _EmbeddedServer(uvicorn.Server):
    tls_handshake_timeout = 10.0

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The process's signals belong to the composition root (Ctrl+C stops the whole platform).
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        # uvicorn's own startup, for the given sockets only, with a TLS handshake time limit
        # (uvicorn leaves asyncio's 60 s, a long time for a socket that never says hello).
        assert sockets is not None, "the embedded server serves the sockets it is given"
        config = self.config
        loop = asyncio.get_running_loop()

        def create_protocol(_loop: asyncio.AbstractEventLoop | None = None) -> asyncio.Protocol:
            return config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=self.server_state, app_state={}, _loop=_loop
            )

        self.servers = [
            await loop.create_server(
                create_protocol,
                sock=sock,
                ssl=config.ssl,
                backlog=accept_backlog(config.backlog),
                ssl_handshake_timeout=self.tls_handshake_timeout if config.ssl else None,
            )
            for sock in sockets
        ]
        self.started = True


class HttpServer:
    def __init__(
        self,
        app: FastAPI,
        *,
        host: str,
        port: int,
        cert: Path | None = None,
        key: Path | None = None,
        limits: HttpLimits | None = None,
    ) -> None:
        self.app = app
        self.host = host
        self._port = port
        self.tls = cert is not None and key is not None
        self.limits = limits or HttpLimits()
        self.connections = ConnectionLimits(
            "http",
            total=self.limits.max_connections,
            per_address=self.limits.max_per_address,
        )
        trusted = list(self.limits.trusted_proxies)
        self._config = uvicorn.Config(
            SecurityHeaders(app, tls=self.tls),
            http=GuardedH11Protocol.configured(
                self.connections,
                header_timeout=self.limits.header_timeout,
                body_timeout=self.limits.body_timeout,
            ),
            proxy_headers=bool(trusted),
            forwarded_allow_ips=trusted or None,
            log_config=None,
            access_log=False,
            lifespan="off",
            server_header=False,
            ssl_certfile=str(cert) if cert else None,
            ssl_keyfile=str(key) if key else None,
            ssl_version=int(ssl.PROTOCOL_TLS_SERVER),
            timeout_graceful_shutdown=5,
        )
        self._server = _EmbeddedServer(self._config)
        self._server.tls_handshake_timeout = self.limits.tls_handshake_timeout
        self._socket: socket.socket | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # IPPROTO_TCP spelt out: asyncio's loop sets TCP_NODELAY only on sockets that say they are
        # TCP, and uvicorn writes a response's headers and body apart. Without it, on a kept-alive
        # connection the body waited for the client's delayed ACK: 40 ms a request (uvloop sets
        # it anyway).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._port))
        sock.set_inheritable(True)
        self._socket = sock
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                await self._task  # raises what stopped it
                raise RuntimeError("the API server stopped at start-up")
            await asyncio.sleep(0.01)

    @property
    def port(self) -> int:
        assert self._socket is not None, "start() first"
        return int(self._socket.getsockname()[1])

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    async def stop(self) -> None:
        if self._task is None:
            return
        self._server.should_exit = True
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None
