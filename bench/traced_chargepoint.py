"""Run `python -m smartcharge ...` under tracemalloc and say, on SIGUSR1, where its memory went.

    python bench/traced_chargepoint.py REPORT_FILE chargepoint run --config cp.toml

`chargepoint_resources.py --trace-memory REPORT_FILE` starts the charge point through this
launcher, sends SIGUSR1 at the end of the measurement and waits for the report. Tracing starts
before anything of smartcharge or its dependencies is imported, with deep tracebacks, so each
allocated block still alive can be charged to:

- the smartcharge source line responsible for it: the innermost frame in `src/smartcharge`. For
  memory taken while importing, that is the `import` statement that pulled the package in (with
  everything it imports in turn that was not imported already);
- the package whose code allocated it (the innermost frame outside importlib).

tracemalloc sees only Python's allocators: memory that C libraries take for themselves (OpenSSL,
SQLite's page cache, pydantic-core's Rust heap) and the mapped shared libraries are not in it, so
the report also gives the process's RSS split into anonymous and file-backed memory. Tracing
costs memory and time itself: the RSS of a traced run is not the benchmark's figure.

Beside the report, REPORT_FILE.modules lists every module the running charge point had loaded;
`import_memory.py --modules REPORT_FILE.modules` turns that into RSS per package, untraced.
"""

from __future__ import annotations

import tracemalloc

tracemalloc.start(100)  # before any other import, so that the imports themselves are traced

import os  # noqa: E402
import runpy  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402
from types import FrameType  # noqa: E402

SRC = str(Path(__file__).resolve().parent.parent / "src") + os.sep
TOP = 25
MB = 1024 * 1024


STDLIB = os.path.dirname(os.__file__) + os.sep


def _where(filename: str) -> str:
    """`aiohttp`, `smartcharge.chargepoint`, `<stdlib> asyncio`… for a source file name."""
    for root, prefix, depth in ((SRC, "", 2), (STDLIB, "<stdlib> ", 1)):
        if filename.startswith(root) and "site-packages" not in filename:
            parts = Path(filename[len(root) :]).with_suffix("").parts
            return prefix + ".".join(parts[:depth])
    if "site-packages" + os.sep in filename:
        rest = filename.split("site-packages" + os.sep, 1)[1]
        return Path(rest).parts[0].removesuffix(".py")
    return filename


def _rss_split(pid: int) -> dict[str, float]:
    out = {"rss": 0.0, "anonymous": 0.0}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            key, _, value = line.partition(":")
            if key == "Rss":
                out["rss"] = int(value.split()[0]) / 1024
            elif key == "Anonymous":
                out["anonymous"] = int(value.split()[0]) / 1024
    except OSError:
        pass
    out["file_backed"] = out["rss"] - out["anonymous"]
    return out


def report(path: Path) -> None:
    snapshot = tracemalloc.take_snapshot()
    current, peak = tracemalloc.get_traced_memory()
    by_line: Counter[str] = Counter()
    by_package: Counter[str] = Counter()
    by_line_package: dict[str, Counter[str]] = defaultdict(Counter)
    for trace in snapshot.traces:
        frames = list(reversed(trace.traceback))  # tracemalloc keeps the oldest first
        ours = next((f for f in frames if f.filename.startswith(SRC)), None)
        line = (
            f"{ours.filename[len(SRC) - 4 :]}:{ours.lineno}" if ours else "<no smartcharge frame>"
        )
        own = next((f for f in frames if "importlib" not in f.filename), None)
        package = _where(own.filename) if own else "<unknown>"
        by_line[line] += trace.size
        by_package[package] += trace.size
        by_line_package[line][package] += trace.size
    runtime = snapshot.statistics("lineno")
    split = _rss_split(os.getpid())
    lines = [
        f"RSS {split['rss']:.1f} MB = {split['anonymous']:.1f} MB anonymous "
        f"(Python objects, C heaps, tracemalloc's own bookkeeping) + "
        f"{split['file_backed']:.1f} MB file-backed (mapped libraries)",
        f"traced by tracemalloc: {current / MB:.1f} MB live, {peak / MB:.1f} MB peak; "
        f"{threading.active_count()} Python threads",
        "",
        f"Live memory by the smartcharge line responsible (top {TOP}), packages within, MB:",
        *(
            f"{size / MB:8.2f} MB  {where}  ("
            + ", ".join(f"{pkg} {n / MB:.2f}" for pkg, n in by_line_package[where].most_common(4))
            + ")"
            for where, size in by_line.most_common(TOP)
        ),
        "",
        f"Live memory by the package whose code allocated it (top {TOP}):",
        *(f"{size / MB:8.2f} MB  {pkg}" for pkg, size in by_package.most_common(TOP)),
        "",
        f"Live memory by the allocating line itself (top {TOP}):",
        *(
            f"{s.size / MB:8.2f} MB  {s.count:7d} blocks  {s.traceback[0].filename}:"
            f"{s.traceback[0].lineno}"
            for s in runtime[:TOP]
        ),
        "",
    ]
    # Every module the running charge point has loaded, for `import_memory.py --modules`.
    path.with_name(path.name + ".modules").write_text("\n".join(sorted(sys.modules)) + "\n")
    partial = path.with_name(path.name + ".partial")
    partial.write_text("\n".join(lines))
    partial.replace(path)  # whoever waits for the report never reads half of it


def main() -> None:
    out = Path(sys.argv[1])

    def on_signal(signum: int, frame: FrameType | None) -> None:
        report(out)

    signal.signal(signal.SIGUSR1, on_signal)
    sys.argv = ["smartcharge", *sys.argv[2:]]
    runpy.run_module("smartcharge", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
