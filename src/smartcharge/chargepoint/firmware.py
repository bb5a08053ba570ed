"""Firmware Management: UpdateFirmware (download, install when idle, reboot, report).

The status sequence is OCPP 1.6's: Downloading → Downloaded (or DownloadFailed) → Installing →
Installed after the reboot (or InstallationFailed). Installation waits until no transaction runs,
so an update never interrupts charging. The image is written to the inactive slot; the switch
happens at the reboot. Signature verification of images (R29) is the security profile's work
(SignedUpdateFirmware); the simulated hardware accepts only well-formed simulator images.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from smartcharge.chargepoint import transfer
from smartcharge.chargepoint.station import Station

log = logging.getLogger("smartcharge.chargepoint.firmware")

IMAGE_FORMAT = "smartcharge-sim-firmware"


class InvalidImage(Exception):
    pass


def parse_image(data: bytes, model: str) -> str:
    """The version inside a simulator firmware image (a JSON header), or InvalidImage."""
    try:
        header = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidImage("not a smartcharge firmware image") from exc
    if not isinstance(header, dict) or header.get("format") != IMAGE_FORMAT:
        raise InvalidImage("not a smartcharge firmware image")
    version = header.get("version")
    if not isinstance(version, str) or not 0 < len(version) <= 50:
        raise InvalidImage("image has no valid version")
    if header.get("model") not in (None, model):
        raise InvalidImage(f"image is for model {header.get('model')!r}, not {model!r}")
    return version


def make_image(version: str, model: str | None = None) -> bytes:
    """A simulator firmware image (used by tests, the demo and the compliance suite)."""
    header: dict[str, Any] = {"format": IMAGE_FORMAT, "version": version}
    if model is not None:
        header["model"] = model
    return orjson.dumps(header)


class FirmwareManager:
    def __init__(self, station: Station, data_dir: Path, model: str) -> None:
        self.station = station
        self.dir = data_dir / "firmware"
        self.model = model
        self.status = "Idle"

    @property
    def installed_version(self) -> str | None:
        return self.station.store.setting("firmware.version")

    def after_boot(self) -> None:
        """Called once the central system accepted the boot: report a finished install."""
        pending = self.station.store.setting("firmware.report")
        if pending:
            self.station.store.delete_setting("firmware.report")
            self.station.spawn(self._report(pending))

    def schedule_update(
        self, location: str, retrieve: datetime, retries: int | None, interval: int | None
    ) -> None:
        self.station.spawn(self._update(location, retrieve, retries, interval))

    async def _update(
        self, location: str, retrieve: datetime, retries: int | None, interval: int | None
    ) -> None:
        st = self.station
        wait = (retrieve - st.clock.now()).total_seconds()
        if wait > 0:
            await st.clock.sleep(wait)
        await self._report("Downloading")
        try:
            image = await transfer.with_retries(
                st.clock, retries, interval, lambda: transfer.download(location)
            )
        except transfer.TransferError as exc:
            log.warning("firmware download failed: %s", exc)
            await self._report("DownloadFailed")
            return
        await self._report("Downloaded")
        await self._when_idle()
        await self._report("Installing")
        try:
            version = parse_image(image, self.model)
        except InvalidImage as exc:
            log.warning("firmware rejected: %s", exc)
            await self._report("InstallationFailed")
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        slot = self.dir / "inactive.img"
        slot.write_bytes(image)
        st.store.save_setting("firmware.version", version)
        st.store.save_setting("firmware.report", "Installed")
        log.info("firmware %s installed; rebooting into it", version)
        st.reboot_kind = "Firmware"
        st.reboot_requested.set()

    async def _when_idle(self) -> None:
        while any(c.tx_local_id is not None for c in self.station.connectors.values()):
            await self.station.clock.sleep(5)

    async def _report(self, status: str) -> None:
        self.status = status
        await self.station.send_best_effort("FirmwareStatusNotification", {"status": status})

    async def send_firmware_status(self) -> None:
        await self.station.send_best_effort("FirmwareStatusNotification", {"status": self.status})
