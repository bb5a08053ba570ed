"""`smartcharge chargepoint provision` as an operator runs it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from smartcharge.chargepoint.security.provisioning import check_password, open_vault


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "smartcharge", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )


def test_provision_prints_the_password_once_on_stdout_only(tmp_path: Path) -> None:
    out = tmp_path / "CP-042"
    done = run("chargepoint", "provision", "--identity", "CP-042", "--out", str(out))
    assert done.returncode == 0, done.stderr
    password = done.stdout.strip()
    assert done.stdout == password + "\n"
    check_password(password, ["CP-042"])
    assert password not in done.stderr and "shown only this once" in done.stderr
    assert open_vault(out).get("basic_auth_password").decode() == password
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o700


def test_provision_refuses_an_existing_folder_and_bad_flags(tmp_path: Path) -> None:
    out = tmp_path / "cp"
    assert run("chargepoint", "provision", "--identity", "CP-1", "--out", str(out)).returncode == 0
    again = run("chargepoint", "provision", "--identity", "CP-1", "--out", str(out))
    assert again.returncode == 2 and "never re-provision" in again.stderr
    assert again.stdout == ""
    bad = run(
        "chargepoint",
        "provision",
        "--identity",
        "CP-2",
        "--out",
        str(tmp_path / "x"),
        "--key-type",
        "dsa",
    )
    assert bad.returncode == 2 and "--key-type" in bad.stderr and "Traceback" not in bad.stderr
