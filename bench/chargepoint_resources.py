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
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from cp_devices import Devices, hardware_toml, start_devices
from cp_measure import (
    BenchError,
    Measurement,
    check_work_done,
    free_port,
    measure,
    py_spy,
    start,
    stop,
    summarise_profile,
    tail,
    until,
)
from cp_report import console, report, write_json
from smartcharge.ocpp import uk_extension as uk
from smartcharge.sim.central_system import CentralSystem

START = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)  # a Saturday: default hours all day (R14)
SETUP_TIMEOUT_S = 60.0
TRACED_SLOWDOWN = 10  # tracemalloc with deep tracebacks makes start-up about this much slower
BENCH_DIR = Path(__file__).resolve().parent
SC_IDENTITY = "BENCH-SC"
BASE_IDENTITY = "BENCH-BASELINE"
WHY_NOT_CHARGING = ("status", "transaction_id", "limit_a", "limit_cause", "limit_reason")
WHY_NOT_CHARGING += ("random_delay_remaining_s", "pilot", "error_code")
MEASURANDS = (
    "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,Current.Offered,SoC"
)


# --- helpers -----------------------------------------------------------------------------------
async def connected(
    cs: CentralSystem, identity: str, proc: asyncio.subprocess.Process, timeout: float
) -> None:
    async def booted() -> bool:
        if proc.returncode is not None:
            raise BenchError(f"{identity} exited with code {proc.returncode} before booting")
        rec = cs.chargers.get(identity)
        return rec is not None and bool(rec.boot)

    await until(f"{identity} to connect and boot", booted, timeout)


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
    devices: Devices | None = None,
    uk_extension: bool = False,
) -> Measurement:
    cfg, log, control_port = work / "cp.toml", work / "smartcharge.log", free_port()
    write_config(cfg, cs.port, control_port, speed)
    if devices is not None:  # the real drivers, against this process's simulated devices
        cfg.write_text(cfg.read_text() + hardware_toml(devices.table))
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
                if devices is not None:  # /connectors/N/plug, on the simulated world itself
                    devices.world.plug(int(path.split("/")[2]), **body)
                    return
                async with http.post(base + path, json=body) as r:
                    if r.status != 200:
                        raise BenchError(f"POST {path}: {r.status} {await r.text()}")

            async def state() -> dict[str, Any]:
                if devices is not None:  # no simulator control API: the central system's view
                    rec = cs.chargers[SC_IDENTITY]
                    return {
                        "connectors": {
                            str(n): {"status": rec.status.get(n), "transaction_id": "?"}
                            for n in (1, 2)
                        }
                    }
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
            if devices is None:
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
            if uk_extension:  # a central system speaking the UK extension, as the platform does
                result = await cs.call(
                    SC_IDENTITY,
                    "DataTransfer",
                    uk.data_transfer(uk.GET_CHARGING_STATE, {}),
                )
                if result.get("status") != "Accepted":
                    raise BenchError(f"DataTransfer {uk.GET_CHARGING_STATE}: {result}")
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
            window_start = time.monotonic()
            await measure(m, proc, lambda: len(rec.meter_values), real_s)
            if devices is not None:
                m.latencies_ms = devices.latencies_ms(window_start)
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


async def run(args: argparse.Namespace) -> tuple[Measurement, Measurement]:
    """Measure smartcharge, then the baseline, one after the other against one central system."""
    real_s = args.simulated_minutes * 60 / args.speed
    console.print(
        f"measuring each process for {real_s:.0f} s real "
        f"({args.simulated_minutes:g} simulated min at speed {args.speed:g})"
    )
    cs = CentralSystem()
    await cs.start("127.0.0.1", 0)
    devices = None
    try:
        if args.hardware == "devices":
            devices = await start_devices(cs, START, args.speed)
        with tempfile.TemporaryDirectory(prefix="sc-bench-") as tmp:
            work = Path(tmp)
            sc = await bench_smartcharge(
                cs,
                work,
                args.speed,
                real_s,
                args.trace_memory,
                args.profile_cpu,
                devices,
                args.uk_extension,
            )
            base = await bench_baseline(cs, work, args.speed, real_s)
    finally:
        if devices is not None:
            await devices.rig.stop()
        await cs.stop()
    return sc, base


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
    parser.add_argument(
        "--hardware",
        choices=("simulated", "devices"),
        default="simulated",
        help="devices: the charger's real drivers on Modbus TCP against simulated devices "
        "(their polling runs on real time, so the CPU figure needs --speed 1)",
    )
    parser.add_argument(
        "--uk-extension",
        action="store_true",
        help="send the charger one UK-extension message (GetChargingState) before measuring, as "
        "a central system speaking the extension would",
    )
    args = parser.parse_args()
    if args.speed <= 0 or args.simulated_minutes <= 0:
        parser.error("--speed and --simulated-minutes must be greater than 0")
    if args.hardware == "devices" and args.speed != 1:
        parser.error("--hardware devices measures real-time polling: use --speed 1")
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
