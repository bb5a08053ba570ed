"""`smartcharge firmware keys | sign | manifest` as a manufacturer runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from smartcharge.chargepoint.security import firmware_image
from smartcharge.chargepoint.security.boot_integrity import check_signed_file
from smartcharge.chargepoint.security.firmware_verify import verify


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "smartcharge", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", **(env or {})},
    )


def test_keys_then_sign_then_the_charger_verifies(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    made = run("firmware", "keys", "--out", str(keys), "--organization", "Acme", "--model", "AC-7")
    assert made.returncode == 0, made.stderr
    image = tmp_path / "fw.img"
    image.write_bytes(b"new firmware " * 500)
    signed = run(
        "firmware", "sign",
        "--key", str(keys / "firmware-signing.key"),
        "--cert", str(keys / "firmware-signing.pem"),
        "--image", str(image),
        "--out", str(tmp_path / "release"),
        "--model-key", str(keys / "model-AC-7.key"),
        "--model", "AC-7",
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    info = json.loads((tmp_path / "release" / "firmware.json").read_text())
    published = (tmp_path / "release" / "firmware.bin").read_bytes()
    root = (keys / "manufacturer-root.pem").read_text()
    verify(published, info["signature"], info["signingCertificate"], root, datetime.now(UTC))
    model_key = (keys / "model-AC-7.key").read_bytes()
    assert firmware_image.decrypt(published, model_key, "AC-7") == image.read_bytes()


def test_encrypted_keys_need_their_passphrase(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    env = {"FW_PASS": "a long passphrase for the test"}
    made = run("firmware", "keys", "--out", str(keys), "--passphrase-env", "FW_PASS", env=env)
    assert made.returncode == 0, made.stderr
    image = tmp_path / "fw.img"
    image.write_bytes(b"x" * 100)
    args = (
        "firmware", "sign",
        "--key", str(keys / "firmware-signing.key"),
        "--cert", str(keys / "firmware-signing.pem"),
        "--image", str(image),
        "--out", str(tmp_path / "release"),
    )  # fmt: skip
    refused = run(*args)
    assert refused.returncode == 2 and "passphrase" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert run(*args, "--passphrase-env", "FW_PASS", env=env).returncode == 0


def test_sign_reports_a_missing_image_clearly(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    assert run("firmware", "keys", "--out", str(keys)).returncode == 0
    done = run(
        "firmware", "sign",
        "--key", str(keys / "firmware-signing.key"),
        "--cert", str(keys / "firmware-signing.pem"),
        "--image", str(tmp_path / "nope.img"),
        "--out", str(tmp_path / "release"),
    )  # fmt: skip
    assert done.returncode == 2 and "nope.img" in done.stderr and "Traceback" not in done.stderr


def test_manifest_signs_the_package_for_the_boot_check(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    assert run("firmware", "keys", "--out", str(keys)).returncode == 0
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "a.py").write_text("A = 1\n")
    (package / "sub" / "b.py").write_text("B = 2\n")
    out = tmp_path / "boot-manifest.json"
    done = run(
        "firmware", "manifest",
        "--key", str(keys / "firmware-signing.key"),
        "--cert", str(keys / "firmware-signing.pem"),
        "--package", str(package),
        "--version", "2.0.0",
        "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    root = (keys / "manufacturer-root.pem").read_bytes()
    assert check_signed_file(package, out, root).ok
    (package / "a.py").write_text("A = 2\n")
    assert check_signed_file(package, out, root).changed == ["a.py"]
