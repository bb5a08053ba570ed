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

import sys


def rss_mb() -> float:
    with open("/proc/self/status") as status:  # Linux only
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


BARE_MB, BARE_MODULES = rss_mb(), len(sys.modules)  # before this tool imports anything

import argparse  # noqa: E402
import importlib  # noqa: E402
from pathlib import Path  # noqa: E402

# (label, modules), in the order `python -m smartcharge chargepoint run` (the lean daemon entry,
# smartcharge/chargepoint/daemon.py) first imports them; "where" names the first importer. Then
# what the charger loads only on use.
GROUPS: list[tuple[str, list[str]]] = [
    ("asyncio, ssl, socket (daemon.py:12)", ["asyncio", "ssl"]),
    ("orjson, logging.handlers (logs.py:11-17)", ["orjson", "logging.handlers"]),
    (
        "ocpp without jsonschema (chargepoint/__init__.py: ocpp_import.py defers it)",
        ["smartcharge.chargepoint", "ocpp.v16", "ocpp.v16.enums"],
    ),
    ("websockets (link.py:24; also ocpp/rpc.py:38)", ["websockets.asyncio.client"]),
    ("fastjsonschema (ocpp/schemas.py:30)", ["fastjsonschema"]),
    ("sqlite3 (store.py:14)", ["sqlite3"]),
    (
        "smartcharge's own modules",
        [
            "smartcharge.chargepoint.daemon",
            "smartcharge.logs",
            "smartcharge.chargepoint.config",
            "smartcharge.chargepoint.app",
            "smartcharge.chargepoint.hardware.devices.build",
        ],
    ),
    # Below: loaded on use only, not by a charger on its devices at start.
    (
        "on a UK-extension message that is not plain: pydantic (uk_pydantic.py)",
        ["smartcharge.ocpp.uk_pydantic", "pydantic.main", "pydantic.fields"],
    ),
    ("on a file transfer: aiohttp client (transfer.py)", ["aiohttp"]),
    ("with the owner API or the simulator's control API: aiohttp.web", ["aiohttp.web"]),
    (
        "on a certificate, key or signature: cryptography (security/crypto.py)",
        ["cryptography.x509"],
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=Path, help="module list from traced_chargepoint.py")
    args = parser.parse_args()
    groups = list(GROUPS)
    if args.modules:
        names = args.modules.read_text().split()
        groups.append(("everything else the running charge point loaded", names))
    start = BARE_MB
    print(f"{'RSS, MB':>8} {'added':>7} {'modules':>7}  group")
    print(f"{start:8.1f} {'':>7} {BARE_MODULES:7d}  bare interpreter")
    before = rss_mb()
    tool = "argparse, pathlib, importlib (this tool; the daemon loads them too)"
    print(f"{before:8.1f} {before - start:+7.1f} {len(sys.modules) - BARE_MODULES:+7d}  {tool}")
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
