"""Boot integrity (R31): the installed software must be exactly what the manufacturer signed.

At build time `make_manifest(package_dir, version)` lists the SHA-256 of every file of the
installed `smartcharge` package (compiled `__pycache__` files excepted: Python regenerates them),
and `sign_manifest` signs its canonical bytes with the firmware-signing key (the same key and
formats as firmware images). At start the charger calls `check(...)`: the signature must verify
against the installed manufacturer root, and every file must match; the result lists the changed,
missing and extra files.

What the charger does on a failure (record BootIntegrityFailed, tell the owner, connect only to
report it, take no remote commands) is the composition root's business; this module only decides.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from smartcharge.chargepoint.security.firmware_verify import FirmwareVerificationError, verify

MANIFEST_FORMAT = "smartcharge-boot-manifest"
SIGNED_FORMAT = "smartcharge-signed-boot-manifest"
_SKIP_DIRS = frozenset({"__pycache__"})
_SKIP_SUFFIXES = (".pyc", ".pyo")


def _hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def installed_files(root_dir: Path) -> dict[str, str]:
    """{relative POSIX path: sha256} of every file under root_dir; symlinks count as files
    (hashed as their target text, so a planted link is seen as extra or changed)."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root_dir):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        base = Path(dirpath)
        for name in sorted(filenames):
            if name.endswith(_SKIP_SUFFIXES):
                continue
            path = base / name
            rel = path.relative_to(root_dir).as_posix()
            if path.is_symlink():
                out[rel] = "symlink:" + hashlib.sha256(os.readlink(path).encode()).hexdigest()
            else:
                out[rel] = _hash(path)
    return out


def make_manifest(root_dir: Path, version: str) -> dict[str, Any]:
    if not root_dir.is_dir():
        raise NotADirectoryError(f"{root_dir} is not a folder")
    return {
        "format": MANIFEST_FORMAT,
        "version": version,
        "hash": "sha256",
        "files": installed_files(root_dir),
    }


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The canonical bytes that are signed: sorted keys, compact JSON."""
    return orjson.dumps(manifest, option=orjson.OPT_SORT_KEYS)


@dataclass(frozen=True)
class IntegrityResult:
    ok: bool
    version: str | None = None
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    problem: str = ""  # set when the manifest itself is not trusted

    def __bool__(self) -> bool:
        return self.ok

    def summary(self, limit: int = 255) -> str:
        """One line for the security log's techInfo."""
        if self.ok:
            return f"software {self.version} intact"
        if self.problem:
            return self.problem[:limit]
        parts = [
            f"{label}: {', '.join(names)}"
            for label, names in (
                ("changed", self.changed),
                ("missing", self.missing),
                ("extra", self.extra),
            )
            if names
        ]
        return "; ".join(parts)[:limit]


def check(
    root_dir: Path,
    manifest: dict[str, Any],
    signature: str,
    cert: str | bytes,
    root_pem: str | bytes,
) -> IntegrityResult:
    """Whether the files under root_dir are exactly the signed manifest's.

    The signing certificate's validity period is not checked here: the software was verified when
    it was installed, and a charger must not refuse to boot the day its certificate expires. The
    chain to the manufacturer root and the key usage are checked.
    """
    try:
        verify(manifest_bytes(manifest), signature, cert, root_pem, None)
    except FirmwareVerificationError as exc:
        return IntegrityResult(False, problem=f"manifest not trusted: {exc}")
    files = manifest.get("files")
    if manifest.get("format") != MANIFEST_FORMAT or not isinstance(files, dict):
        return IntegrityResult(False, problem="not a smartcharge boot manifest")
    actual = installed_files(root_dir)
    changed = sorted(name for name in files.keys() & actual.keys() if files[name] != actual[name])
    missing = sorted(files.keys() - actual.keys())
    extra = sorted(actual.keys() - files.keys())
    version = str(manifest.get("version"))
    return IntegrityResult(not (changed or missing or extra), version, changed, missing, extra)


def signed_manifest_bytes(manifest: dict[str, Any], signature: str, cert_pem: str) -> bytes:
    """The file that ships with a release (outside the package folder it describes)."""
    return orjson.dumps(
        {
            "format": SIGNED_FORMAT,
            "manifest": manifest,
            "signature": signature,
            "signingCertificate": cert_pem,
        },
        option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS,
    )


def check_signed_file(root_dir: Path, signed_file: Path, root_pem: str | bytes) -> IntegrityResult:
    """`check` against a file written with `signed_manifest_bytes`; a missing or unreadable file
    is a failed check, never an exception."""
    try:
        doc = orjson.loads(signed_file.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        return IntegrityResult(False, problem=f"no readable boot manifest: {exc}")
    if not isinstance(doc, dict) or doc.get("format") != SIGNED_FORMAT:
        return IntegrityResult(False, problem="not a signed smartcharge boot manifest")
    manifest, signature, cert = (
        doc.get("manifest"),
        doc.get("signature"),
        doc.get("signingCertificate"),
    )
    if not (isinstance(manifest, dict) and isinstance(signature, str) and isinstance(cert, str)):
        return IntegrityResult(False, problem="not a signed smartcharge boot manifest")
    return check(root_dir, manifest, signature, cert, root_pem)
