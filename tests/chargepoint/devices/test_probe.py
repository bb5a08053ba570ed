"""`smartcharge chargepoint hardware probe` against a working and a broken set-up (the devices'
protocol-level simulators), and the installer's walk-through (`hardware test`)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from smartcharge.chargepoint.hardware.probe import walk_through

from .conftest import Bench, make_bench


def _toml(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


def write_config(path: Path, hardware: dict[str, Any], connectors: int = 2) -> Path:
    lines = [
        'identity = "PROBE1"',
        'csms_url = "ws://127.0.0.1:9/ocpp"',
        f'data_dir = "{path.parent / "data"}"',
        f"connectors = {connectors}",
        "[security]",
        "profile = 0",
        "[hardware]",
        f"kind = {_toml(hardware['kind'])}",
    ]
    for part in ("meter", "controller", "reader", "gpio"):
        if part in hardware:
            lines.append(f"[hardware.{part}]")
            lines += [f"{k} = {_toml(v)}" for k, v in hardware[part].items()]
    path.write_text("\n".join(lines) + "\n")
    return path


async def probe_cli(config: Path) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "smartcharge", "chargepoint", "hardware", "probe",
        "--config", str(config),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_probe_a_working_setup_reads_every_device(tmp_path: Path) -> None:
    bench = await make_bench("rtu", reader=True)
    try:
        table = await bench.rig.start()
        bench.sim.plug(1, battery_kwh=60, soc=0.2, max_power_w=11_000)
        code, out, err = await probe_cli(write_config(tmp_path / "cp.toml", table))
        assert code == 0, err
        assert out.count("sdm630 meter") == 2 and out.count("EVSE-DIN controller") == 2
        assert "pilot B" in out and "230 V" in out and "no card in the field" in out
        assert err == ""
    finally:
        await bench.rig.stop()


async def test_probe_a_broken_setup_says_why_for_each_device(tmp_path: Path) -> None:
    bench = await make_bench("tcp")
    try:
        table = await bench.rig.start()
        table["meter"]["model"] = "abb-b23"  # the meters are Eastrons: the wrong register map
        table["controller"]["units"] = [21, 22]  # nobody answers at these ids
        table["reader"] = {"model": "pn532", "port": "/dev/no-such-reader"}
        code, out, err = await probe_cli(write_config(tmp_path / "cp.toml", table))
        assert code == 1
        lines = err.strip().splitlines()
        assert len(lines) == 5, err
        assert sum("has no such register (wrong register map?)" in x for x in lines) == 2
        assert sum("controller did not answer" in x and "Modbus id" in x for x in lines) == 2
        assert "cannot open /dev/no-such-reader to reach the card reader" in err
        assert "Traceback" not in err + out
    finally:
        await bench.rig.stop()


async def test_the_installer_walk_through_checks_plug_card_and_contactor() -> None:
    bench: Bench = await make_bench("rtu", reader=True)
    try:
        drivers = await bench.start()
        said: list[str] = []
        done = asyncio.ensure_future(walk_through(drivers, said.append, timeout_s=60))

        async def when(text: str) -> None:
            while not any(text in line for line in said):
                await asyncio.sleep(0.05)

        await asyncio.wait_for(when("Plug the car"), 30)
        bench.sim.plug(1, battery_kwh=60, soc=0.2, max_power_w=11_000)
        await asyncio.wait_for(when("Hold a card"), 30)
        assert bench.rig.pn532 is not None
        bench.rig.pn532.card = bytes.fromhex("DEADBEEF")
        failed = await asyncio.wait_for(done, 60)
        assert failed == []
        assert said.count("  ok") == 3  # plug-in, card, contactor (no tamper switch fitted)
        assert bench.sim.connector(1).offered_current() == 0  # left safe afterwards
    finally:
        if bench.drivers is not None:
            bench.drivers.close()
        await bench.rig.stop()
