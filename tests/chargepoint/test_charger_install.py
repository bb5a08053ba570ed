"""The charger-only install (R36: no unused services): the base package pulls in no web, database
or statistics stack, and the charger's own process never imports one."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "asyncpg", "scipy", "numpy")


def _base_requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [
        r.split(";")[0].split("[")[0].split(">")[0].split("<")[0].split("=")[0].strip()
        for r in project["dependencies"]
    ]


def test_R36_the_base_install_has_no_web_database_or_statistics_stack() -> None:
    base = {name.lower() for name in _base_requirements()}
    assert base.isdisjoint(HEAVY), base & set(HEAVY)
    assert "pymodbus" in base and "pyserial" in base  # the charger's own drivers


def test_the_platform_and_compliance_extras_carry_them_and_dev_has_all() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    platform = " ".join(extras["platform"]).lower()
    compliance = " ".join(extras["compliance"]).lower()
    assert "fastapi" in platform and "sqlalchemy" in platform and "asyncpg" in platform
    assert "scipy" in compliance and "numpy" in compliance
    assert "smartcharge[platform,compliance]" in extras["dev"]


@pytest.mark.parametrize(
    "modules",
    [
        # what `smartcharge chargepoint run` loads, with the real device drivers
        "smartcharge.chargepoint.daemon, smartcharge.chargepoint.app, "
        "smartcharge.chargepoint.hardware.devices.build",
        # the installer's tools
        "smartcharge.chargepoint.hardware.probe, smartcharge.chargepoint.hardware.cli",
    ],
)
def test_R36_the_charger_process_imports_none_of_them(modules: str) -> None:
    code = (
        "import sys, importlib\n"
        f"for m in {modules!r}.split(', '):\n"
        "    importlib.import_module(m)\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    loaded = {name.split(".")[0] for name in out}
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_a_charger_on_devices_loads_no_http_stack_until_it_transfers_a_file() -> None:
    """Memory: aiohttp (about 15 MB) is loaded for the simulator's control API, the owner API or
    a file transfer, never by a charger on its devices that does none of them."""
    code = (
        "import sys\n"
        "import smartcharge.chargepoint.daemon, smartcharge.chargepoint.app\n"
        "import smartcharge.chargepoint.hardware.devices.build\n"
        "from smartcharge.chargepoint.hardware import choose\n"
        "print('aiohttp' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout.strip()
    assert out == "False"


def test_a_charger_on_devices_loads_no_cryptography_until_it_handles_a_certificate() -> None:
    """Memory: cryptography (about 10 MB) is loaded when a certificate, key or signature is
    first handled (security/crypto.py), not by importing the charger."""
    code = (
        "import sys\n"
        "import smartcharge.chargepoint.daemon, smartcharge.chargepoint.app\n"
        "import smartcharge.chargepoint.hardware.devices.build\n"
        "from smartcharge.chargepoint.security import certificates\n"
        "print('cryptography' in sys.modules)\n"
        "try:\n"
        "    certificates.load_one('not a certificate')\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, 'cryptography' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    assert out == ["False", "CertificateInvalid", "True"]
