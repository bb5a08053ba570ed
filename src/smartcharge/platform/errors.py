"""Errors a command to a charger can end in, wherever the charger is connected."""

from __future__ import annotations


class ChargerOffline(ConnectionError):
    """The charger has no connection to any node (or lost it during the call)."""

    def __init__(self, identity: str) -> None:
        super().__init__(f"charger {identity!r} is offline")
        self.identity = identity


class ChargerDisconnected(ChargerOffline):
    """The charger closed its connection (or it broke) while a call waited for its answer: it
    was there when the call went out, and may or may not have carried the command out."""

    def __init__(self, identity: str) -> None:
        ConnectionError.__init__(
            self, f"charger {identity!r} closed its connection during the call"
        )
        self.identity = identity
