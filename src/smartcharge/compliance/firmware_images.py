"""Firmware images of the charger under test (R29 over `--listen`).

The suite cannot make another make's images, so its maker gives them:

- `--firmware-signed IMAGE`: an image signed by the manufacturer, with its signature (base64) in
  `IMAGE.sig` and the signing certificate (PEM) in `IMAGE.pem` beside it; it must install.
- `--firmware-unsigned IMAGE`: an image of the charger's own format, without a signature, sent
  by plain UpdateFirmware; it must not be installed.
- `--firmware-foreign-signer IMAGE`: an image signed by someone the manufacturer never
  certified (`IMAGE.sig` and `IMAGE.pem` beside it); without those files the suite signs IMAGE
  with a key and root of its own. It must be refused. With only `--firmware-signed`, the suite
  re-signs that image with its own key for this attempt.

Each may carry the version it installs as in `IMAGE.version` (one line), so that a boot into it
is recognised as well as an Installed status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from smartcharge.manufacturer import keys, signing

MAX_IMAGE_BYTES = 256 * 1024 * 1024


class FirmwareImageError(ValueError):
    """A firmware option names something the suite cannot use; the message says what."""


@dataclass(frozen=True)
class FirmwareImage:
    data: bytes
    version: str | None = None


@dataclass(frozen=True)
class FirmwareImages:
    signed: tuple[FirmwareImage, signing.Signature] | None = None
    unsigned: FirmwareImage | None = None
    foreign: tuple[FirmwareImage, signing.Signature] | None = None
    foreign_path: Path | None = None

    @property
    def foreign_signer(self) -> tuple[FirmwareImage, signing.Signature] | None:
        """The image signed by an unknown signer: given, or the signed image re-signed."""
        if self.foreign is not None:
            return self.foreign
        if self.signed is not None:
            image = self.signed[0]
            return image, rogue_signature(image.data, datetime.now().astimezone())
        return None


def rogue_signature(data: bytes, now: datetime) -> signing.Signature:
    """`data` signed by a signer under a root no manufacturer made (valid at `now`)."""
    rogue_key = keys.new_key("ecdsa")
    root = keys.make_root(keys.new_key("ecdsa"), "Rogue", now)
    # The signing certificate is not even signed by the root's own key: no chain verifies.
    signer = keys.make_signing_cert(rogue_key, root, keys.new_key("ecdsa"), now)
    return signing.sign(data, rogue_key, keys.cert_pem(signer))


def _image(path: Path, option: str) -> FirmwareImage:
    if not path.is_file():
        raise FirmwareImageError(f"{option}: {path} is not a file")
    size = path.stat().st_size
    if not 0 < size <= MAX_IMAGE_BYTES:
        raise FirmwareImageError(f"{option}: {path} is empty or over {MAX_IMAGE_BYTES} bytes")
    version_file = path.with_name(path.name + ".version")
    version = version_file.read_text().strip() if version_file.is_file() else None
    return FirmwareImage(path.read_bytes(), version or None)


def _signature(path: Path, option: str) -> signing.Signature | None:
    sig, pem = path.with_name(path.name + ".sig"), path.with_name(path.name + ".pem")
    if not sig.is_file() and not pem.is_file():
        return None
    if not (sig.is_file() and pem.is_file()):
        raise FirmwareImageError(f"{option}: give both {sig.name} and {pem.name}, or neither")
    text, cert = sig.read_text().strip(), pem.read_text()
    if not text or "BEGIN CERTIFICATE" not in cert:
        raise FirmwareImageError(f"{option}: {sig.name} is empty or {pem.name} is not a PEM")
    return signing.Signature(text, cert)


def load(
    signed: Path | None = None, unsigned: Path | None = None, foreign: Path | None = None
) -> FirmwareImages | None:
    """The images the options name (None when none is given); FirmwareImageError if unusable."""
    if signed is None and unsigned is None and foreign is None:
        return None
    signed_pair = None
    if signed is not None:
        sig = _signature(signed, "--firmware-signed")
        if sig is None:
            raise FirmwareImageError(
                f"--firmware-signed: {signed.name}.sig and {signed.name}.pem must be beside it"
            )
        signed_pair = (_image(signed, "--firmware-signed"), sig)
    foreign_pair = None
    if foreign is not None:
        image = _image(foreign, "--firmware-foreign-signer")
        sig = _signature(foreign, "--firmware-foreign-signer")
        foreign_pair = (image, sig or rogue_signature(image.data, datetime.now().astimezone()))
    return FirmwareImages(
        signed=signed_pair,
        unsigned=_image(unsigned, "--firmware-unsigned") if unsigned is not None else None,
        foreign=foreign_pair,
        foreign_path=foreign,
    )
