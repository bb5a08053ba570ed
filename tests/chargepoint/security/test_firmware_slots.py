"""A/B firmware slots on real files and a real SQLite store: a trial that fails its check at
boot is rolled back, a good one becomes active, a damaged active slot falls back (R29)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from smartcharge.chargepoint.firmware_format import make_image
from smartcharge.chargepoint.firmware_slots import FirmwareSlots, SlotImage
from smartcharge.chargepoint.store import Store
from smartcharge.manufacturer.keys import KeyFiles, load_private_key
from smartcharge.manufacturer.signing import sign


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "cp.sqlite")
    yield s  # type: ignore[misc]
    s.close()


def image(version: str, pki: KeyFiles | None = None) -> tuple[bytes, SlotImage]:
    data = make_image(version)
    digest = hashlib.sha256(data).hexdigest()
    if pki is None:
        return data, SlotImage(version, digest)
    sig = sign(data, load_private_key(pki.signing_key.read_bytes()), pki.signing_cert.read_bytes())
    return data, SlotImage(version, digest, sig.signature, sig.signing_certificate, 5)


def test_install_switch_and_roll_back(store: Store, tmp_path: Path, ec_pki: KeyFiles) -> None:
    slots = FirmwareSlots(tmp_path / "fw", store, lambda: ec_pki.root_cert.read_bytes())
    assert slots.active() is None and slots.inactive() == "a"
    first = slots.install(*image("1.0", ec_pki))
    assert first == "a" and slots.active() is None  # nothing switches before the reboot
    outcome = slots.boot()
    assert outcome.installed is not None and outcome.installed.version == "1.0"
    assert slots.active() == "a" and store.setting("firmware.version") == "1.0"
    assert slots.boot().installed is None  # a trial is settled once

    # A second image goes to the other slot; it is damaged before the reboot: rolled back.
    second = slots.install(*image("2.0", ec_pki))
    assert second == "b"
    slots.path("b").write_bytes(slots.path("b").read_bytes() + b"!")
    outcome = slots.boot()
    assert outcome.installed is None and outcome.trial is not None
    assert outcome.rolled_back == "slot b image changed since it was installed"
    assert slots.active() == "a" and store.setting("firmware.version") == "1.0"

    # A slot whose recorded signature does not match its bytes never runs either.
    _, meta = image("3.0", ec_pki)
    slots.install(
        make_image("3.1"),
        SlotImage(
            "3.1",
            hashlib.sha256(make_image("3.1")).hexdigest(),
            meta.signature,
            meta.signing_certificate,
        ),
    )
    outcome = slots.boot()
    assert outcome.rolled_back is not None and "signature does not match" in outcome.rolled_back
    assert slots.active() == "a"


def test_a_damaged_active_slot_falls_back_to_the_other_then_the_factory_image(
    store: Store, tmp_path: Path
) -> None:
    slots = FirmwareSlots(tmp_path / "fw", store, lambda: None)
    slots.install(*image("1.0"))
    slots.boot()
    slots.install(*image("2.0"))
    slots.boot()
    assert slots.active() == "b"
    slots.path("b").unlink()
    outcome = slots.boot()
    assert outcome.rolled_back is not None and "unreadable" in outcome.rolled_back
    assert slots.active() == "a" and store.setting("firmware.version") == "1.0"
    slots.path("a").write_bytes(b"junk")
    slots.boot()
    assert slots.active() is None and store.setting("firmware.version") is None  # factory


def test_a_signed_slot_without_a_root_does_not_boot(
    store: Store, tmp_path: Path, ec_pki: KeyFiles
) -> None:
    slots = FirmwareSlots(tmp_path / "fw", store, lambda: None)
    slots.install(*image("1.0", ec_pki))
    outcome = slots.boot()
    assert outcome.rolled_back == "no manufacturer root to verify the signed image against"
    assert slots.active() is None
