"""The tamper latch (R36): after a tamper alarm no energy flows until the owner or installer
clears it; the latch is kept in the store so a power cycle does not clear it."""

from __future__ import annotations

import logging

from smartcharge.chargepoint.sessions import Sessions

log = logging.getLogger("smartcharge.chargepoint.station")

TAMPER_KEY = "security.tamper"


class Tamper(Sessions):
    """The station's tamper (see the module)."""

    def tamper(self, description: str) -> None:
        """Stop charging until `clear_tamper`: transactions end, connectors are Unavailable."""
        self.tampered = True  # first: a full disk must not keep charging going
        self._storing(
            "tamper latch", self.store.save_setting, TAMPER_KEY, description[:255] or "tamper"
        )
        for c in self.connectors.values():
            c.authorized = None
            if c.tx_local_id is not None:
                self._storing("transactions", self.stop_transaction, c, "Other")
        self.spawn(self.send_status(0, "Unavailable"))
        self.poke()

    def clear_tamper(self) -> bool:
        """The owner or installer cleared the alarm; False when there was none."""
        if not self.tampered:
            return False
        self.store.delete_setting(TAMPER_KEY)
        self.tampered = False
        self.spawn(self.send_status(0, "Available" if self.operative else "Unavailable"))
        self.poke()
        return True
