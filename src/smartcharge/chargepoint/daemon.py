"""`smartcharge chargepoint run`: the charge point as a long-lived process.

The daemon runs for months on a small board, so its process does not load the interactive CLI
framework (Typer, Click, Rich: about 4 MB of memory it would never use); `smartcharge.entry`
routes `chargepoint run` here before anything else is imported. The Typer command of the same
name calls `run` too, so both paths behave the same.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from pathlib import Path


def private_files(data_dir: Path) -> None:
    """R32: what the charger writes (store, logs, firmware, credentials) is readable by its own
    user alone: files made from now on are 0600 / folders 0700, and anything an earlier version
    left readable to others in `data_dir` is tightened once at start."""
    os.umask(0o077)
    if not data_dir.is_dir():
        return
    for path in (data_dir, *data_dir.rglob("*")):
        if path.is_symlink():
            continue
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            path.chmod(mode & 0o700)


def run(config: Path, *, verbose: bool = False) -> int:
    """Load the config and run the charge point until interrupted; 2 for a bad config."""
    from smartcharge import logs
    from smartcharge.chargepoint.app import ChargePointApp
    from smartcharge.chargepoint.config import ConfigError, load_config

    try:
        cfg = load_config(config)
    except ConfigError as exc:
        print(f"error in {config}: {exc}", file=sys.stderr)
        return 2
    private_files(cfg.data_dir)
    logs.setup(cfg.data_dir / "logs", level=logging.DEBUG if verbose else logging.INFO)
    from smartcharge.chargepoint.security.boot_security import StartupError

    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(ChargePointApp(cfg).run())
    except StartupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="smartcharge chargepoint run",
        description="Run the charge point (OCPP 1.6J client, hardware and its control API).",
    )
    parser.add_argument(
        "--config", "-c", type=Path, required=True, help="The charge point's TOML file."
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="Debug logging.")
    args = parser.parse_args(argv)
    return run(args.config, verbose=args.verbose)
