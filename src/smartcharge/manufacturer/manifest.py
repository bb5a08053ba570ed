"""Signing the boot manifest of a release (R31): what the charger checks at every start."""

from __future__ import annotations

from pathlib import Path

from smartcharge.chargepoint.security.boot_integrity import (
    make_manifest,
    manifest_bytes,
    signed_manifest_bytes,
)
from smartcharge.chargepoint.security.files import write_private
from smartcharge.manufacturer.keys import load_private_key
from smartcharge.manufacturer.signing import sign


def sign_manifest(
    package_dir: Path,
    version: str,
    key_pem: bytes,
    cert_pem: bytes,
    out: Path,
    *,
    passphrase: bytes | None = None,
) -> int:
    """Hash every file of `package_dir`, sign the manifest, write it to `out` (outside
    `package_dir`); returns the number of files listed."""
    if out.resolve().is_relative_to(package_dir.resolve()):
        raise ValueError("the signed manifest must be written outside the folder it describes")
    manifest = make_manifest(package_dir, version)
    signature = sign(manifest_bytes(manifest), load_private_key(key_pem, passphrase), cert_pem)
    write_private(out, signed_manifest_bytes(manifest, signature.signature, cert_pem.decode()))
    out.chmod(0o644)  # public: it holds hashes, a signature and a certificate
    return len(manifest["files"])
