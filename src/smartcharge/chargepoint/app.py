"""The charge point's composition root: builds every part from the config and runs them.

The hardware (and the simulator's control API) outlive a reboot, as a real charger's hardware
outlives its software restarting; everything else (store, configuration, station, link) is built
anew on each boot, exactly as after a power cycle, so a Reset exercises the real start-up path.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from smartcharge import __version__
from smartcharge.chargepoint import boot_parts
from smartcharge.chargepoint.after_boot import after_accept, watch_storage_and_memory
from smartcharge.chargepoint.config import ChargePointConfig
from smartcharge.chargepoint.device_info import device_info
from smartcharge.chargepoint.diagnostics import Diagnostics
from smartcharge.chargepoint.firmware import FirmwareManager
from smartcharge.chargepoint.hardware.choose import (
    HardwareRunner,
    build_hardware,
    clock_trust,
    ntp_authoritative,
    production_clock,
)
from smartcharge.chargepoint.hardware.simulated.hardware import SimulatedHardware
from smartcharge.chargepoint.link import Link
from smartcharge.chargepoint.memory import LowMemory
from smartcharge.chargepoint.ocpp_handlers import Handlers
from smartcharge.chargepoint.ocpp_handlers.security import SecurityHandlers
from smartcharge.chargepoint.ocpp_handlers.uk_extension import DeviceHooks
from smartcharge.chargepoint.security import weakening
from smartcharge.chargepoint.security.boot_integrity import IntegrityResult
from smartcharge.chargepoint.security.boot_security import BootSecurity, open_vault
from smartcharge.chargepoint.security.events import SecurityEvents
from smartcharge.chargepoint.software_integrity import check_integrity, condition
from smartcharge.chargepoint.station import Station
from smartcharge.chargepoint.store import Store
from smartcharge.chargepoint.system_time import AdjustedClock, TimeSync
from smartcharge.chargepoint.transfer import Transfers
from smartcharge.clock import Clock
from smartcharge.ocpp.rpc import RpcEndpoint

if TYPE_CHECKING:
    from smartcharge.chargepoint.owner_api.parts import BootParts
    from smartcharge.chargepoint.owner_api.server import OwnerApi

log = logging.getLogger("smartcharge.chargepoint")


class ChargePointApp:
    def __init__(
        self,
        config: ChargePointConfig,
        *,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        # Everything reads time through this one clock (the system clock in production); its
        # offset is the correction adopted from the central system's time (system_time.py).
        self.clock = AdjustedClock(clock or production_clock(config))
        self.rng = rng or random.SystemRandom()
        self.trust = clock_trust(config, self.clock.inner)  # peak hours need a right clock
        self.hardware = build_hardware(config, self.clock)
        self.runner = HardwareRunner(config, self.hardware, self._state, self._poke)
        self.control = self.runner.control
        # Hardware outlives reboots, so its events are wired once and reach the current boot.
        self.hardware.rfid.on_card(self._on_card)
        self.hardware.network.on_change(self._on_network)
        self.hardware.tamper.on_tamper(self._on_tamper)
        self.vault = open_vault(config)
        self.security: BootSecurity | None = None
        self._tampers: list[str] = []  # alarms between two boots, for the next one
        self.station: Station | None = None
        self.link: Link | None = None
        self.boots = 0
        self.started = asyncio.Event()
        self.owner_api: OwnerApi | None = None
        self._parts: BootParts | None = None
        self.integrity: IntegrityResult | None = None  # None: no boot manifest configured
        self.firmware: FirmwareManager | None = None
        self._factory_reset = False

    def _poke(self) -> None:  # a device changed: the station looks now, not at its next tick
        if self.station is not None:
            self.station.poke()

    def _on_card(self, id_tag: str) -> None:
        if self.station is not None:
            self.station.on_card(id_tag)

    def _on_network(self, up: bool) -> None:
        if self.link is not None:
            self.link.on_network(up)

    def _on_tamper(self, description: str) -> None:
        if self.security is None:
            self._tampers.append(description)
            return
        self.security.tamper(description)

    def clear_tamper(self, by: str) -> bool:
        """R36: the owner or installer cleared a tamper alarm (the owner API calls this).
        Logged as TamperCleared; charging is allowed again. False when there was no alarm."""
        return self.security is not None and self.security.clear_tamper(by)

    def _state(self) -> dict[int, dict[str, Any]]:
        return self.station.state() if self.station is not None else {}

    @property
    def simulator(self) -> SimulatedHardware:  # the simulated charger (demo, tests)
        return self.runner.simulator

    @property
    def control_port(self) -> int:
        return self.runner.control_port

    async def run(self) -> None:
        """Run until cancelled; a Reset or a firmware install reboots the software in place."""
        await self.runner.start()
        try:
            if self.config.owner_api.enabled:
                await self._start_owner_api()
            while True:
                await self._boot_once()
        finally:
            if self.owner_api is not None:
                await self.owner_api.stop()
            await self.runner.stop()

    async def _start_owner_api(self) -> None:
        # Imported here: a charger without the owner API does not load it (memory, R36: a
        # charger listens on nothing its config does not enable).
        from smartcharge.chargepoint.owner_api import tls
        from smartcharge.chargepoint.owner_api.server import OwnerApi
        from smartcharge.chargepoint.security.setup_code import load_setup_code_hash

        cfg = self.config
        cert, key = cfg.owner_api.cert_file, cfg.owner_api.key_file
        if cert is None or key is None:
            cert, key = tls.ensure_certificate(cfg.data_dir / "owner_api", cfg.identity)
        api = OwnerApi(
            lambda: self._parts,
            self.clock,
            public_values=(cfg.identity, cfg.serial_number),
            info=self.device_info,
            setup_code_hash=lambda: load_setup_code_hash(cfg.security.credentials_dir),
            first_use_without_code=cfg.owner_api.first_use_without_code,
        )
        await api.start(cfg.owner_api.host, cfg.owner_api.port, tls.server_context(cert, key))
        self.owner_api = api
        fingerprint = tls.fingerprint(cert)
        log.info("owner API on https port %s (certificate SHA-256 %s)", api.port, fingerprint)

    def _condition(self) -> dict[str, Any]:  # the owner API's status (software_integrity.py)
        return condition(self.integrity, self.firmware, self.station)

    def device_info(self) -> dict[str, Any]:
        """Who this charger is, with the software version running now (R38)."""
        running = self.firmware.installed_version if self.firmware is not None else None
        return device_info(self.config, running)

    @staticmethod
    def _reset_refusal(station: Station) -> str | None:
        busy = station.busy()
        return "a charging session is running; stop it first" if busy else None

    def _request_factory_reset(
        self, station: Station, events: SecurityEvents, by: str = "the owner"
    ) -> None:
        """The owner asked for a factory reset (R35): wiped at the reboot, once all has stopped.
        `by` says who and how, for the security log (the owner API, or OCPP's FactoryReset)."""
        refusal = self._reset_refusal(station)
        if refusal is not None:
            raise RuntimeError(refusal)
        events.record("FactoryReset", f"requested by {by}")
        if self.owner_api is not None:
            self.owner_api.auth.revoke_all()  # however it was asked: the sessions end now
        self._factory_reset = True
        station.reboot_kind = "FactoryReset"
        station.reboot_requested.set()

    async def _boot_once(self) -> None:
        cfg = self.config
        self.boots += 1
        weakening.warn(cfg)  # at every start: what this charger gives away (docs/security.md)
        store = Store(cfg.data_dir / "chargepoint.sqlite")
        time_sync = TimeSync(
            self.clock,
            store,
            record=lambda event, info: security.events.record(event, info),
            invalid=lambda what: security.events.invalid_message(what),
            threshold_s=cfg.clock.sync_threshold_s,
            enabled=cfg.sync_clock,
            on_plausible=self.trust.central_time_seen,
            authoritative=ntp_authoritative(self.clock.inner),
        )
        time_sync.restore()  # before anything of this boot reads the time
        self.hardware.restore_registers(
            {n: float(store.last_register(n)) for n in self.hardware.connectors}
        )
        configuration = boot_parts.configuration(cfg, store)
        controls = boot_parts.owner_controls(cfg, store)
        station = boot_parts.station(
            cfg, store, configuration, self.hardware, self.clock, self.rng, controls
        )
        security = BootSecurity(
            cfg,
            store=store,
            configuration=configuration,
            station=station,
            clock=self.clock,
            vault=self.vault,
            boots=self.boots,
        )
        self.integrity = check_integrity(cfg.security, store, security.events)
        report_only = self.integrity is not None and not self.integrity
        transfers = Transfers(
            cfg.security.transfer_ca_file,
            https_only_uploads=lambda: (
                not cfg.security.allow_http_uploads
                and configuration.int_value("SecurityProfile") >= 2
            ),
            on_bad_certificate=lambda what: security.events.record(
                "InvalidFileServerCertificate", what
            ),
        )
        firmware = FirmwareManager(
            station,
            store,
            cfg.data_dir,
            cfg.model,
            record=security.events.record,
            manufacturer_root=cfg.security.manufacturer_root,
            allow_unsigned=cfg.security.allow_unsigned_firmware,
            model_key=cfg.firmware.model_key_file,
            factory_version=cfg.firmware_version,
            transfers=transfers,
            clock=self.clock,
        )
        firmware.boot()  # settle an install on trial, roll back what fails, before connecting
        self.firmware = firmware
        diagnostics = Diagnostics(
            station,
            store,
            configuration,
            cfg.data_dir / "logs",
            cfg.identity,
            transfers,
            clock=self.clock,
        )

        def boot_payload() -> dict[str, Any]:
            return {
                "chargePointVendor": cfg.vendor,
                "chargePointModel": cfg.model,
                "chargePointSerialNumber": cfg.serial_number,
                "firmwareVersion": firmware.installed_version or cfg.firmware_version,
            }

        def register(ep: RpcEndpoint) -> None:
            if report_only:  # R31: the software failed its check; see Handlers.register
                handlers.register(ep, report_only=True)
                return
            handlers.register(ep)
            security_handlers.register(ep)  # replaces ChangeConfiguration's route (reconnects)

        link = Link(
            identity=cfg.identity,
            security=security.connection,
            station=station,
            store=store,
            settings=configuration,
            clock=self.clock,
            network=self.hardware.network,
            boot_payload=boot_payload,
            register_handlers=register,
            call_timeout=cfg.ocpp.call_timeout,
            connect_timeout=cfg.ocpp.connect_timeout,
            backoff=(cfg.ocpp.reconnect_min_s, cfg.ocpp.reconnect_max_s),
            rng=self.rng,
            on_invalid=security.events.invalid_message,
            on_replay=security.events.attempted_replay,
            on_time=time_sync.central_time,
        )
        security.events.wake = link.wake_outbox

        async def send_boot() -> None:
            await link.call("BootNotification", boot_payload())

        async def send_heartbeat() -> None:
            await link.call("Heartbeat", {})

        handlers = Handlers(
            station,
            store,
            controls,
            configuration,
            firmware,
            diagnostics,
            send_boot,
            send_heartbeat,
            DeviceHooks(
                info=self.device_info,
                reset_refusal=lambda: self._reset_refusal(station),
                factory_reset=lambda by: self._request_factory_reset(station, security.events, by),
            ),
            clock=self.clock,
        )
        security_handlers = SecurityHandlers(
            station=station,
            handlers=handlers,
            connection=security.connection,
            certificates=security.certificates,
            events=security.events,
            diagnostics=diagnostics,
            identity=cfg.identity,
            call=link.call,
            reconnect=link.reconnect,
            firmware_status=firmware.send_signed_firmware_status,
            clock=self.clock,
        )
        station.online, station.clock_trusted = link, self.trust.trusted
        station.before_tick = self.runner.fresh_readings()
        station.storage_failed = security.events.storage_failed
        self.station, self.link, self.security = station, link, security
        while self._tampers:
            security.tamper(self._tampers.pop(0))
        if self.config.owner_api.enabled:
            from smartcharge.chargepoint.owner_api.parts import BootParts

            self._parts = BootParts(
                station=station,
                store=store,
                controls=controls,
                configuration=configuration,
                security_log=security.log,
                record=security.events.record,
                condition=self._condition,
                factory_reset=lambda: self._request_factory_reset(station, security.events),
                clear_tamper=self.clear_tamper,
            )
        log.info(
            "charge point %s booting (boot %s, software %s)", cfg.identity, self.boots, __version__
        )
        tasks = [
            asyncio.ensure_future(station.run()),
            asyncio.ensure_future(link.run()),
        ]
        station.spawn(after_accept(link, firmware.after_boot))
        station.spawn(after_accept(link, security_handlers.renew_when_due))
        memory = LowMemory(cfg.security.min_free_memory_mb, security.events.record)
        station.spawn(watch_storage_and_memory(self.clock, security.events, memory))
        if cfg.firmware.update_url is not None:
            every = timedelta(hours=cfg.firmware.check_interval_h)
            station.spawn(firmware.check_for_updates(cfg.firmware.update_url, every))
        self.started.set()
        reboot = asyncio.ensure_future(station.reboot_requested.wait())
        try:
            done, _ = await asyncio.wait({reboot, *tasks}, return_when=asyncio.FIRST_COMPLETED)
            for t in done:
                if t is not reboot and not t.cancelled() and t.exception() is not None:
                    raise t.exception()  # type: ignore[misc]
            log.info("rebooting (%s reset)", station.reboot_kind)
            security.events.record("ResetOrReboot", f"{station.reboot_kind or 'software'} reset")
        finally:
            reboot.cancel()
            for t in tasks:
                t.cancel()
            await asyncio.gather(reboot, *tasks, return_exceptions=True)
            self._parts = None
            await station.shutdown()
            if self._factory_reset:
                self._factory_reset = False
                store.factory_reset()
                log.info("factory reset: personal data deleted")
            self.security = None
            security.close()
            store.close()
            self.station = None
            self.link = None
