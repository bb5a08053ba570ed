"""Waiting in tests for evidence, never for a fixed time: `until` polls a check (plain or async)
until it holds; its timeout only turns a failure that never shows into a clear one, so it is
generous enough for a machine busy with other work."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable

import pytest

Check = Callable[[], bool] | Callable[[], Awaitable[bool]]


async def until(check: Check, timeout: float = 30.0, what: str = "", poll: float = 0.02) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if await result if inspect.isawaitable(result) else result:
            return
        if loop.time() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what or check}")
        await asyncio.sleep(poll)
