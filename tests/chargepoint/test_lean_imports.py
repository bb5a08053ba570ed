"""Issue 12 (a charger under 45 MB): the charger's process imports no package it never calls,
and deferring one changes nothing for whoever does call it."""

from __future__ import annotations

import subprocess
import sys

# What `smartcharge chargepoint run` imports (entry.py routes it to the daemon), with the real
# device drivers and the hardware chooser, besides the composition root.
CHARGER = (
    "smartcharge.entry",
    "smartcharge.chargepoint.daemon",
    "smartcharge.logs",
    "smartcharge.chargepoint.config",
    "smartcharge.chargepoint.app",
    "smartcharge.chargepoint.hardware.choose",
    "smartcharge.chargepoint.hardware.devices.build",
)
NEVER = ("jsonschema", "pydantic")


def _run(code: str) -> list[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()


def test_the_charger_imports_no_jsonschema_nor_pydantic() -> None:
    loaded = _run(
        "import importlib, sys\n"
        f"for name in {CHARGER!r}:\n"
        "    importlib.import_module(name)\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    assert "ocpp" in loaded  # the import graph was really walked
    assert set(loaded).isdisjoint(NEVER), sorted(set(loaded) & set(NEVER))


def test_the_ocpp_package_still_validates_with_jsonschema_once_it_is_used() -> None:
    """The ocpp package's own validation (the tests' independent peer uses it) behaves as it does
    without the charger: the real jsonschema is loaded on first use and its errors are mapped
    to the same OCPP errors."""
    out = _run(
        "import sys\n"
        "import smartcharge.chargepoint.app\n"
        "from ocpp.messages import Call, _validate_payload\n"
        "from ocpp.exceptions import FormatViolationError, TypeConstraintViolationError\n"
        "print('jsonschema' in sys.modules)\n"
        "good = {'chargePointModel': 'm', 'chargePointVendor': 'v'}\n"
        "_validate_payload(Call('1', 'BootNotification', good), '1.6')\n"
        "print('jsonschema' in sys.modules, type(sys.modules['jsonschema']).__name__)\n"
        "for bad, error in (\n"
        "    ({**good, 'chargePointModel': 5}, TypeConstraintViolationError),\n"
        "    ({**good, 'extra': 1}, FormatViolationError),\n"
        "):\n"
        "    try:\n"
        "        _validate_payload(Call('2', 'BootNotification', bad), '1.6')\n"
        "    except error:\n"
        "        print('refused')\n"
    )
    assert out == ["False", "True", "module", "refused", "refused"]


def test_deferring_is_a_no_op_once_jsonschema_is_loaded() -> None:
    out = _run(
        "import sys, jsonschema\n"
        "real = jsonschema.Draft4Validator\n"
        "import smartcharge.chargepoint\n"
        "import ocpp.messages\n"
        "print(ocpp.messages.Draft4Validator is real)\n"
    )
    assert out == ["True"]
