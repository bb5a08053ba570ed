"""Firmware Management: UpdateFirmware and the whitepaper's SignedUpdateFirmware (R29, R30).

- UpdateFirmware (OCPP 1.6): Downloading → Downloaded (or DownloadFailed) → Installing →
  Installed after the reboot (or InstallationFailed). An unsigned image cannot show its origin,
  so a charger refuses it (InstallationFailed, InvalidFirmwareSignature in the security log),
  unless its file names the lab setting `security.allow_unsigned_firmware = true` (a
  security-weakening setting: warned at every start, refused by a production build).
- SignedUpdateFirmware (security whitepaper, edition 3): the signing certificate is checked
  against the manufacturer root on receipt (InvalidCertificate, InvalidFirmwareSigningCertificate
  logged); the downloaded image's signature before anything else (InvalidSignature,
  InvalidFirmwareSignature logged), then SignatureVerified → Installing → InstallRebooting →
  Installed, or InstallVerificationFailed when the new slot fails its check at boot and the
  charger rolls back. Statuses go in SignedFirmwareStatusNotification with the requestId.
- Installation waits until no transaction runs, so an update never interrupts charging, and a
  rejected image leaves everything as it was. The image goes into the inactive slot
  (firmware_slots); the switch happens at the reboot and is verified then.
- The update check (R30): at every start and every `firmware.check_interval_h` hours the
  charger reads `firmware.update_url` (a JSON release description) and reports what it found in
  the log and to the owner; installing stays the central system's or the owner's decision.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from smartcharge.chargepoint import transfer
from smartcharge.chargepoint.firmware_format import InvalidImage, SignedRequest, parse_image
from smartcharge.chargepoint.firmware_slots import FirmwareSlots, SlotImage
from smartcharge.chargepoint.security import firmware_image
from smartcharge.chargepoint.security.firmware_verify import (
    FirmwareVerificationError,
    InvalidFirmwareSignature,
    check_signing_certificate,
    verify,
)
from smartcharge.chargepoint.station import Station
from smartcharge.chargepoint.store import Store
from smartcharge.clock import Clock
from smartcharge.ocpp.times import format_time, parse_time
from smartcharge.ocpp.uk_extension import UPDATE_AVAILABLE, data_transfer

log = logging.getLogger("smartcharge.chargepoint.firmware")

REPORTED_KEY = "firmware.update_reported"  # the last version found that was told to the CSMS


class FirmwareManager:
    def __init__(
        self,
        station: Station,
        store: Store,
        data_dir: Path,
        model: str,
        *,
        record: Callable[[str, str], object] | None = None,
        manufacturer_root: Path | None = None,
        allow_unsigned: bool = False,
        model_key: Path | None = None,
        factory_version: str = "",
        transfers: transfer.Transfers | None = None,
        clock: Clock,
    ) -> None:
        self.station = station
        self.clock = clock  # the charger's one clock (app.py), the station's too
        self.store = store  # the installed version, a pending report, the image slots' state
        self._transfers = transfers or transfer.Transfers()
        self.dir = data_dir / "firmware"
        self.model = model
        self.status = "Idle"
        self.signed_status: tuple[str, int | None] = ("Idle", None)
        self._record = record  # SecurityEvents.record: the security log, notified durably
        self._root_path = manufacturer_root
        self._allow_unsigned = allow_unsigned  # a lab setting (security/weakening.py)
        self._model_key_path = model_key
        self.slots = FirmwareSlots(self.dir, store, self._manufacturer_root)
        self._factory_version = factory_version
        self._busy = False
        self.available: dict[str, Any] | None = None  # what the last update check found

    @property
    def installed_version(self) -> str | None:
        return self.store.setting("firmware.version")

    def _manufacturer_root(self) -> bytes | None:
        if self._root_path is None:
            return None
        try:
            return self._root_path.read_bytes()
        except OSError as exc:
            log.error("manufacturer root unreadable: %s", exc)
            return None

    def _security_event(self, event: str, tech_info: str) -> None:
        if self._record is not None:
            self._record(event, tech_info)

    # --- start-up -------------------------------------------------------------------------------
    def boot(self) -> None:
        """Before connecting: settle an install on trial, verify the slot to run (R29, R31)."""
        outcome = self.slots.boot()
        trial = outcome.trial
        if outcome.installed is not None:
            image = outcome.installed
            self._security_event("FirmwareUpdated", f"firmware {image.version} installed")
            self._pending_report("Installed", image.request_id, signed=image.signature is not None)
        elif trial is not None:
            self._pending_report(
                "InstallVerificationFailed"
                if trial.signature is not None
                else "InstallationFailed",
                trial.request_id,
                signed=trial.signature is not None,
            )
        if outcome.rolled_back is not None:
            self._security_event("FirmwareRolledBack", outcome.rolled_back)

    def _pending_report(self, status: str, request_id: int | None, *, signed: bool) -> None:
        report = {"status": status, "requestId": request_id, "signed": signed}
        self.store.save_setting("firmware.report", orjson.dumps(report).decode())

    def after_boot(self) -> None:
        """Called once the central system accepted the boot: report a finished install."""
        pending = self.store.setting("firmware.report")
        if not pending:
            return
        self.store.delete_setting("firmware.report")
        try:
            report = orjson.loads(pending)
        except orjson.JSONDecodeError:
            report = {"status": pending, "signed": False}  # an older build's plain status
        if not isinstance(report, dict):
            return
        if report.get("signed"):
            self.station.spawn(self._report_signed(str(report["status"]), report.get("requestId")))
        else:
            self.station.spawn(self._report(str(report["status"])))

    # --- UpdateFirmware -------------------------------------------------------------------------
    def schedule_update(
        self, location: str, retrieve: datetime, retries: int | None, interval: int | None
    ) -> None:
        self.station.spawn(self._update(location, retrieve, retries, interval))

    async def _update(
        self, location: str, retrieve: datetime, retries: int | None, interval: int | None
    ) -> None:
        await self._wait_until(retrieve)
        await self._report("Downloading")
        try:
            image = await transfer.with_retries(
                self.clock, retries, interval, lambda: self._transfers.download(location)
            )
        except transfer.TransferError as exc:
            log.warning("firmware download failed: %s", exc)
            await self._report("DownloadFailed")
            return
        await self._report("Downloaded")
        await self._when_idle()
        await self._report("Installing")
        if not self._allow_unsigned:
            # R29: a charger installs only images whose origin it can verify, unless its file
            # names the lab setting that says otherwise (security.allow_unsigned_firmware).
            log.warning("unsigned firmware refused: use SignedUpdateFirmware")
            self._security_event(
                "InvalidFirmwareSignature", "unsigned image (UpdateFirmware) refused"
            )
            await self._report("InstallationFailed")
            return
        try:
            version = parse_image(image, self.model)
        except InvalidImage as exc:
            log.warning("firmware rejected: %s", exc)
            await self._report("InstallationFailed")
            return
        self.slots.install(image, SlotImage(version, hashlib.sha256(image).hexdigest()))
        self._pending_report("InstallationFailed", None, signed=False)  # if the reboot fails
        self._reboot_into(version)

    def _reboot_into(self, version: str) -> None:
        st = self.station
        log.info("firmware %s written to the inactive slot; rebooting into it", version)
        st.reboot_kind = "Firmware"
        st.reboot_requested.set()

    async def _wait_until(self, when: datetime) -> None:
        wait = (when - self.clock.now()).total_seconds()
        if wait > 0:
            await self.clock.sleep(wait)

    async def _when_idle(self) -> None:
        while self.station.busy():
            await self.clock.sleep(5)

    async def _report(self, status: str) -> None:
        self.status = status
        await self.station.send_best_effort("FirmwareStatusNotification", {"status": status})

    async def send_firmware_status(self) -> None:
        await self.station.send_best_effort("FirmwareStatusNotification", {"status": self.status})

    # --- SignedUpdateFirmware -------------------------------------------------------------------
    def signed_update(self, req: dict[str, Any]) -> str:
        """Answer a SignedUpdateFirmware request (schema-valid) and start it if Accepted."""
        fw = req["firmware"]
        try:
            request = SignedRequest(
                request_id=int(req["requestId"]),
                location=str(fw["location"]),
                retrieve=parse_time(fw["retrieveDateTime"]),
                install=parse_time(fw["installDateTime"]) if fw.get("installDateTime") else None,
                signature=str(fw["signature"]),
                signing_certificate=str(fw["signingCertificate"]),
                retries=req.get("retries"),
                retry_interval=req.get("retryInterval"),
            )
        except ValueError as exc:
            log.info("SignedUpdateFirmware rejected: %s", exc)
            return "Rejected"
        root = self._manufacturer_root()
        if root is None:
            log.warning("SignedUpdateFirmware rejected: no manufacturer root installed")
            return "Rejected"
        try:
            check_signing_certificate(request.signing_certificate, root, self.clock.now())
        except FirmwareVerificationError as exc:
            log.warning("firmware signing certificate refused: %s", exc)
            self._security_event(exc.event_type, str(exc))
            return "InvalidCertificate"
        if self._busy:
            return "Rejected"  # one update at a time; the central system may try again
        self._busy = True
        self.station.spawn(self._signed(request, root))
        return "Accepted"

    async def _signed(self, req: SignedRequest, root: bytes) -> None:
        try:
            await self._signed_steps(req, root)
        finally:
            self._busy = False

    async def _signed_steps(self, req: SignedRequest, root: bytes) -> None:
        report = self._report_signed
        if req.retrieve > self.clock.now():
            await report("DownloadScheduled", req.request_id)
            await self._wait_until(req.retrieve)
        await report("Downloading", req.request_id)
        try:
            data = await transfer.with_retries(
                self.clock,
                req.retries,
                req.retry_interval,
                lambda: self._transfers.download(req.location),
            )
        except transfer.TransferError as exc:
            log.warning("firmware download failed: %s", exc)
            await report("DownloadFailed", req.request_id)
            return
        await report("Downloaded", req.request_id)
        try:
            verify(data, req.signature, req.signing_certificate, root, self.clock.now())
        except FirmwareVerificationError as exc:
            log.warning("firmware refused: %s", exc)
            self._security_event(exc.event_type, str(exc))
            status = (
                "InvalidSignature"
                if isinstance(exc, InvalidFirmwareSignature)
                else ("InstallationFailed")
            )
            await report(status, req.request_id)
            return
        await report("SignatureVerified", req.request_id)
        try:
            version = parse_image(self._decrypt(data), self.model)
        except (InvalidImage, firmware_image.FirmwareDecryptionError, OSError) as exc:
            log.warning("firmware cannot be installed: %s", exc)
            await report("InstallationFailed", req.request_id)
            return
        if req.install is not None and req.install > self.clock.now():
            await report("InstallScheduled", req.request_id)
            await self._wait_until(req.install)
        await self._when_idle()
        await report("Installing", req.request_id)
        self.slots.install(
            data,
            SlotImage(
                version,
                hashlib.sha256(data).hexdigest(),
                req.signature,
                req.signing_certificate,
                req.request_id,
            ),
        )
        self._pending_report("InstallVerificationFailed", req.request_id, signed=True)
        await report("InstallRebooting", req.request_id)
        self._reboot_into(version)

    def _decrypt(self, data: bytes) -> bytes:
        if not firmware_image.is_encrypted(data):
            return data
        if self._model_key_path is None:
            raise firmware_image.FirmwareDecryptionError(
                "the image is encrypted and this charger has no model key"
            )
        return firmware_image.decrypt(data, self._model_key_path.read_bytes(), self.model)

    async def _report_signed(self, status: str, request_id: int | None) -> None:
        self.signed_status = (status, request_id)
        await self.send_signed_firmware_status()

    async def send_signed_firmware_status(self) -> None:
        """The signed-firmware state now (also for ExtendedTriggerMessage); the whitepaper leaves
        requestId out only when Idle."""
        status, request_id = self.signed_status
        payload: dict[str, Any] = {"status": status}
        if request_id is not None and status != "Idle":
            payload["requestId"] = request_id
        await self.station.send_best_effort("SignedFirmwareStatusNotification", payload)

    # --- the update check (R30) -----------------------------------------------------------------
    async def check_for_updates(self, url: str, every: timedelta) -> None:
        """At start and then every `every`: read the release description at `url`."""
        while True:
            await self.check_once(url)
            await self.clock.sleep(every.total_seconds())

    async def check_once(self, url: str) -> dict[str, Any] | None:
        checked = format_time(self.clock.now())
        try:
            body = await self._transfers.download(url, timeout_s=30.0)
            found = orjson.loads(body)
            if not isinstance(found, dict) or not isinstance(found.get("version"), str):
                raise ValueError("no version in the release description")
        except (TimeoutError, transfer.TransferError, ValueError, OSError) as exc:
            log.warning("update check at %s failed: %s", transfer.redact(url), exc)
            self.available = {"checkedAt": checked, "error": str(exc)[:200]}
            return None
        except Exception as exc:  # aiohttp's client errors; a check must never stop the charger
            log.warning("update check at %s failed: %s", transfer.redact(url), type(exc).__name__)
            self.available = {"checkedAt": checked, "error": type(exc).__name__}
            return None
        version = str(found["version"])[:50]
        current = self.installed_version or self._factory_version
        newer = version != current
        self.available = {
            "checkedAt": checked,
            "latestVersion": version,
            "updateAvailable": newer,
            "location": found.get("location") if isinstance(found.get("location"), str) else None,
        }
        if newer:
            log.info("update check: version %s is available (running %s)", version, current)
            self._tell_central_system(self.available, current)
        else:
            log.info("update check: %s is the latest version", version)
        return self.available

    def _tell_central_system(self, found: dict[str, Any], running: str) -> None:
        """R30: the central system hears of a newer version too (UpdateAvailable, a UK-extension
        DataTransfer, docs/ocpp-extensions.md), queued durably, once per version found."""
        store = self.store
        version = found["latestVersion"]
        if store.setting(REPORTED_KEY) == version:
            return
        data = {
            "version": version,
            "location": found["location"],
            "checkedAt": found["checkedAt"],
            "running": running,
        }
        payload = data_transfer(UPDATE_AVAILABLE, data)
        store.enqueue("DataTransfer", payload, now=self.clock.now())
        store.save_setting(REPORTED_KEY, version)  # a crash between the two: sent twice, harmless
        if self.station.online is not None:
            self.station.online.wake_outbox()

    def condition(self) -> dict[str, Any]:
        """What the owner sees of the firmware."""
        status, request_id = self.signed_status
        return {
            "version": self.installed_version,
            "activeSlot": self.slots.active(),
            "status": self.status,
            "signedStatus": status,
            "signedRequestId": request_id,
            "updateCheck": self.available,
        }
