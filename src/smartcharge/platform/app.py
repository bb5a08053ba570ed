"""The platform's composition root: settings -> store (migrated) -> OCPP server -> services
(commands, DSR) -> REST API (uvicorn, same event loop)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import random
import re
import secrets
import ssl
import sys
import uuid
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx

from smartcharge.clock import Clock, SystemClock
from smartcharge.platform.api import ApiContext, create_api
from smartcharge.platform.api_docs import mount_docs
from smartcharge.platform.background import failed_pass
from smartcharge.platform.charger_ca import ChargerCa
from smartcharge.platform.cluster import Cluster
from smartcharge.platform.commands import Commander
from smartcharge.platform.config import PlatformSettings, SettingsError
from smartcharge.platform.connection_limits import ConnectionLimits, fit_open_file_limit
from smartcharge.platform.dsr import DsrService
from smartcharge.platform.http_server import HttpLimits, HttpServer
from smartcharge.platform.lockout import Lockout, Throttle
from smartcharge.platform.ocpp_server import OcppServer
from smartcharge.platform.registry import PASSWORD_BYTES, NewCharger, add_charger, hash_password
from smartcharge.platform.services import plan_keeper
from smartcharge.platform.services.certificates import CertificateService
from smartcharge.platform.services.local_lists import LocalListSync
from smartcharge.platform.services.passwords import Rotation, rotate_password
from smartcharge.platform.services.site_balancer import SiteBalancer
from smartcharge.platform.services.tariffs.agile import AgileClient, public_tls
from smartcharge.platform.store import Store
from smartcharge.platform.store.models import ROLES
from smartcharge.platform.web import WebSettings
from smartcharge.platform.web import mount as mount_web

log = logging.getLogger("smartcharge.platform")


def ssl_context(settings: PlatformSettings) -> ssl.SSLContext | None:
    """The server's TLS context for profiles 2 and 3 (TLS 1.2 or newer), None for profile 1.

    Raises `SettingsError` when the profile's files are not configured, `OSError` /
    `ssl.SSLError` when they cannot be read.
    """
    if settings.security_profile == 1:
        return None
    settings.check_tls()
    assert settings.tls_cert is not None and settings.tls_key is not None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(settings.tls_cert, settings.tls_key)
    if settings.tls_client_ca is not None:
        # Profile 3 only: a client certificate is required. Profile 2 with a client CA: one
        # listener serves both, a verified certificate making the connection profile 3.
        required = settings.security_profile == 3
        context.verify_mode = ssl.CERT_REQUIRED if required else ssl.CERT_OPTIONAL
        context.load_verify_locations(cafile=settings.tls_client_ca)
    return context


def charger_ca(settings: PlatformSettings, now: datetime) -> ChargerCa:
    """The operator's CA for charge point certificates, or the platform's own. Raises
    `SettingsError` naming the key when it cannot be used."""
    cert, key = settings.charger_ca_cert, settings.charger_ca_key
    if (cert is None) != (key is None):
        raise SettingsError("charger_ca_cert and charger_ca_key go together")
    try:
        if cert is not None and key is not None:
            return ChargerCa.load(cert, key)
        return ChargerCa.own(settings.data_dir / "charger-ca", now)
    except (OSError, ValueError) as exc:  # CertificateRefused is a ValueError
        raise SettingsError(f"charger_ca_cert / charger_ca_key: {exc}") from None


def open_store(settings: PlatformSettings) -> Store:
    return Store(
        settings.database,
        meter_batch_rows=settings.meter_batch_rows,
        meter_batch_delay=settings.meter_batch_ms / 1000,
        commit_delay=settings.commit_batch_ms / 1000,
    )


def open_cluster(settings: PlatformSettings) -> Cluster | None:
    """The link to the other nodes, when a bus is configured (docs/platform.md)."""
    if settings.bus_url is None:
        return None
    return Cluster(settings.bus_url, settings.node_id, prefix=settings.bus_prefix)


class PlatformApp:
    def __init__(
        self,
        settings: PlatformSettings,
        *,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        # One injected clock: wall time for records, monotonic time for lockouts (the charger's
        # port, so tests and the demo drive both processes the same way).
        self.clock: Clock = clock or SystemClock()
        self.store = open_store(settings)
        lockout = Lockout(
            max_failures=settings.lockout_failures,
            window=settings.lockout_window_s,
            duration=settings.lockout_s,
            clock=self.clock.monotonic,
        )
        self.ocpp = OcppServer(
            self.store,
            host=settings.host,
            port=settings.port,
            plain_port=settings.plain_port if settings.security_profile >= 2 else None,
            security_profile=settings.security_profile,
            ssl_context=ssl_context(settings),
            lockout=lockout,
            heartbeat_interval=settings.heartbeat_interval_s,
            call_timeout=settings.call_timeout_s,
            last_seen_flush=settings.last_seen_flush_s,
            node_id=settings.node_id,
            cluster=open_cluster(settings),
            now=self.clock.now,
            connections=ConnectionLimits(
                "ocpp",
                total=settings.ocpp_max_connections,
                per_address=settings.ocpp_max_per_address,
            ),
            handshake_timeout=settings.ocpp_handshake_timeout_s,
            ping_interval=settings.ocpp_ping_interval_s,
            ping_timeout=settings.ocpp_ping_timeout_s,
            throttle=Throttle(
                max_events=settings.ocpp_handshakes_per_hour,
                window=3600.0,
                clock=self.clock.monotonic,
            ),
        )
        self.now = self.clock.now
        self.commander = Commander(self.store, self.ocpp, self.now)
        self.dsr = DsrService(
            self.store,
            self.ocpp,
            now=self.now,
            timeout=settings.dsr_timeout_s,
            retry_interval=settings.dsr_retry_s,
        )
        self.local_lists = LocalListSync(self.store, self.commander, now=self.now)
        self.certificates = CertificateService(
            self.store,
            self.commander,
            charger_ca(settings, self.now()),
            self.now,
            days=settings.charger_cert_days,
            renew_before=timedelta(days=settings.charger_cert_renew_days),
        )
        self.ocpp.csr_signer = self.certificates
        self.ocpp.on_connected.append(self.local_lists.charger_connected)
        self.balancer = SiteBalancer(
            self.store, self.ocpp, self.commander, self.now, self.clock.monotonic, settings.node_id
        )
        self.ocpp.on_connected.append(self.balancer.charger_connected)
        tls = settings.security_profile >= 2
        self.tariff_http = httpx.AsyncClient(follow_redirects=False, verify=public_tls())
        self.api_context = ApiContext(
            store=self.store,
            ocpp=self.ocpp,
            commander=self.commander,
            dsr=self.dsr,
            now=self.now,
            rng=rng or random.SystemRandom(),
            login_lockout=Lockout(
                max_failures=settings.lockout_failures,
                window=settings.lockout_window_s,
                duration=settings.lockout_s,
                clock=self.clock.monotonic,
            ),
            local_lists=self.local_lists,
            certificates=self.certificates,
            balancer=self.balancer,
            session_ttl_s=settings.session_ttl_s,
            agile=AgileClient(
                self.tariff_http,
                now=self.now,
                base_url=settings.agile_api_url,
                timeout_s=settings.agile_timeout_s,
            ),
            token_cache_s=settings.token_cache_s,
            secure_cookies=tls,
        )
        self.api = create_api(self.api_context)
        mount_docs(self.api, public=settings.api_docs_public)
        mount_web(self.api, WebSettings.of(settings))
        # the owner web app at /app; `stopping` ends its pushed updates when the server stops
        self.api.state.stopping = asyncio.Event()
        self.http = HttpServer(
            self.api,
            host=settings.api_host,
            port=settings.api_port,
            cert=settings.tls_cert if tls else None,
            key=settings.tls_key if tls else None,
            limits=HttpLimits(
                max_connections=settings.http_max_connections,
                max_per_address=settings.http_max_per_address,
                header_timeout=settings.http_header_timeout_s,
                body_timeout=settings.http_body_timeout_s,
                tls_handshake_timeout=settings.tls_handshake_timeout_s,
                trusted_proxies=tuple(settings.trusted_proxies),
            ),
        )
        self._background: list[asyncio.Task[None]] = []
        self.started = asyncio.Event()

    async def start(self) -> None:
        fit_open_file_limit(self.ocpp.limits, self.http.connections)
        await self.store.migrate()
        await self.ocpp.start()
        await self.http.start()
        self._background.append(asyncio.create_task(self.dsr.retry_forever()))
        keeper = plan_keeper.run(self.api_context, self.settings.plan_keeper_interval_s)
        self._background.append(asyncio.create_task(keeper))
        self._background.append(asyncio.create_task(self._renew_certificates_forever()))
        self._background.append(asyncio.create_task(self.balancer.run()))
        log.info("REST API listening url=%s", self.http.url)
        self.started.set()

    async def stop(self) -> None:
        self.api.state.stopping.set()
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        with contextlib.suppress(Exception):  # the database may be what failed
            await self.balancer.release()
        await self.local_lists.close()
        await self.http.stop()
        await self.tariff_http.aclose()
        await self.ocpp.stop()
        await self.store.close()

    async def _renew_certificates_forever(self) -> None:
        while True:
            await self.clock.sleep(self.settings.certificate_check_s)
            try:
                await self.certificates.renew_due()
            except Exception:
                failed_pass(log, "certificate renewal round failed")

    async def run(self) -> None:
        """Start, serve until cancelled, stop."""
        await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()


T = TypeVar("T")


GC_THRESHOLDS = (100_000, 50, 100)
"""The cyclic garbage collector's thresholds for a serving process (Python's: 700, 10, 10).

Each OCPP message allocates a few dozen objects that live until its batch of meter values is
committed (tens of milliseconds). With the default thresholds a collection ran every 700
allocations, every message in flight survived it, was promoted, and soon made a full
collection walk every object of thousands of connections: 0.2 to 0.3 s each, ten a minute at
2,000 messages/s, about a fifth of the process's CPU and its worst latencies (bench/platform.md).
With these, the young objects are mostly gone before a collection looks at them; cyclic garbage
(rare on the hot path) waits a little longer to be freed."""


def tune_gc() -> None:
    """Set `GC_THRESHOLDS` and move everything loaded so far (modules, settings) out of the
    collector's sight (`gc.freeze`): it lives as long as the process anyway."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


GIL_SWITCH_S = 0.001
"""How long a thread waiting for the GIL waits before the running one must let go (Python's:
5 ms). On SQLite every statement is handed to aiosqlite's thread and back, and each hand-off
waited up to that long for the GIL while the event loop was busy; a group commit makes about
twenty of them (bench/platform.md, "The real mix")."""


def tune_gil() -> None:
    """Set `GIL_SWITCH_S` (process-wide)."""
    sys.setswitchinterval(GIL_SWITCH_S)


def run_serving(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` (`platform serve`, the demo) with `tune_gc` and `tune_gil`, on uvloop when it
    is installed, else on asyncio's own loop. uvloop's transports and scheduling cost less CPU
    per OCPP message (bench/platform.md); nothing here depends on it."""
    tune_gc()
    tune_gil()
    try:
        import uvloop
    except ImportError:  # pragma: no cover - a platform without uvloop's wheels
        return asyncio.run(main)
    return uvloop.run(main)


async def provision_charger(
    settings: PlatformSettings, identity: str, *, owner: str | None, site: str | None
) -> NewCharger:
    """`smartcharge platform add-charger`: migrate if needed, register, return the password."""
    store = open_store(settings)
    try:
        await store.migrate()
        return await add_charger(store, identity, owner=owner, site=site)
    finally:
        await store.close()


async def rotate_charger_password(
    settings: PlatformSettings, identity: str, *, timeout: float
) -> Rotation:
    """`smartcharge platform rotate-password` with `bus_url`: through the bus, to whichever node
    holds the charger (without a bus the CLI goes through the REST API). Raises `SettingsError`
    without `bus_url`, `ConnectionError` when the bus is unreachable."""
    if settings.bus_url is None:
        raise SettingsError("bus_url is not set: rotate through the REST API (--api-url)")
    store = open_store(settings)
    cluster = Cluster(settings.bus_url, f"cli-{uuid.uuid4().hex[:8]}", prefix=settings.bus_prefix)
    try:
        await cluster.start()  # a client only: it holds no chargers
        return await rotate_password(store, cluster.call, identity, timeout=timeout)
    finally:
        await cluster.close()
        await store.close()


async def provision_user(
    settings: PlatformSettings, email: str, *, role: str, site: str | None = None
) -> str:
    """`smartcharge platform add-user`: a user with a fresh password (CSPRNG), returned once.

    Raises `ValueError` for a bad address, role or a workplace role without a site, and
    `UserExists` for an address that is taken.
    """
    if not re.fullmatch(r"[^@\s]+@[^@\s]+", email.strip()) or len(email) > 254:
        raise ValueError("not an e-mail address")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role.startswith("workplace") and not site:
        raise ValueError("a workplace role needs --site")
    store = open_store(settings)
    try:
        await store.migrate()
        now = datetime.now(UTC)
        site_id = await store.people.site(site, at=now) if site else None
        password = secrets.token_urlsafe(PASSWORD_BYTES)
        password_hash = await asyncio.to_thread(hash_password, password)
        await store.accounts.create(
            email, role=role, password_hash=password_hash, at=now, site_id=site_id
        )
        return password
    finally:
        await store.close()
