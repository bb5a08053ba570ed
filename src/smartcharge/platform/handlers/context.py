"""What every handler of one connected charger needs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from smartcharge.platform.store import Store

if TYPE_CHECKING:
    from smartcharge.platform.handlers.certificates import CsrSigner


@dataclass(frozen=True, slots=True)
class ChargerContext:
    store: Store
    charger_id: int
    identity: str
    heartbeat_interval: int
    now: Callable[[], datetime]  # aware UTC
    certificates: CsrSigner | None = None  # None: no CA for chargers, SignCertificate Rejected
