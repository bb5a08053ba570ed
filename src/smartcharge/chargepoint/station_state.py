"""What every part of the station shares: its state (set up in station.py) and the small
helpers each part uses (background tasks, a storage step that survives a full disk, sending what
is not transaction data). The parts build on it in one line, each able to use the ones below:
reservations, status, metering, charge_control, availability, sessions, tamper, station.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from smartcharge.chargepoint.authorization import Authorizer
from smartcharge.chargepoint.connector import Connector
from smartcharge.chargepoint.hardware.ports import Hardware, PilotState
from smartcharge.chargepoint.owner_controls import OwnerControls
from smartcharge.chargepoint.smart_charging.installed import Installed
from smartcharge.chargepoint.store import Store
from smartcharge.clock import Clock

log = logging.getLogger("smartcharge.chargepoint.station")


class Settings(Protocol):
    def int_value(self, name: str) -> int: ...

    def bool_value(self, name: str) -> bool: ...

    def csl_value(self, name: str) -> list[str]: ...

    def str_value(self, name: str) -> str: ...

    def __contains__(self, name: object) -> bool: ...

    def on_change(self, name: str, callback: Callable[[str], None]) -> Callable[[], None]: ...


class Online(Protocol):
    """The current OCPP connection, as the station sees it."""

    @property
    def ready(self) -> bool:
        """Connected and BootNotification accepted."""
        ...

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]: ...

    def wake_outbox(self) -> None: ...


class StationState:
    """The station's shared state and helpers (see the module)."""

    hw: Hardware
    resume_after_power_loss: bool
    store: Store
    settings: Settings
    auth: Authorizer
    clock: Clock
    max_current_a: float
    phases: int
    online: Online | None
    clock_trusted: Callable[[], bool]
    controls: OwnerControls
    rng: random.Random
    site_limit_a: float | None
    connectors: dict[int, Connector]
    operative: bool
    tampered: bool
    storage_failed: Callable[[str, BaseException], bool] | None
    profiles: Installed
    _scheduled_station: bool | None
    _samples: list[tuple[datetime, int, float, float]]
    _last_flush: float
    _aligned_slot: tuple[int, int | None]
    _poke: asyncio.Event
    reboot_requested: asyncio.Event
    reboot_kind: str
    _tasks: set[asyncio.Task[Any]]

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        """Run background work owned by this station (cancelled on reboot)."""
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())

    def poke(self) -> None:
        """Something changed (a card, a command, a plug): evaluate now rather than next tick."""
        self._poke.set()

    def _storing(self, where: str, step: Callable[..., object], *args: Any, **kw: Any) -> None:
        """Run one step of the tick; a full disk does not stop the others (MemoryExhaustion is
        reported through `storage_failed`, and the step is tried again next tick)."""
        try:
            step(*args, **kw)
        except (sqlite3.Error, OSError) as exc:
            if self.storage_failed is None or not self.storage_failed(where, exc):
                raise

    async def send_best_effort(self, action: str, payload: dict[str, Any]) -> None:
        """Send what is not transaction data: offline or failing, it is dropped and logged."""
        online = self.online
        if online is None or not online.ready:
            return
        try:
            await online.call(action, payload)
        except Exception as exc:
            log.info("%s not delivered: %s", action, type(exc).__name__)

    def _wake_outbox(self) -> None:
        if self.online is not None:
            self.online.wake_outbox()

    def _faulted(self, c: Connector) -> bool:
        return c.hw.error_code() != "NoError" or c.hw.pilot_state() in (PilotState.E, PilotState.F)

    def _available(self, c: Connector) -> bool:
        return (
            c.operative and self.operative and not self.tampered and c.hw.error_code() == "NoError"
        )

    def busy(self) -> bool:
        """A session runs on some connector (a reset, an update, a wipe waits for it)."""
        return any(c.tx_local_id is not None for c in self.connectors.values())

    def connector(self, connector_id: int) -> Connector | None:
        """The connector numbered `connector_id`, if this charger has one (1..n)."""
        return self.connectors.get(connector_id)

    def names_connector(self, connector_id: int | None) -> bool:
        """Whether a request's connectorId is this charger (0, or absent) or one of its own."""
        return connector_id in (None, 0) or connector_id in self.connectors
