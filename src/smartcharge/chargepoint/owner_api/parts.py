"""What the owner API reaches of the running charge point, for the current boot.

The API outlives the reboots of the charge point's software (like the hardware does): each boot
hands it a new `BootParts`; between two boots there is none and the API answers 503.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from smartcharge.chargepoint.configuration_keys import Configuration
from smartcharge.chargepoint.owner_controls import OwnerControls
from smartcharge.chargepoint.security.security_log import SecurityLog
from smartcharge.chargepoint.station import Station
from smartcharge.chargepoint.store import Store


@dataclass(frozen=True)
class BootParts:
    station: Station
    store: Store  # sessions and history, read-only here
    controls: OwnerControls  # the owner's settings; the station follows their changes
    configuration: Configuration
    security_log: SecurityLog  # to read and verify
    record: Callable[[str, str], object]  # SecurityEvents.record: log and notify durably
    # The charger's condition for the owner: boot integrity, firmware, tamper (JSON-ready).
    condition: Callable[[], dict[str, Any]]
    # Wipe the personal data (store.factory_reset) and reboot; raises RuntimeError if refused.
    factory_reset: Callable[[], None]
    # Clear a latched tamper alarm (R36); None when this build has no tamper latch.
    clear_tamper: Callable[[str], bool] | None = None
