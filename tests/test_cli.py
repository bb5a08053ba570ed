"""The `smartcharge` CLI as a user runs it: real processes, real files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from smartcharge import __version__


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "smartcharge", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"COLUMNS": "250", "PATH": "/usr/bin:/bin"},
    )


def test_version() -> None:
    out = run("version")
    assert out.returncode == 0 and out.stdout.strip() == __version__


def test_demo_charges_simulated_cars() -> None:
    # A Saturday (default hours all day) and no random delay: the cars charge at once.
    saturday = "2026-06-06T12:00:00+0000"
    out = run(
        "demo",
        "--chargers",
        "1",
        "--duration",
        "4",
        "--speed",
        "30",
        "--start",
        saturday,
        "--random-delay-max",
        "0",
    )
    assert out.returncode == 0, out.stderr
    assert "Charging" in out.stdout
    assert "1 connected" in out.stdout


def test_demo_plans_a_departure_under_an_agile_like_tariff_and_charges_now() -> None:
    """Issue 13 item 7: the first charger's plan uses the Agile-like prices the demo replays
    from its local fixture (nothing leaves the machine); the second charges now."""
    saturday = "2026-06-06T12:00:00+0000"
    out = run("demo", "--chargers", "2", "--duration", "4", "--speed", "30", "--start", saturday)
    assert out.returncode == 0, out.stderr
    assert "demo-01: ready by 07:00 under an Agile-like tariff." in out.stdout
    promise = out.stdout.split("Agile-like tariff. ", 1)[1].splitlines()[0]
    assert promise.startswith(("Expected 30 kWh by ", "Will not be ready by 07:00")), promise
    assert "prices unknown" not in promise  # every half-hour priced by the replay
    assert "demo-02: charge now" in out.stdout


def test_demo_on_the_device_drivers_charges_through_modbus() -> None:
    # The chargers run their real drivers against simulated meters and EVSE-DIN boards.
    out = run(
        "demo", "--chargers", "1", "--duration", "5", "--speed", "30",
        "--start", "2026-06-06T12:00:00+0000", "--random-delay-max", "0", "--port", "0",
        "--hardware", "devices",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "Charging" in out.stdout and "1 connected" in out.stdout
    bad = run("demo", "--hardware", "gpio")
    assert bad.returncode == 2 and "--hardware" in bad.stderr


def test_demo_shows_the_uk_rules() -> None:
    # A Monday at 17:00 UK time (peak): the cars wait for the default charging hours.
    out = run("demo", "--chargers", "1", "--duration", "3", "--start", "2026-06-01T16:00:00+0000")
    assert out.returncode == 0, out.stderr
    assert "waiting for the default charging hours" in out.stdout


def test_bad_config_names_the_key_and_starts_nothing(tmp_path: Path) -> None:
    cfg = tmp_path / "cp.toml"
    cfg.write_text(
        'identity = "CP1"\ncsms_url = "ws://127.0.0.1:9/ocpp"\ndata_dir = "data"\n'
        "[security]\nprofile = 7\n"
    )
    out = run("chargepoint", "run", "--config", str(cfg))
    assert out.returncode == 2
    assert "security.profile" in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "data").exists()  # nothing was created


def test_missing_config_file(tmp_path: Path) -> None:
    out = run("chargepoint", "run", "--config", str(tmp_path / "nope.toml"))
    assert out.returncode == 2
    assert "nope.toml" in out.stderr and "Traceback" not in out.stderr


def test_bad_flag_is_refused() -> None:
    out = run("demo", "--chargers", "0")
    assert out.returncode == 2
    assert "--chargers" in out.stderr
