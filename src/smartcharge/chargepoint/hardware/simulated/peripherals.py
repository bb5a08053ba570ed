"""The simulated card reader, tamper switch, status light and network uplink.

Each keeps a list of listeners and calls them synchronously when the simulator's user acts. A
listener that raises is logged and skipped, so one faulty subscriber cannot stop the others from
hearing about a card or a tamper, just as on real hardware.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


def _notify(listeners: list[Callable[[T], None]], value: T, what: str) -> None:
    for listener in list(listeners):
        try:
            listener(value)
        except Exception:
            log.exception("%s listener %r failed", what, listener)


class SimulatedRfidReader:
    """Implements `RfidReader`; `present(id_tag)` is a card held to the reader."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[str], None]] = []
        self.presented: list[str] = []

    def on_card(self, callback: Callable[[str], None]) -> None:
        self._listeners.append(callback)

    def present(self, id_tag: str) -> None:
        self.presented.append(id_tag)
        _notify(self._listeners, id_tag, "rfid")


class SimulatedTamperSensor:
    """Implements `TamperSensor`; `trigger(description)` is the enclosure being opened."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[str], None]] = []
        self.events: list[str] = []

    def on_tamper(self, callback: Callable[[str], None]) -> None:
        self._listeners.append(callback)

    def trigger(self, description: str = "enclosure opened") -> None:
        self.events.append(description)
        _notify(self._listeners, description, "tamper")


class SimulatedIndicator:
    """Implements `Indicator` by remembering the last status shown per connector."""

    def __init__(self) -> None:
        self.statuses: dict[int, str] = {}

    def show(self, connector_id: int, status: str) -> None:
        self.statuses[connector_id] = status

    def status(self, connector_id: int) -> str | None:
        return self.statuses.get(connector_id)


class SimulatedNetwork:
    """Implements `NetworkLink`: an up/down flag; listeners hear only real changes."""

    def __init__(self, up: bool = True) -> None:
        self._up = up
        self._listeners: list[Callable[[bool], None]] = []

    def is_up(self) -> bool:
        return self._up

    def on_change(self, callback: Callable[[bool], None]) -> None:
        self._listeners.append(callback)

    def set_up(self, up: bool) -> None:
        if up == self._up:
            return
        self._up = up
        _notify(self._listeners, up, "network")
