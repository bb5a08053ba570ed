"""Measuring one process for bench/chargepoint_resources.py: psutil sampling of CPU and memory
over a window, the kernel's peak RSS, the work-done sanity check, and py-spy profile summaries."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import socket
import statistics
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

SAMPLE_EVERY_S = 0.5  # real seconds between psutil samples
EXPECTED_MV_PER_SIM_S = 2.0  # one MeterValues per connector per simulated second
MV_TOLERANCE = 0.15  # the sanity check fails beyond ±15 %
MB = 1024 * 1024


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
    # --hardware devices: ms from a Modbus read to the MeterValues carrying it (cp_devices.py)
    latencies_ms: list[float] = field(default_factory=list)

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
        out = {k: v for k, v in asdict(self).items() if k not in ("rss_series_mb", "latencies_ms")}
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
