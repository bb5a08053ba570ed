"""The report of bench/chargepoint_resources.py: the table with targets and ratios against the
baseline, and every figure as JSON."""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import statistics
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil
from rich.console import Console
from rich.table import Table

from cp_devices import p99
from cp_measure import SAMPLE_EVERY_S, Measurement

BENCH_DIR = Path(__file__).resolve().parent
RSS_TARGET_MB = 45.0
CPU_TARGET_SHARE = 0.02  # of one core, at real-time speed
LATENCY_TARGET_MS = 200.0  # p99, a Modbus reading to the central system (--hardware devices)

console = Console()
if not console.is_terminal:  # a log file or a pipe: wide enough for the table on one line each
    console = Console(width=120)


# --- report ------------------------------------------------------------------------------------
def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}x"


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def report(sc: Measurement, base: Measurement, args: argparse.Namespace) -> dict[str, bool]:
    rss_ok = sc.rss_peak_mb < RSS_TARGET_MB
    cpu_ok = sc.cpu_per_simulated_s < CPU_TARGET_SHARE
    targets = {"rss": rss_ok, "cpu": cpu_ok}
    table = Table(
        title=(
            f"charge point resources: 2 connectors charging, MeterValues every 1 s, speed "
            f"{args.speed:g}, {sc.simulated_s / 60:.1f} simulated min ({sc.real_s:.0f} s real)"
        )
    )
    for col in ("metric", "smartcharge", "baseline (ocpp pkg)", "ratio", "target", "result"):
        table.add_column(col, justify="left" if col == "metric" else "right")

    def row(
        label: str,
        a: float | None,
        b: float | None,
        spec: str,
        target: str = "",
        ok: bool | None = None,
    ) -> None:
        verdict = "" if ok is None else ("[green]PASS[/green]" if ok else "[red]FAIL[/red]")
        table.add_row(label, _fmt(a, spec), _fmt(b, spec), _ratio(a, b), target, verdict)

    row("peak RSS, MB (VmHWM)", sc.rss_peak_mb, base.rss_peak_mb, ".1f", "< 45 MB", rss_ok)
    row("mean RSS, MB", sc.rss_mean_mb, base.rss_mean_mb, ".1f")
    row("peak USS, MB", sc.uss_peak_mb, base.uss_peak_mb, ".1f")
    row("mean USS, MB", sc.uss_mean_mb, base.uss_mean_mb, ".1f")
    row(
        "CPU at real-time speed, % of one core",
        100 * sc.cpu_per_simulated_s,
        100 * base.cpu_per_simulated_s,
        ".2f",
        "< 2 %",
        cpu_ok,
    )
    row(
        f"CPU at bench speed x{args.speed:g}, % of one core",
        100 * sc.cpu_share_at_speed,
        100 * base.cpu_share_at_speed,
        ".1f",
    )
    row("CPU ms per MeterValues", sc.cpu_ms_per_meter_value, base.cpu_ms_per_meter_value, ".2f")
    row(
        "of the CPU, % in the kernel (system)",
        100 * sc.cpu_system_s / sc.cpu_s if sc.cpu_s else None,
        100 * base.cpu_system_s / base.cpu_s if base.cpu_s else None,
        ".0f",
    )
    row(
        "MeterValues per simulated s",
        sc.meter_values_per_simulated_s,
        base.meter_values_per_simulated_s,
        ".2f",
        "≈ 2",
        True,
    )
    row("start-up CPU, s (until charging)", sc.startup_cpu_s, base.startup_cpu_s, ".2f")
    if args.hardware == "devices":
        lat = sc.latencies_ms
        targets["latency"] = len(lat) > 10 and p99(lat) < LATENCY_TARGET_MS
        for label, value in (("median", statistics.median(lat) if lat else None),):
            row(f"Modbus read to MeterValues, ms {label}", value, None, ".0f")
        row(
            f"Modbus read to MeterValues, ms p99 ({len(lat)} readings)",
            p99(lat) if lat else None,
            None,
            ".0f",
            "< 200 ms",
            targets["latency"],
        )
    console.print(table)
    console.print(
        f"{psutil.cpu_count()} cores, Python {platform.python_version()}, "
        f"{sc.samples} + {base.samples} samples every {SAMPLE_EVERY_S} s real"
    )
    return targets


def _git() -> dict[str, Any]:
    """The commit measured, and whether the tree had changes on top of it."""
    import subprocess

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=BENCH_DIR, capture_output=True, text=True, check=False
        )
        return done.stdout.strip()

    return {"commit": git("rev-parse", "--short", "HEAD"), "dirty": bool(git("status", "-s"))}


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _versions() -> dict[str, str]:
    out = {}
    for pkg in ("smartcharge", "ocpp", "websockets", "psutil"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[pkg] = metadata.version(pkg)
    return out


def write_json(
    path: Path,
    sc: Measurement,
    base: Measurement,
    args: argparse.Namespace,
    targets: dict[str, bool],
    failures: list[str],
) -> None:
    doc = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "simulated_minutes": args.simulated_minutes,
        "speed": args.speed,
        "git": _git(),
        "machine": {
            "cores": psutil.cpu_count(),
            "cpu": _cpu_model(),
            "python": platform.python_version(),
            "system": platform.platform(),
            "packages": _versions(),
        },
        "targets": {
            "rss_mb": RSS_TARGET_MB,
            "cpu_share_real_time": CPU_TARGET_SHARE,
            "latency_p99_ms": LATENCY_TARGET_MS,
            "met": targets,
        },
        "smartcharge": sc.summary() | {"rss_series_mb": sc.rss_series_mb},
        "baseline": base.summary() | {"rss_series_mb": base.rss_series_mb},
        "hardware": args.hardware,
        "latency_ms": {
            "median": statistics.median(sc.latencies_ms) if sc.latencies_ms else None,
            "p99": p99(sc.latencies_ms) if sc.latencies_ms else None,
            "readings": len(sc.latencies_ms),
        },
        "ratios": {
            "rss_peak": sc.rss_peak_mb / base.rss_peak_mb,
            "cpu_per_simulated_s": sc.cpu_per_simulated_s / base.cpu_per_simulated_s,
        },
        "sanity_failures": failures,
    }
    path.write_text(json.dumps(doc, indent=2) + "\n")
    console.print(f"wrote {path}")
