"""The `smartcharge` console entry point.

`smartcharge chargepoint run` goes straight to the lean daemon (see chargepoint/daemon.py);
everything else is the Typer CLI in cli.py.
"""

from __future__ import annotations

import sys


def main() -> None:
    argv = sys.argv[1:]
    if argv[:2] == ["chargepoint", "run"] and not {"--help", "-h"} & set(argv):
        from smartcharge.chargepoint.daemon import main as daemon

        raise SystemExit(daemon(argv[2:]))
    from smartcharge.cli import app

    app(prog_name="smartcharge")
