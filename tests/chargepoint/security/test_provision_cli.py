"""`smartcharge chargepoint provision` as an operator runs it."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

from smartcharge.chargepoint.security.provisioning import check_password, open_vault
from smartcharge.chargepoint.security.setup_code import SETUP_CODE_FILE, setup_code_matches


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
    password, setup_code = done.stdout.split()  # the second: the owner's, for the label
    assert done.stdout == f"{password}\n{setup_code}\n"
    check_password(password, ["CP-042"])
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", setup_code)
    stored = (out / SETUP_CODE_FILE).read_text()
    assert setup_code not in stored and setup_code_matches(stored, setup_code.lower())
    assert setup_code not in done.stderr
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
