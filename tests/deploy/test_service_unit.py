"""R36 (least privilege, no unused services): the charger's systemd unit as shipped in deploy/,
rated by systemd's own `systemd-analyze security --offline=true` (2.0 or lower: "OK")."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

UNIT = Path(__file__).resolve().parents[2] / "deploy" / "smartcharge-chargepoint.service"


def _settings() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_R36_the_service_unit_rates_2_or_lower_in_systemd_analyze_security() -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze is not None, "systemd-analyze is installed by ./run test (Debian's systemd)"
    out = subprocess.run(
        [analyze, "security", "--offline=true", "--no-pager", str(UNIT)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    ).stdout
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", out)
    assert match is not None, out[-2000:]
    assert float(match.group(1)) <= 2.0, out


def test_R36_its_own_user_no_privileges_state_under_var_lib_logs_to_the_journal() -> None:
    s = _settings()
    assert s["DynamicUser"] == ["yes"]
    assert s["NoNewPrivileges"] == ["yes"]
    assert s["CapabilityBoundingSet"] == [""]  # the empty capability set
    assert s["ProtectSystem"] == ["strict"]
    assert s["StateDirectory"] == ["smartcharge"]  # /var/lib/smartcharge
    assert s["StandardOutput"] == ["journal"] and s["StandardError"] == ["journal"]
    assert s["DevicePolicy"] == ["closed"]  # only the device nodes it lists:
    assert {d.split()[0] for d in s["DeviceAllow"]} == {
        "char-ttyUSB",
        "char-ttyAMA",
        "char-ttyS",
        "char-gpiochip",
    }
    assert "chargepoint run --config /etc/smartcharge/cp.toml" in s["ExecStart"][0]
