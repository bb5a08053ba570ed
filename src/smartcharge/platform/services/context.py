"""What every service needs, built once by the composition root (`platform.app`)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from smartcharge.platform.commands import Commander
from smartcharge.platform.dsr import DsrService
from smartcharge.platform.lockout import Lockout
from smartcharge.platform.ocpp_server import OcppServer
from smartcharge.platform.services.tariffs.agile import AgileClient
from smartcharge.platform.store import Store

if TYPE_CHECKING:  # these services take the context's parts themselves
    from smartcharge.platform.services.certificates import CertificateService
    from smartcharge.platform.services.local_lists import LocalListSync
    from smartcharge.platform.services.site_balancer import SiteBalancer


@dataclass
class ServiceContext:
    store: Store
    ocpp: OcppServer  # who is connected; commands go through `commander`, never past it
    commander: Commander
    dsr: DsrService
    now: Callable[[], datetime]  # aware UTC
    rng: random.Random  # SystemRandom in production (fleet spreads), seeded in tests
    login_lockout: Lockout
    local_lists: LocalListSync  # cards to chargers' local lists and caches
    certificates: CertificateService  # the platform's CA: SignCertificate, renewals
    session_ttl_s: float = 12 * 3600
    agile: AgileClient | None = None  # dynamic tariff prices (None: none fetched, typed only)
    balancer: SiteBalancer | None = None  # site load management (None: not running)
