"""Background work each boot starts beside the station and the OCPP link (app.py)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from smartcharge.chargepoint.link import Link
from smartcharge.chargepoint.memory import LowMemory
from smartcharge.chargepoint.security.events import SecurityEvents
from smartcharge.clock import Clock

WATCH_EVERY_S = 30.0  # how often to look at memory, and (disk full) try writing again


async def watch_storage_and_memory(clock: Clock, events: SecurityEvents, memory: LowMemory) -> None:
    """MemoryExhaustion: while storage is full, look now and then whether space returned; and
    whether memory runs low."""
    while True:
        memory.check()
        await clock.sleep(WATCH_EVERY_S)
        events.probe()


async def after_accept(link: Link, then: Callable[[], Any]) -> None:
    """Run `then` once the central system has accepted the charger for the first time this boot
    (settle a firmware install, renew certificates when due)."""
    await link.connected_once.wait()
    result = then()
    if inspect.isawaitable(result):
        await result
