"""How much of the charge point's RSS is code it imports: RSS after each group of imports.

    .venv/bin/python bench/import_memory.py [--modules REPORT.modules]

In a fresh interpreter, imports the charge point's dependencies group by group, in the order the
charge point itself first imports them, and prints the RSS after each group: what that group
added, with whatever it pulls in that was not loaded yet. No tracing is involved, so the figures
include the shared libraries each group maps and what C code allocates at import. With
`--modules` (written by `traced_chargepoint.py` next to its report) a last group loads every
other module the running charge point had loaded, such as those imported lazily at run time;
what is left between that total and the benchmark's peak RSS is run-time state, not code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

# (label, modules), in the order `python -m smartcharge chargepoint run` first imports them.
GROUPS: list[tuple[str, list[str]]] = [
    ("asyncio, ssl, socket (cli.py:5)", ["asyncio", "ssl"]),
    ("typer, click (cli.py:10)", ["typer"]),
    ("rich (cli.py:11)", ["rich.console"]),
    ("orjson, logging.handlers (logs.py)", ["orjson", "logging.handlers", "smartcharge.logs"]),
    (
        "pydantic, pydantic-core (typer's parameter adapters, then config.py:23)",
        ["pydantic", "pydantic.main", "pydantic.fields", "pydantic.type_adapter"],
    ),
    (
        "jsonschema, referencing, rpds, attrs (ocpp/messages.py:13; smartcharge never calls it)",
        ["jsonschema"],
    ),
    ("ocpp (configuration_keys.py:28, ocpp/rpc.py:30)", ["ocpp.v16", "ocpp.v16.enums"]),
    ("aiohttp client (transfer.py:14)", ["aiohttp"]),
    ("aiohttp.web server (control_api.py:19)", ["aiohttp.web"]),
    ("websockets (link.py:24, ocpp/rpc.py:38)", ["websockets.asyncio.client"]),
    ("fastjsonschema (ocpp/schemas.py:30)", ["fastjsonschema"]),
    ("sqlite3 (store.py:14)", ["sqlite3"]),
    ("smartcharge's own modules", ["smartcharge.cli", "smartcharge.chargepoint.app"]),
]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no /proc/self/status: this tool needs Linux")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=Path, help="module list from traced_chargepoint.py")
    args = parser.parse_args()
    groups = list(GROUPS)
    if args.modules:
        names = args.modules.read_text().split()
        groups.append(("everything else the running charge point loaded", names))
    start = before = rss_mb()
    print(f"{'RSS, MB':>8} {'added':>7} {'modules':>7}  group")
    print(f"{start:8.1f} {'':>7} {len(sys.modules):7d}  bare interpreter")
    for label, modules in groups:
        loaded = len(sys.modules)
        for name in modules:
            if name not in sys.modules and name != "__main__":
                try:
                    importlib.import_module(name)
                except Exception as exc:  # a platform-specific module of some package
                    print(f"  (could not import {name}: {type(exc).__name__})")
        now = rss_mb()
        print(f"{now:8.1f} {now - before:+7.1f} {len(sys.modules) - loaded:+7d}  {label}")
        before = now
    print(f"{before:8.1f} {before - start:+7.1f} {len(sys.modules):7d}  total: code and its data")


if __name__ == "__main__":
    main()
