"""The platform's composition root: settings -> store (migrated) -> OCPP server.

The REST API and the web app will be built here too, on the same store and server.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from smartcharge.platform.cluster import Cluster
from smartcharge.platform.config import PlatformSettings, SettingsError
from smartcharge.platform.lockout import Lockout
from smartcharge.platform.ocpp_server import OcppServer
from smartcharge.platform.registry import NewCharger, Rotation, add_charger, rotate_password
from smartcharge.platform.store import Store

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
    if settings.security_profile == 3:
        assert settings.tls_client_ca is not None
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cafile=settings.tls_client_ca)
    return context


def open_store(settings: PlatformSettings) -> Store:
    return Store(
        settings.database,
        meter_batch_rows=settings.meter_batch_rows,
        meter_batch_delay=settings.meter_batch_ms / 1000,
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
        clock: Callable[[], float] | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.store = open_store(settings)
        lockout = Lockout(
            max_failures=settings.lockout_failures,
            window=settings.lockout_window_s,
            duration=settings.lockout_s,
            **({"clock": clock} if clock else {}),
        )
        self.ocpp = OcppServer(
            self.store,
            host=settings.host,
            port=settings.port,
            security_profile=settings.security_profile,
            ssl_context=ssl_context(settings),
            lockout=lockout,
            heartbeat_interval=settings.heartbeat_interval_s,
            call_timeout=settings.call_timeout_s,
            last_seen_flush=settings.last_seen_flush_s,
            node_id=settings.node_id,
            cluster=open_cluster(settings),
            now=now or (lambda: datetime.now(UTC)),
        )
        self.started = asyncio.Event()

    async def start(self) -> None:
        await self.store.migrate()
        await self.ocpp.start()
        self.started.set()

    async def stop(self) -> None:
        await self.ocpp.stop()
        await self.store.close()

    async def run(self) -> None:
        """Start, serve until cancelled, stop."""
        await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()


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
    """`smartcharge platform rotate-password`: through the bus, to whichever node holds the
    charger. Raises `SettingsError` without `bus_url` (a separate process cannot reach a
    charger otherwise: use the REST API), `ConnectionError` when the bus is unreachable."""
    if settings.bus_url is None:
        raise SettingsError(
            "rotate-password reaches the charger through the nodes' bus: set bus_url "
            "(or rotate through the REST API)"
        )
    store = open_store(settings)
    cluster = Cluster(settings.bus_url, f"cli-{uuid.uuid4().hex[:8]}", prefix=settings.bus_prefix)
    try:
        await cluster.start()  # a client only: it holds no chargers
        return await rotate_password(store, cluster.call, identity, timeout=timeout)
    finally:
        await cluster.close()
        await store.close()
