"""A simulated serial device: `serve(path)` answers on the serial line at `path` (a pty in tests)
until `stop()`; subclasses say how (RAPI lines, PN532 frames)."""

from __future__ import annotations

import asyncio
import contextlib


class SerialPeer:
    _task: asyncio.Task[None] | None = None

    async def serve(self, path: str) -> None:
        raise NotImplementedError

    def start(self, path: str) -> None:
        self._task = asyncio.ensure_future(self.serve(path))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
