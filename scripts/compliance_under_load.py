"""The compliance share of the tests, five times in a row on a machine kept busy, verdicts compared.

    .venv/bin/python scripts/compliance_under_load.py [--runs 5] [--cpu 4] [--workers 4] [--out DIR]

Starts `stress-ng --cpu N` (Debian package stress-ng; installed with apt-get when missing and
this runs as root, otherwise it says the command to run), then runs `pytest tests/compliance`
RUNS times (over WORKERS xdist workers, as CI runs it; 0 for one process), each in a base
folder of its own, and reads back every verdict the suite wrote: our
charger's run (compliance0/results.json) and each broken charger's. It prints, per run, the
pytest outcome, the wall time and the verdicts that differ from the first run, and exits 0 only
when every run passed and gave the same verdicts (issue 16: no false pass against a broken
double, no false fail against our charger, on a loaded machine).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent


def ensure_stress_ng() -> str:
    found = shutil.which("stress-ng")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit("stress-ng is missing: sudo apt-get install -y stress-ng")
    subprocess.run(["apt-get", "install", "-y", "stress-ng"], check=True)
    found = shutil.which("stress-ng")
    if not found:
        raise SystemExit("stress-ng did not install")
    return found


def verdicts(base: Path) -> dict[str, dict[str, str]]:
    """Per run of the suite in `base` (our charger, each double): requirement -> outcome."""
    out: dict[str, dict[str, str]] = {}
    for results in sorted(base.rglob("results.json")):  # under popen-gwN/ with workers
        saved = orjson.loads(results.read_bytes())
        name = results.parent.name.rstrip("0123456789")
        out[name] = {r["requirement"]: r["outcome"] for r in saved["results"]}
    return out


def run_once(base: Path, workers: int) -> tuple[int, float]:
    t0 = time.monotonic()
    spread = ["-n", str(workers), "--dist", "load"] if workers else []
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/compliance",
            "-q",
            "-p",
            "no:cacheprovider",
            "--basetemp",
            str(base),
            *spread,
        ],
        cwd=ROOT,
        check=False,
    )
    return done.returncode, time.monotonic() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cpu", type=int, default=4, help="stress-ng CPU workers")
    parser.add_argument("--workers", type=int, default=4, help="xdist workers (CI: 4)")
    parser.add_argument("--out", type=Path, default=None, help="keep each run's folder here")
    args = parser.parse_args()
    stress = ensure_stress_ng()
    out = args.out or Path(tempfile.mkdtemp(prefix="compliance-under-load-"))
    out.mkdir(parents=True, exist_ok=True)
    load = subprocess.Popen([stress, "--cpu", str(args.cpu)], start_new_session=True)
    rows: list[tuple[int, int, float, dict[str, dict[str, str]]]] = []
    try:
        for n in range(1, args.runs + 1):
            base = out / f"run-{n}"
            code, took = run_once(base, args.workers)
            rows.append((n, code, took, verdicts(base)))
            print(f"run {n}: pytest exit {code}, {took:.0f} s, load {os.getloadavg()[0]:.1f}")
    finally:
        os.killpg(load.pid, signal.SIGTERM)
        load.wait()
    first = rows[0][3]
    same = True
    for n, code, took, found in rows:
        differ = {
            f"{suite}:{req}": (first.get(suite, {}).get(req), outcome)
            for suite, got in found.items()
            for req, outcome in got.items()
            if first.get(suite, {}).get(req) != outcome
        }
        same = same and not differ and found.keys() == first.keys()
        print(f"run {n}: exit {code}, {took:.0f} s, {len(found)} suites, differences: {differ}")
    ok = same and all(code == 0 for _, code, _, _ in rows)
    print(("SAME VERDICTS, ALL PASSED" if ok else "DIFFERENT OR FAILED") + f" (folders in {out})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
