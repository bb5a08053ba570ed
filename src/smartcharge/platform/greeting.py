"""What the platform does once a connected charger has spoken: the `on_connected` listeners
(local lists, site balancing, renewals ...), and how they end when the connection does."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

log = logging.getLogger("smartcharge.platform.ocpp")

GREETING_FINISH_S = 30.0  # how long a closed connection's listeners may still finish


async def greet(
    conn: Any, heard: asyncio.Event, listeners: Sequence[Callable[[Any], Awaitable[None]]]
) -> None:
    """Once the charger's first message is in, each listener in turn."""
    await heard.wait()
    for listener in listeners:
        try:
            await listener(conn)
        except Exception:  # one listener's fault must not keep the others from running
            log.exception("on_connected failed identity=%s", conn.identity)


async def end_greeting(greeting: asyncio.Task[None], heard: asyncio.Event) -> None:
    """A greeting still waiting for the charger's first message is cancelled; one whose
    listeners run is let finish (bounded): a listener cancelled inside an SQLite transaction
    leaves the write lock with a connection the pool has given up on, and every writer then
    fails with "database is locked" (a second connection taking over showed it)."""
    if not heard.is_set() or greeting.done():
        greeting.cancel()
        return
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await asyncio.wait_for(asyncio.shield(greeting), GREETING_FINISH_S)
