"""Test doubles for the OCPP layer: an in-memory transport that lets a test play the peer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
import pytest

from smartcharge.ocpp.rpc import RpcEndpoint


class FakeTransport:
    """`feed()` what the peer sends; `sent()` returns, decoded, what the endpoint sent."""

    def __init__(self) -> None:
        self.inbound: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        self.outbound: asyncio.Queue[str] = asyncio.Queue()
        self.gone = False

    async def send(self, message: str) -> None:
        assert isinstance(message, str)
        if self.gone:
            raise ConnectionResetError("peer went away")
        self.outbound.put_nowait(message)

    async def recv(self) -> str | bytes:
        item = await self.inbound.get()
        if item is None:
            self.gone = True
            raise EOFError("peer went away")
        return item

    def feed(self, *frames: Any) -> None:
        for frame in frames:
            if isinstance(frame, str | bytes):
                self.inbound.put_nowait(frame)
            else:
                self.inbound.put_nowait(orjson.dumps(frame).decode())

    def hang_up(self) -> None:
        self.inbound.put_nowait(None)

    async def sent(self, within: float = 2.0) -> Any:
        return orjson.loads(await asyncio.wait_for(self.outbound.get(), within))

    async def nothing_more_sent(self) -> bool:
        for _ in range(20):  # let every ready task run until it blocks
            await asyncio.sleep(0)
        return self.outbound.empty()


class ClosableFakeTransport(FakeTransport):
    """A transport with its own close(), as a websockets connection has."""

    def __init__(self) -> None:
        super().__init__()
        self.close_calls = 0

    async def close(self) -> None:
        self.close_calls += 1
        self.hang_up()


class Running:
    """An endpoint whose serve() runs in a task."""

    def __init__(self, endpoint: RpcEndpoint, transport: FakeTransport) -> None:
        self.endpoint = endpoint
        self.transport = transport
        self.task: asyncio.Task[None] = asyncio.create_task(endpoint.serve())

    async def stop(self) -> None:
        """Hang up like a peer and wait for serve() to return."""
        if not self.task.done():
            self.transport.hang_up()
        await asyncio.wait_for(self.task, 2.0)


@pytest.fixture
async def endpoints() -> AsyncIterator[Callable[..., Running]]:
    """`endpoints(role, closable=False, **RpcEndpoint kwargs)` -> a served endpoint on a
    FakeTransport (timeout 2 s unless given); all are stopped at teardown."""
    started: list[Running] = []

    def start(role: str, *, closable: bool = False, **kwargs: Any) -> Running:
        transport = ClosableFakeTransport() if closable else FakeTransport()
        kwargs.setdefault("timeout", 2.0)
        run = Running(RpcEndpoint(transport, role=role, **kwargs), transport)  # type: ignore[arg-type]
        started.append(run)
        return run

    yield start
    for run in started:
        if not run.task.done():
            run.task.cancel()
        await asyncio.gather(run.task, return_exceptions=True)
