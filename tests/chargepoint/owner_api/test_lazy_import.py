"""A charger without the owner API does not load it (memory on a small board; R36: it listens on
nothing its config does not enable)."""

from __future__ import annotations

import subprocess
import sys


def test_the_daemon_does_not_import_the_owner_api_unless_enabled() -> None:
    code = (
        "import sys, smartcharge.chargepoint.app, smartcharge.chargepoint.daemon\n"
        "loaded = [m for m in sys.modules if m.startswith('smartcharge.chargepoint.owner_api')"
        " or m.startswith('argon2')]\n"
        "print(loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
