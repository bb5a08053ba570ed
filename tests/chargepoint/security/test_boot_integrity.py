"""Boot integrity (R31) on a temporary copy of the installed smartcharge package."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import smartcharge
from smartcharge.chargepoint.security.boot_integrity import (
    check,
    check_signed_file,
    make_manifest,
    manifest_bytes,
)
from smartcharge.manufacturer.keys import KeyFiles, create_keys, load_private_key
from smartcharge.manufacturer.manifest import sign_manifest
from smartcharge.manufacturer.signing import sign

PACKAGE = Path(smartcharge.__file__).parent


@pytest.fixture
def package(tmp_path: Path) -> Path:
    copy = tmp_path / "site" / "smartcharge"
    shutil.copytree(PACKAGE, copy)
    return copy


def signed(pki: KeyFiles, package: Path) -> tuple[dict[str, object], str, str]:
    manifest = make_manifest(package, "1.2.3")
    sig = sign(
        manifest_bytes(manifest),
        load_private_key(pki.signing_key.read_bytes()),
        pki.signing_cert.read_bytes(),
    )
    return manifest, sig.signature, sig.signing_certificate


def test_manifest_lists_every_source_file_but_no_bytecode(package: Path) -> None:
    (package / "__pycache__").mkdir(exist_ok=True)
    (package / "__pycache__" / "cli.cpython-311.pyc").write_bytes(b"compiled")
    files = make_manifest(package, "1.2.3")["files"]
    assert "cli.py" in files and "chargepoint/security/boot_integrity.py" in files
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in files)
    sources = {p.relative_to(package).as_posix() for p in package.rglob("*.py")}
    assert sources <= set(files)


def test_an_untouched_package_passes(pki: KeyFiles, package: Path) -> None:
    manifest, signature, cert = signed(pki, package)
    (package / "__pycache__").mkdir(exist_ok=True)
    (package / "__pycache__" / "new.cpython-311.pyc").write_bytes(b"regenerated")
    result = check(package, manifest, signature, cert, pki.root_cert.read_bytes())
    assert result.ok, result
    assert result.summary() == "software 1.2.3 intact"


def test_edited_removed_and_added_files_are_reported(ec_pki: KeyFiles, package: Path) -> None:
    manifest, signature, cert = signed(ec_pki, package)
    target = package / "chargepoint" / "link.py"
    target.write_text(target.read_text() + "\n# backdoor\n")
    (package / "regulations" / "peak.py").unlink()
    (package / "chargepoint" / "implant.py").write_text("import os\n")
    result = check(package, manifest, signature, cert, ec_pki.root_cert.read_bytes())
    assert not result.ok
    assert result.changed == ["chargepoint/link.py"]
    assert result.missing == ["regulations/peak.py"]
    assert result.extra == ["chargepoint/implant.py"]
    assert "changed: chargepoint/link.py" in result.summary()


def test_a_manifest_with_a_bad_signature_is_rejected(ec_pki: KeyFiles, package: Path) -> None:
    manifest, signature, cert = signed(ec_pki, package)
    root = ec_pki.root_cert.read_bytes()
    # the attacker edits a file and updates its hash in the manifest
    target = package / "cli.py"
    target.write_text(target.read_text() + "\n# changed\n")
    forged = {**manifest, "files": make_manifest(package, "1.2.3")["files"]}
    result = check(package, forged, signature, cert, root)
    assert not result.ok and "manifest not trusted" in result.problem
    assert "InvalidFirmwareSignature" not in result.problem  # a message, not a class name
    # or signs it with a key of their own
    other = create_keys(package.parent.parent / "other")
    _, other_sig, other_cert = signed(other, package)
    result = check(package, forged, other_sig, other_cert, root)
    assert not result.ok and "not issued by the manufacturer root" in result.problem
    assert not check(package, manifest, "", cert, root).ok


def test_signed_manifest_file_round_trip(ec_pki: KeyFiles, package: Path, tmp_path: Path) -> None:
    out = tmp_path / "boot-manifest.json"
    count = sign_manifest(
        package, "1.2.3", ec_pki.signing_key.read_bytes(), ec_pki.signing_cert.read_bytes(), out
    )
    assert count > 10
    root = ec_pki.root_cert.read_bytes()
    assert check_signed_file(package, out, root).ok
    (package / "extra.py").write_text("")
    assert check_signed_file(package, out, root).extra == ["extra.py"]
    out.write_text(out.read_text().replace('"1.2.3"', '"9.9.9"'))
    assert "not trusted" in check_signed_file(package, out, root).problem
    assert not check_signed_file(package, tmp_path / "missing.json", root).ok
    with pytest.raises(ValueError, match="outside"):
        sign_manifest(
            package,
            "1",
            ec_pki.signing_key.read_bytes(),
            ec_pki.signing_cert.read_bytes(),
            package / "m.json",
        )
