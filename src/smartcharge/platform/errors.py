"""Errors a command to a charger can end in, wherever the charger is connected."""

from __future__ import annotations


class ChargerOffline(ConnectionError):
    """The charger has no connection to any node (or lost it during the call)."""

    def __init__(self, identity: str) -> None:
        super().__init__(f"charger {identity!r} is offline")
        self.identity = identity
