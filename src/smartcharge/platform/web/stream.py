"""Pushed updates (server-sent events): a page keeps one connection open and the server sends the
fragment it would render (the same template as the page) only when what it says changed. The
countdown of a random delay runs in the browser from the seconds left when it was sent, so
the seconds ticking by are not changes and are not pushed (nor read out at every tick).

Limits (everything a stranger can reach has them): a stream lasts at most `MAX_S`, then ends
and the browser's EventSource reconnects (or at once when the server stops:
`app.state.stopping`); at most `PER_USER` streams per account and `TOTAL`
per process (a 429 beyond); a comment every `KEEPALIVE_S` so proxies keep the line open."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from fastapi import Request
from fastapi.responses import Response, StreamingResponse

TICK_S = 2.0
KEEPALIVE_S = 15.0
MAX_S = 15 * 60.0
PER_USER = 4
TOTAL = 500
RETRY_MS = 3000
_MOVING = re.compile(r'(<span class="countdown"[^>]*?) data-left="\d+">[^<]*</span>')


@dataclass
class Streams:
    """Open streams, per account (kept on the app's state: one per process)."""

    open: dict[int, int] = field(default_factory=dict)

    def total(self) -> int:
        return sum(self.open.values())


def stable(html: str) -> str:
    """The fragment without what moves by itself (a countdown's seconds)."""
    return _MOVING.sub(r"\1>", html)


def frame(html: str) -> str:
    return "event: update\n" + "".join(f"data: {line}\n" for line in html.split("\n")) + "\n"


def event_stream(request: Request, user_id: int, render: Callable[[], Awaitable[str]]) -> Response:
    streams: Streams = getattr(request.app.state, "live_streams", None) or Streams()
    request.app.state.live_streams = streams
    if streams.open.get(user_id, 0) >= PER_USER or streams.total() >= TOTAL:
        return Response("Too many live pages open: close one.", status_code=429)
    streams.open[user_id] = streams.open.get(user_id, 0) + 1

    stopping: asyncio.Event = getattr(request.app.state, "stopping", None) or asyncio.Event()

    async def body() -> AsyncIterator[str]:
        try:
            yield f"retry: {RETRY_MS}\n\n"
            last, quiet = "", 0.0
            loop = asyncio.get_running_loop()
            ends = loop.time() + MAX_S
            while loop.time() < ends and not stopping.is_set():
                if await request.is_disconnected():
                    break
                html = await render()
                if stable(html) != last:
                    last, quiet = stable(html), 0.0
                    yield frame(html)
                elif quiet >= KEEPALIVE_S:
                    quiet = 0.0
                    yield ": still here\n\n"
                with contextlib.suppress(TimeoutError):  # the server stopping ends it at once
                    await asyncio.wait_for(stopping.wait(), TICK_S)
                quiet += TICK_S
        finally:
            streams.open[user_id] -= 1
            if not streams.open[user_id]:
                del streams.open[user_id]

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(body(), media_type="text/event-stream", headers=headers)
