"""What the charge point costs its host: memory and CPU while two EVs charge, against a baseline.

Runs `smartcharge chargepoint run` as a real process against the built-in central system (in this
process), with MeterValueSampleInterval = 1 and two EVs charging, and samples it with psutil
every 0.5 s of real time. Then runs the baseline (`baseline_ocpp_cp.py`: a minimal charge point
made of the `ocpp` package's own ChargePoint class, sending the same MeterValues at the same rate)
and measures it the same way. See bench/README.md for how to read the figures.

    .venv/bin/python bench/chargepoint_resources.py --simulated-minutes 10 --speed 10

Exit status: 1 when the bench could not do what it set out to (setup failed, or the central
system did not receive about 2 MeterValues per simulated second); with --strict, 2 when
smartcharge misses a target. Diagnosis runs, whose figures are perturbed and not to be recorded:
--trace-memory FILE (tracemalloc, see traced_chargepoint.py) and --profile-cpu FILE (py-spy).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import platform
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
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
WHY_NOT_CHARGING = ("status", "transaction_id", "limit_a", "limit_cause", "limit_reason")
WHY_NOT_CHARGING += ("random_delay_remaining_s", "pilot", "error_code")
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
    cpu_system_s: float = 0.0  # of which in the kernel (system calls: socket I/O, fsync…)
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


def _cpu_s(proc: psutil.Process) -> tuple[float, float]:
    """User and system CPU seconds of the process and its children."""
    user = system = 0.0
    for p in _tree(proc):
        with contextlib.suppress(psutil.NoSuchProcess):
            t = p.cpu_times()
            user += t.user
            system += t.system
    return user, system


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
    user0, system0 = _cpu_s(ps)
    m.startup_cpu_s = user0 + system0
    rss: list[float] = []
    uss: list[float] = []
    t0 = time.monotonic()
    mv0 = meter_values()
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
    (user1, system1), mv1, t1 = _cpu_s(ps), meter_values(), time.monotonic()
    m.real_s = t1 - t0
    m.simulated_s = m.real_s * m.speed
    m.cpu_system_s = system1 - system0
    m.cpu_s = user1 - user0 + m.cpu_system_s
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


# --- CPU profile (diagnosis) ---------------------------------------------------------------------
def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise BenchError("--profile-cpu needs py-spy: .venv/bin/pip install py-spy")
    return found


# Frames every sample goes through (the process's entry and the event loop), left out of the
# inclusive ranking, where they would only fill the top with 100 % rows.
LOOP_SKELETON = (
    "runpy>",
    "smartcharge/__main__.py",
    "smartcharge/entry.py",
    "smartcharge/chargepoint/daemon.py",
    "asyncio/runners.py",
    "asyncio/base_events.py",
    "asyncio/events.py",
)


def summarise_profile(raw: str, top: int = 20) -> str:
    """Top costs from py-spy's raw output (`frame;frame;... count`, outermost frame first)."""
    self_cost: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        self_cost[frames[-1]] += n
        for function in {f.rsplit(":", 1)[0] + ")" for f in frames}:  # once per stack
            if not any(s in function for s in LOOP_SKELETON):
                inclusive[function] += n
        mine = [f for f in frames if "smartcharge/" in f]
        ours[mine[-1] if mine else "<no smartcharge frame>"] += n

    def block(title: str, counts: Counter[str]) -> list[str]:
        rows = [f"{100 * n / total:6.1f} %  {what}" for what, n in counts.most_common(top)]
        return [title, *rows, ""]

    return "\n".join(
        [
            f"{total} samples of the charge point while active (py-spy, idle time left out)",
            "py-spy counts a thread blocked in the kernel (fsync in an SQLite COMMIT) as active:",
            "compare with the user/system CPU split before reading those rows as CPU.",
            "",
            *block("Self time by line (the frame on CPU):", self_cost),
            *block("Inclusive time by function (the event loop's own frames left out):", inclusive),
            *block("By the innermost smartcharge frame (what smartcharge asked for):", ours),
        ]
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

# No randomised delay (R21-R23) before charging starts: it would only hold the start back by a
# random draw of up to 10 simulated minutes (longer than a whole run at speed 1), and costs
# nothing in the steady state measured here.
[charging]
random_delay_max_s = 0

[simulator]
control = "127.0.0.1:{control_port}"
speed = {speed}
# A Saturday: the default charging hours (R14) allow charging all day.
start_time = 2026-11-21T10:00:00+00:00
"""
    )


# --- the two subjects --------------------------------------------------------------------------
async def bench_smartcharge(
    cs: CentralSystem,
    work: Path,
    speed: float,
    real_s: float,
    trace: Path | None = None,
    profile: Path | None = None,
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

            seen: dict[str, Any] = {}

            async def both_charging() -> bool:
                seen.update((await state())["connectors"])
                return all(
                    seen[n]["status"] == "Charging" and seen[n]["transaction_id"] is not None
                    for n in ("1", "2")
                )

            try:
                await until("both connectors Charging", both_charging, setup_s)
            except BenchError:
                for n, c in sorted(seen.items()):
                    why = {k: c.get(k) for k in WHY_NOT_CHARGING if c.get(k) is not None}
                    console.print(f"connector {n}: {why}", markup=False, highlight=False)
                raise
            rec = cs.chargers[SC_IDENTITY]
            spy = None
            if profile is not None:
                raw = work / "profile.raw"
                spy = await asyncio.create_subprocess_exec(
                    *(py_spy(), "record", "--pid", str(proc.pid), "--format", "raw"),
                    *("--output", str(raw), "--rate", "1000", "--nonblocking"),
                    *("--duration", str(max(1, round(real_s)))),
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.DEVNULL,
                )
            await measure(m, proc, lambda: len(rec.meter_values), real_s)
            if spy is not None and profile is not None:
                if await asyncio.wait_for(spy.wait(), 60) != 0:
                    raise BenchError("py-spy failed (it needs ptrace rights on the process)")
                text = await asyncio.to_thread(raw.read_text)
                await asyncio.to_thread(profile.write_text, summarise_profile(text) + "\n")
                console.print(f"CPU profile in {profile}")
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
        console.print("[red]smartcharge log (last lines):[/red]")
        console.print(tail(log), markup=False, highlight=False, soft_wrap=True)
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
        console.print("[red]baseline log (last lines):[/red]")
        console.print(tail(log), markup=False, highlight=False, soft_wrap=True)
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
    console.print(table)
    console.print(
        f"{psutil.cpu_count()} cores, Python {platform.python_version()}, "
        f"{sc.samples} + {base.samples} samples every {SAMPLE_EVERY_S} s real"
    )
    return {"rss": rss_ok, "cpu": cpu_ok}


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
            sc = await bench_smartcharge(
                cs, work, args.speed, real_s, args.trace_memory, args.profile_cpu
            )
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
        "--profile-cpu",
        metavar="FILE",
        type=Path,
        help="sample smartcharge with py-spy during the measurement and write its top costs to "
        "FILE (diagnosis only)",
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
    if args.profile_cpu:
        console.print("[yellow]profiled run: py-spy's sampling perturbs the figures[/yellow]")
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
