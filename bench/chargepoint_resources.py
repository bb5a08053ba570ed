"""What the charge point costs its host: memory and CPU while two EVs charge, against a baseline.

Runs `smartcharge chargepoint run` as a real process against the built-in central system (in this
process), with MeterValueSampleInterval = 1 and two EVs charging, and samples it with psutil
every 0.5 s of real time. Then runs the baseline (`baseline_ocpp_cp.py`: a minimal charge point
made of the `ocpp` package's own ChargePoint class, sending the same MeterValues at the same rate)
and measures it the same way. See bench/README.md for how to read the figures.

    .venv/bin/python bench/chargepoint_resources.py --simulated-minutes 10 --speed 10
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import platform
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import aiohttp
import psutil
from rich.console import Console
from rich.table import Table

from smartcharge.sim.central_system import CentralSystem

SAMPLE_EVERY_S = 0.5  # real seconds between psutil samples
RSS_TARGET_MB = 60.0
CPU_TARGET_SHARE = 0.03  # of one core, at real-time speed
EXPECTED_MV_PER_SIM_S = 2.0  # one MeterValues per connector per simulated second
MV_TOLERANCE = 0.15  # the sanity check fails beyond ±15 %
SETUP_TIMEOUT_S = 60.0
TRACED_SLOWDOWN = 10  # tracemalloc with deep tracebacks makes start-up about this much slower
MB = 1024 * 1024
BENCH_DIR = Path(__file__).resolve().parent
SC_IDENTITY = "BENCH-SC"
BASE_IDENTITY = "BENCH-BASELINE"
MEASURANDS = (
    "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,Current.Offered,SoC"
)

console = Console()
if not console.is_terminal:  # a log file or a pipe: wide enough for the table on one line each
    console = Console(width=120)


class BenchError(RuntimeError):
    """The bench could not measure what it set out to (setup failed, or no real work done)."""


@dataclass
class Measurement:
    """One process, measured over the window in which it does the steady-state work."""

    name: str
    speed: float
    real_s: float = 0.0
    simulated_s: float = 0.0
    startup_cpu_s: float = 0.0  # from exec until the window opens (imports, boot, setup)
    cpu_s: float = 0.0  # user + system, inside the window
    rss_peak_mb: float = 0.0  # kernel high-water mark (VmHWM) over the process's life
    rss_peak_sampled_mb: float = 0.0
    rss_mean_mb: float = 0.0
    uss_peak_mb: float | None = None
    uss_mean_mb: float | None = None
    meter_values: int = 0  # received by the central system inside the window
    samples: int = 0
    rss_series_mb: list[float] = field(default_factory=list)

    @property
    def cpu_per_simulated_s(self) -> float:
        """CPU seconds per simulated second: the share of one core at real-time speed."""
        return self.cpu_s / self.simulated_s

    @property
    def cpu_share_at_speed(self) -> float:
        """CPU seconds per real second at the bench speed."""
        return self.cpu_s / self.real_s

    @property
    def meter_values_per_simulated_s(self) -> float:
        return self.meter_values / self.simulated_s

    @property
    def cpu_ms_per_meter_value(self) -> float:
        return 1000 * self.cpu_s / self.meter_values if self.meter_values else float("nan")

    def summary(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k != "rss_series_mb"}
        out |= {
            "cpu_per_simulated_s": self.cpu_per_simulated_s,
            "cpu_share_at_speed": self.cpu_share_at_speed,
            "meter_values_per_simulated_s": self.meter_values_per_simulated_s,
            "cpu_ms_per_meter_value": self.cpu_ms_per_meter_value,
        }
        return out


# --- process sampling --------------------------------------------------------------------------
def _tree(proc: psutil.Process) -> list[psutil.Process]:
    return [proc, *proc.children(recursive=True)]


def _cpu_s(proc: psutil.Process) -> float:
    total = 0.0
    for p in _tree(proc):
        with contextlib.suppress(psutil.NoSuchProcess):
            t = p.cpu_times()
            total += t.user + t.system
    return total


def _memory(proc: psutil.Process) -> tuple[float, float | None]:
    """RSS and USS (None where the platform cannot tell) of the process and its children, MB."""
    rss, uss = 0.0, 0.0
    for p in _tree(proc):
        try:
            full = p.memory_full_info()
            rss += full.rss
            uss += full.uss
        except psutil.AccessDenied:
            rss += p.memory_info().rss
            uss = float("nan")
        except psutil.NoSuchProcess:
            pass
    return rss / MB, (None if uss != uss else uss / MB)


def _high_water_mb(pid: int) -> float | None:
    """The kernel's own peak RSS of the process (Linux VmHWM), which no sampling can miss."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


async def measure(
    m: Measurement,
    proc: asyncio.subprocess.Process,
    meter_values: Callable[[], int],
    real_s: float,
) -> None:
    """Sample `proc` every SAMPLE_EVERY_S for `real_s` real seconds into `m`."""
    ps = psutil.Process(proc.pid)
    m.startup_cpu_s = _cpu_s(ps)
    rss: list[float] = []
    uss: list[float] = []
    t0 = time.monotonic()
    cpu0, mv0 = m.startup_cpu_s, meter_values()
    next_at = t0
    while True:
        r, u = _memory(ps)
        rss.append(r)
        if u is not None:
            uss.append(u)
        if proc.returncode is not None:
            raise BenchError(f"{m.name} exited during the measurement")
        next_at += SAMPLE_EVERY_S
        if next_at > t0 + real_s:
            break
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    await asyncio.sleep(max(0.0, t0 + real_s - time.monotonic()))
    cpu1, mv1, t1 = _cpu_s(ps), meter_values(), time.monotonic()
    m.real_s = t1 - t0
    m.simulated_s = m.real_s * m.speed
    m.cpu_s = cpu1 - cpu0
    m.meter_values = mv1 - mv0
    m.samples = len(rss)
    m.rss_series_mb = [round(x, 2) for x in rss]
    m.rss_peak_sampled_mb = max(rss)
    m.rss_mean_mb = statistics.fmean(rss)
    m.rss_peak_mb = _high_water_mb(proc.pid) or m.rss_peak_sampled_mb
    if uss:
        m.uss_peak_mb, m.uss_mean_mb = max(uss), statistics.fmean(uss)


def check_work_done(m: Measurement) -> None:
    rate = m.meter_values_per_simulated_s
    if abs(rate - EXPECTED_MV_PER_SIM_S) > MV_TOLERANCE * EXPECTED_MV_PER_SIM_S:
        raise BenchError(
            f"{m.name}: the central system received {m.meter_values} MeterValues in "
            f"{m.simulated_s:.0f} simulated s = {rate:.2f}/s, expected "
            f"{EXPECTED_MV_PER_SIM_S:.1f}/s (one per connector per second): the figures would "
            "not describe the intended work"
        )


# --- helpers -----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def until(what: str, check: Callable[[], Awaitable[bool]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise BenchError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def connected(
    cs: CentralSystem, identity: str, proc: asyncio.subprocess.Process, timeout: float
) -> None:
    async def booted() -> bool:
        if proc.returncode is not None:
            raise BenchError(f"{identity} exited with code {proc.returncode} before booting")
        rec = cs.chargers.get(identity)
        return rec is not None and bool(rec.boot)

    await until(f"{identity} to connect and boot", booted, timeout)


async def start(args: list[str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as err:
        return await asyncio.create_subprocess_exec(
            sys.executable, *args, stdout=asyncio.subprocess.DEVNULL, stderr=err
        )


async def stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def write_config(path: Path, csms_port: int, control_port: int, speed: float) -> None:
    path.write_text(
        f"""identity = "{SC_IDENTITY}"
csms_url = "ws://127.0.0.1:{csms_port}/ocpp"
data_dir = "data"
connectors = 2

[security]
profile = 0

[simulator]
control = "127.0.0.1:{control_port}"
speed = {speed}
start_time = 2026-11-21T10:00:00+00:00
"""
    )


# --- the two subjects --------------------------------------------------------------------------
async def bench_smartcharge(
    cs: CentralSystem, work: Path, speed: float, real_s: float, trace: Path | None = None
) -> Measurement:
    cfg, log, control_port = work / "cp.toml", work / "smartcharge.log", free_port()
    write_config(cfg, cs.port, control_port, speed)
    command = ["chargepoint", "run", "--config", str(cfg)]
    if trace is None:
        proc = await start(["-m", "smartcharge", *command], log)
    else:
        proc = await start([str(BENCH_DIR / "traced_chargepoint.py"), str(trace), *command], log)
    base = f"http://127.0.0.1:{control_port}"
    m = Measurement("smartcharge", speed)
    try:
        async with aiohttp.ClientSession() as http:

            async def post(path: str, body: dict[str, Any]) -> None:
                async with http.post(base + path, json=body) as r:
                    if r.status != 200:
                        raise BenchError(f"POST {path}: {r.status} {await r.text()}")

            async def state() -> dict[str, Any]:
                async with http.get(base + "/state") as r:
                    data: dict[str, Any] = await r.json()
                    return data

            async def api_up() -> bool:
                try:
                    await state()
                except aiohttp.ClientConnectionError:
                    return False
                return True

            setup_s = SETUP_TIMEOUT_S * (TRACED_SLOWDOWN if trace else 1)
            await connected(cs, SC_IDENTITY, proc, setup_s)
            await until("the control API", api_up, setup_s)
            for key, value in (
                ("MeterValueSampleInterval", "1"),
                ("MeterValuesSampledData", MEASURANDS),
            ):
                result = await cs.call(
                    SC_IDENTITY, "ChangeConfiguration", {"key": key, "value": value}
                )
                if result.get("status") != "Accepted":
                    raise BenchError(f"ChangeConfiguration {key}: {result}")
            for n in (1, 2):
                # Big enough not to fill up in the run: 90 kWh to go at 11 kW is over 8 hours.
                await post(
                    f"/connectors/{n}/plug", {"battery_kwh": 100, "soc": 10, "max_power_w": 11000}
                )
                result = await cs.call(
                    SC_IDENTITY, "RemoteStartTransaction", {"idTag": f"B{n}", "connectorId": n}
                )
                if result.get("status") != "Accepted":
                    raise BenchError(f"RemoteStartTransaction on {n}: {result}")

            async def both_charging() -> bool:
                conns = (await state())["connectors"]
                return all(
                    conns[n]["status"] == "Charging" and conns[n]["transaction_id"] is not None
                    for n in ("1", "2")
                )

            await until("both connectors Charging", both_charging, setup_s)
            rec = cs.chargers[SC_IDENTITY]
            await measure(m, proc, lambda: len(rec.meter_values), real_s)
            conns = (await state())["connectors"]
            if not all(conns[n]["status"] == "Charging" for n in ("1", "2")):
                raise BenchError(f"a connector stopped charging during the run: {conns}")
            if trace is not None:
                proc.send_signal(signal.SIGUSR1)

                async def written() -> bool:
                    return await asyncio.to_thread(trace.exists)

                await until("the memory report", written, 600)
                console.print(f"memory report in {trace}")
    except BaseException:
        console.print(f"[red]smartcharge log (last lines):[/red]\n{tail(log)}")
        raise
    finally:
        await stop(proc)
    return m


async def bench_baseline(cs: CentralSystem, work: Path, speed: float, real_s: float) -> Measurement:
    log = work / "baseline.log"
    script = str(BENCH_DIR / "baseline_ocpp_cp.py")
    url = f"ws://127.0.0.1:{cs.port}/ocpp"
    proc = await start(
        [script, "--url", url, "--identity", BASE_IDENTITY, "--speed", str(speed)], log
    )
    m = Measurement("baseline (ocpp pkg)", speed)
    try:
        await connected(cs, BASE_IDENTITY, proc, SETUP_TIMEOUT_S)
        rec = cs.chargers[BASE_IDENTITY]

        async def sending() -> bool:
            if proc.returncode is not None:
                raise BenchError("the baseline exited")
            return len(rec.meter_values) > 0

        await until("the baseline's first MeterValues", sending, SETUP_TIMEOUT_S)
        await measure(m, proc, lambda: len(rec.meter_values), real_s)
    except BaseException:
        console.print(f"[red]baseline log (last lines):[/red]\n{tail(log)}")
        raise
    finally:
        await stop(proc)
    return m


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

    row("peak RSS, MB (VmHWM)", sc.rss_peak_mb, base.rss_peak_mb, ".1f", "< 60 MB", rss_ok)
    row("mean RSS, MB", sc.rss_mean_mb, base.rss_mean_mb, ".1f")
    row("peak USS, MB", sc.uss_peak_mb, base.uss_peak_mb, ".1f")
    row("mean USS, MB", sc.uss_mean_mb, base.uss_mean_mb, ".1f")
    row(
        "CPU at real-time speed, % of one core",
        100 * sc.cpu_per_simulated_s,
        100 * base.cpu_per_simulated_s,
        ".2f",
        "< 3 %",
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
        "MeterValues per simulated s",
        sc.meter_values_per_simulated_s,
        base.meter_values_per_simulated_s,
        ".2f",
        "≈ 2",
        True,
    )
    row("start-up CPU, s (until charging)", sc.startup_cpu_s, base.startup_cpu_s, ".2f")
    console.print(table)
    console.print(
        f"{psutil.cpu_count()} cores, Python {platform.python_version()}, "
        f"{sc.samples} + {base.samples} samples every {SAMPLE_EVERY_S} s real"
    )
    return {"rss": rss_ok, "cpu": cpu_ok}


def _versions() -> dict[str, str]:
    out = {}
    for pkg in ("smartcharge", "ocpp", "websockets", "psutil"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[pkg] = metadata.version(pkg)
    return out


async def run(args: argparse.Namespace) -> tuple[Measurement, Measurement]:
    """Measure smartcharge, then the baseline, one after the other against one central system."""
    real_s = args.simulated_minutes * 60 / args.speed
    console.print(
        f"measuring each process for {real_s:.0f} s real "
        f"({args.simulated_minutes:g} simulated min at speed {args.speed:g})"
    )
    cs = CentralSystem()
    await cs.start("127.0.0.1", 0)
    try:
        with tempfile.TemporaryDirectory(prefix="sc-bench-") as tmp:
            work = Path(tmp)
            sc = await bench_smartcharge(cs, work, args.speed, real_s, args.trace_memory)
            base = await bench_baseline(cs, work, args.speed, real_s)
    finally:
        await cs.stop()
    return sc, base


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
        "machine": {
            "cores": psutil.cpu_count(),
            "cpu": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "system": platform.platform(),
            "packages": _versions(),
        },
        "targets": {
            "rss_mb": RSS_TARGET_MB,
            "cpu_share_real_time": CPU_TARGET_SHARE,
            "met": targets,
        },
        "smartcharge": sc.summary() | {"rss_series_mb": sc.rss_series_mb},
        "baseline": base.summary() | {"rss_series_mb": base.rss_series_mb},
        "ratios": {
            "rss_peak": sc.rss_peak_mb / base.rss_peak_mb,
            "cpu_per_simulated_s": sc.cpu_per_simulated_s / base.cpu_per_simulated_s,
        },
        "sanity_failures": failures,
    }
    path.write_text(json.dumps(doc, indent=2) + "\n")
    console.print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Measure the charge point's memory and CPU against an ocpp-package baseline."
    )
    parser.add_argument("--simulated-minutes", type=float, default=10.0)
    parser.add_argument("--speed", type=float, default=10.0, help="simulated s per real s")
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE")
    parser.add_argument(
        "--trace-memory",
        metavar="FILE",
        help="run smartcharge under tracemalloc and write where its memory goes to FILE "
        "(diagnosis only: tracing inflates the figures)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 2 when smartcharge misses a target"
    )
    args = parser.parse_args()
    if args.speed <= 0 or args.simulated_minutes <= 0:
        parser.error("--speed and --simulated-minutes must be greater than 0")
    if args.trace_memory:
        args.trace_memory = Path(args.trace_memory).resolve()
        args.trace_memory.unlink(missing_ok=True)
    try:
        sc, base = asyncio.run(run(args))
    except BenchError as exc:
        console.print(f"[red bold]bench failed:[/red bold] {exc}")
        sys.exit(1)
    failures = []
    for m in (sc, base):
        try:
            check_work_done(m)
        except BenchError as exc:
            failures.append(str(exc))
    targets = report(sc, base, args)
    if args.json:
        write_json(Path(args.json), sc, base, args, targets, failures)
    if args.trace_memory:
        console.print("[yellow]traced run: tracemalloc inflates every smartcharge figure[/yellow]")
        return  # a diagnosis run; its figures and checks mean nothing
    for f in failures:
        console.print(f"[red bold]SANITY CHECK FAILED:[/red bold] {f}")
    if failures:
        sys.exit(1)
    if args.strict and not all(targets.values()):
        missed = ", ".join(k for k, ok in targets.items() if not ok)
        console.print(f"[red]target missed: {missed}[/red]")
        sys.exit(2)


if __name__ == "__main__":
    main()
