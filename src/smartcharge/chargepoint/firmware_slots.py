"""Two firmware slots (A/B): install into the inactive one, switch, verify at boot, roll back.

The slot images live in `data_dir/firmware/slot-a.img` and `slot-b.img`; what each holds, which
one is active and which one is on trial are store settings under `firmware.` (a factory reset
keeps them: they describe the device). An install writes the inactive slot and marks it for
trial; at the next start `boot()` verifies the slot on trial (its SHA-256, and for a signed image
its signature against the manufacturer root) and makes it active, or rolls back to the slot that
was running. The active slot is verified at every start too: a slot that fails (a changed file,
flash corruption) is abandoned for the other one if that one verifies, else for the factory
image. No slot active means the factory image (the software as installed).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from smartcharge.chargepoint.security.firmware_verify import FirmwareVerificationError, verify
from smartcharge.chargepoint.store import SettingsAccess

log = logging.getLogger("smartcharge.chargepoint.firmware")

SLOTS = ("a", "b")
ACTIVE_KEY = "firmware.active"
TRIAL_KEY = "firmware.trial"
VERSION_KEY = "firmware.version"


@dataclass(frozen=True)
class SlotImage:
    version: str
    sha256: str
    signature: str | None = None  # base64; None for an unsigned (lab) image
    signing_certificate: str | None = None
    request_id: int | None = None  # the SignedUpdateFirmware that brought it

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "sha256": self.sha256,
            "signature": self.signature,
            "signingCertificate": self.signing_certificate,
            "requestId": self.request_id,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SlotImage:
        return cls(
            str(d["version"]),
            str(d["sha256"]),
            d.get("signature"),
            d.get("signingCertificate"),
            d.get("requestId"),
        )


@dataclass(frozen=True)
class BootOutcome:
    """What `boot()` did: `installed` (a trial became active) or `rolled_back` (with why)."""

    installed: SlotImage | None = None
    rolled_back: str | None = None
    trial: SlotImage | None = None  # the image that was on trial, installed or not


class FirmwareSlots:
    def __init__(
        self,
        folder: Path,
        store: SettingsAccess,
        manufacturer_root: Callable[[], bytes | None],
    ) -> None:
        self.folder = folder
        self.store = store
        self._root = manufacturer_root

    def path(self, slot: str) -> Path:
        return self.folder / f"slot-{slot}.img"

    def active(self) -> str | None:
        return self.store.setting(ACTIVE_KEY)

    def inactive(self) -> str:
        return "b" if self.active() == "a" else "a"

    def image(self, slot: str) -> SlotImage | None:
        raw = self.store.setting(f"firmware.slot.{slot}")
        return None if raw is None else SlotImage.from_json(orjson.loads(raw))

    def install(self, data: bytes, image: SlotImage) -> str:
        """Write `data` into the inactive slot and put it on trial for the next start."""
        slot = self.inactive()
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.path(slot).with_suffix(".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path(slot))
        self.store.save_setting(f"firmware.slot.{slot}", orjson.dumps(image.to_json()).decode())
        self.store.save_setting(TRIAL_KEY, slot)
        return slot

    def verify_slot(self, slot: str) -> str | None:
        """Why `slot` must not run, or None when its image is whole and, if signed, genuine."""
        image = self.image(slot)
        if image is None:
            return f"slot {slot} holds no image"
        try:
            data = self.path(slot).read_bytes()
        except OSError as exc:
            return f"slot {slot} unreadable: {exc.strerror or type(exc).__name__}"
        if hashlib.sha256(data).hexdigest() != image.sha256:
            return f"slot {slot} image changed since it was installed"
        if image.signature is not None:
            root = self._root()
            if root is None:
                return "no manufacturer root to verify the signed image against"
            try:
                # now=None: an image verified at install must boot after its certificate expires
                verify(data, image.signature, image.signing_certificate or "", root, None)
            except FirmwareVerificationError as exc:
                return f"slot {slot}: {exc}"
        return None

    def boot(self) -> BootOutcome:
        """At every start: settle a trial, check the active slot, roll back what fails."""
        trial = self.store.setting(TRIAL_KEY)
        outcome = BootOutcome()
        if trial in SLOTS:
            self.store.delete_setting(TRIAL_KEY)
            image = self.image(trial)
            problem = self.verify_slot(trial)
            if problem is None and image is not None:
                self._activate(trial, image)
                outcome = BootOutcome(installed=image, trial=image)
            else:
                log.error("firmware on trial failed verification; rolling back: %s", problem)
                outcome = BootOutcome(rolled_back=problem, trial=image)
        active = self.active()
        if active in SLOTS:
            problem = self.verify_slot(active)
            if problem is not None:
                log.error("active firmware failed verification: %s", problem)
                other = "b" if active == "a" else "a"
                other_image = self.image(other)
                if other_image is not None and self.verify_slot(other) is None:
                    self._activate(other, other_image)
                else:
                    self.store.delete_setting(ACTIVE_KEY)
                    self.store.delete_setting(VERSION_KEY)
                outcome = BootOutcome(outcome.installed, problem, outcome.trial)
        return outcome

    def _activate(self, slot: str, image: SlotImage) -> None:
        self.store.save_setting(ACTIVE_KEY, slot)
        self.store.save_setting(VERSION_KEY, image.version)
