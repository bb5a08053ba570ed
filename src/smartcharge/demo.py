"""`smartcharge demo`: a central system and simulated chargers on this machine, shown live.

Everything runs with embedded defaults: the chargers keep SQLite files in a temporary folder,
the central system is the small built-in one until the platform replaces it. Each charger gets
cars plugged in and started by remote start (connector 1) and by an RFID card (connector 2).
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from datetime import datetime
from pathlib import Path

from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from smartcharge.chargepoint.app import ChargePointApp
from smartcharge.chargepoint.config import ChargePointConfig, parse_config
from smartcharge.regulations import UK_TZ
from smartcharge.sim.central_system import CentralSystem


def demo_config(
    identity: str,
    port: int,
    data_dir: Path,
    speed: float,
    start: datetime | None = None,
    random_delay_max_s: int = 600,
) -> ChargePointConfig:
    simulator: dict[str, object] = {"speed": speed}
    if start is not None:
        simulator["start_time"] = start.isoformat()
    return parse_config(
        {
            "identity": identity,
            "csms_url": f"ws://127.0.0.1:{port}/ocpp",
            "data_dir": str(data_dir / identity),
            "security": {"profile": 0},
            "simulator": simulator,
            "charging": {"random_delay_max_s": random_delay_max_s},
        },
        base_dir=data_dir,
    )


async def run_demo(
    *,
    chargers: int,
    speed: float,
    duration: float,
    data_dir: Path | None,
    start: datetime | None = None,
    random_delay_max_s: int = 600,
) -> None:
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="sc-demo-"))
        root = data_dir or Path(tmp)
        csms = CentralSystem(heartbeat_interval=60)
        await csms.start()
        apps = [
            ChargePointApp(
                demo_config(f"demo-{i + 1:02d}", csms.port, root, speed, start, random_delay_max_s)
            )
            for i in range(chargers)
        ]
        tasks = [asyncio.ensure_future(a.run()) for a in apps]
        try:
            for a in apps:
                await asyncio.wait_for(a.started.wait(), 30)
                await csms.wait_connected(a.config.identity)
                a.hardware.plug(1, battery_kwh=60.0, soc=20.0, max_power_w=11000.0)
                await csms.call(
                    a.config.identity,
                    "RemoteStartTransaction",
                    {"idTag": "DEMO1", "connectorId": 1},
                )
                if a.config.connectors > 1:
                    a.hardware.plug(2, battery_kwh=40.0, soc=55.0, max_power_w=7400.0)
                    a.hardware.present_card("DEMO2")
            with Live(_view(csms, apps, root), refresh_per_second=2) as live:
                loop = asyncio.get_running_loop()
                end = loop.time() + duration if duration > 0 else None
                while end is None or loop.time() < end:
                    await asyncio.sleep(0.5)
                    live.update(_view(csms, apps, root))
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await csms.stop()


def _why(state: dict[str, object]) -> str:
    """What the charger is doing and why, in the owner's words."""
    delay = state.get("random_delay_remaining_s")
    if isinstance(delay, int | float) and delay > 0:
        minutes, seconds = divmod(int(delay), 60)
        return f"random delay: {minutes} min {seconds:02d} s left"
    return str(state.get("limit_reason") or "")


def _view(csms: CentralSystem, apps: list[ChargePointApp], root: Path) -> Group:
    table = Table(title="smartcharge demo: simulated chargers")
    for col in ("charger", "conn", "status", "kW", "kWh", "SoC %", "tx", "why", "UK time"):
        table.add_column(col)
    for a in apps:
        snap = a.hardware.snapshot()["connectors"]
        state = a.station.state() if a.station else {}
        when = a.clock.now().astimezone(UK_TZ).strftime("%a %d %b %H:%M:%S")
        for n, hw in snap.items():
            st = state.get(int(n), {})
            soc = hw.get("soc")
            table.add_row(
                a.config.identity,
                str(n),
                str(st.get("status", "booting")),
                f"{hw.get('power_w', 0.0) / 1000:.1f}",
                f"{(hw.get('energy_wh', 0.0)) / 1000:.2f}",
                "-" if soc is None else f"{soc:.0f}",
                str(st.get("transaction_id") or "-"),
                _why(st),
                when,
            )
    summary = Text(
        f"central system: {sum(c.connected for c in csms.chargers.values())} connected, "
        f"{len(csms.transactions)} transactions, {csms.counts['MeterValues']} MeterValues · "
        f"data in {root} · Ctrl+C to stop"
    )
    return Group(table, summary)
