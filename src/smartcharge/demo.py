"""`smartcharge demo`: the platform and simulated chargers on this machine, shown live.

Everything runs with embedded defaults and nothing to set up: the platform keeps one SQLite file
and the chargers theirs, in a temporary folder. The platform's REST API and login page listen on
127.0.0.1; an owner account is created with a fresh random password, printed once with the URL.
Each charger gets its own password from the platform (security profile 1 on loopback), an EV
plugged in and started by remote start (connector 1) and one started by an RFID card
(connector 2). The first charger plans to a departure (07:00, 30 kWh) under an Agile-like
tariff replayed from a local fixture (`demo_plans`); the second charges now.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from smartcharge.chargepoint.app import ChargePointApp
from smartcharge.chargepoint.config import ChargePointConfig, parse_config
from smartcharge.chargepoint.hardware.device_sims.rig import DeviceRig
from smartcharge.chargepoint.hardware.simulated import SimulatedHardware
from smartcharge.demo_plans import AgileReplay, show_off
from smartcharge.platform.app import PlatformApp
from smartcharge.platform.config import PlatformSettings
from smartcharge.platform.registry import hash_password, new_password
from smartcharge.platform.store import ChargerExists
from smartcharge.platform.store.accounts import UserExists
from smartcharge.regulations import UK_TZ
from smartcharge.sim.clock import SimulatedClock

OWNER = "owner@demo.smartcharge.local"
ID_TAGS = ("DEMO1", "DEMO2")
DEMO_SUPPORT_UNTIL = "2031-12-31"
DEMO_CONTACT = "security@demo.smartcharge.local"  # a placeholder, named as the demo's
WORLDS: dict[int, SimulatedHardware] = {}  # each demo charger's simulated world, by app


def demo_config(
    identity: str,
    port: int,
    data_dir: Path,
    speed: float,
    password: str,
    start: datetime | None = None,
    random_delay_max_s: int = 600,
    hardware: dict[str, object] | None = None,
) -> ChargePointConfig:
    simulator: dict[str, object] = {"speed": speed}
    if start is not None:
        simulator["start_time"] = start.isoformat()
    return parse_config(
        {
            "identity": identity,
            "csms_url": f"ws://127.0.0.1:{port}/ocpp",
            "data_dir": str(data_dir / identity),
            # Lab settings, named as such (security/weakening.py; warned at start): the demo runs
            # on loopback with no certificates to set up. A charger as shipped uses profile 2.
            "security": {"profile": 1, "password": password},
            "simulator": simulator,
            "charging": {"random_delay_max_s": random_delay_max_s},
            # R38: what the owner's about page shows (a real model sets its own in cp.toml)
            "support_until": DEMO_SUPPORT_UNTIL,
            "vulnerability_contact": DEMO_CONTACT,
            **({"hardware": hardware} if hardware else {}),
        },
        base_dir=data_dir,
    )


@dataclass(frozen=True)
class Login:
    url: str
    email: str
    password: str


async def start_platform(root: Path, api_port: int, agile_url: str = "") -> PlatformApp:
    """The platform on loopback (OCPP on a free port, the API on `api_port`, or a free port
    when that one is taken)."""

    def settings(port: int) -> PlatformSettings:
        agile: dict[str, Any] = {"agile_api_url": agile_url} if agile_url else {}
        return PlatformSettings(
            data_dir=root / "platform",
            host="127.0.0.1",
            port=0,
            security_profile=1,  # loopback only: basic auth without TLS
            api_host="127.0.0.1",
            api_port=port,
            heartbeat_interval_s=60,
            node_id="demo",
            **agile,
        )

    platform = PlatformApp(settings(api_port))
    try:
        await platform.start()
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE or api_port == 0:
            raise
        await platform.stop()
        platform = PlatformApp(settings(0))
        await platform.start()
    return platform


async def owner_login(platform: PlatformApp) -> Login:
    """The demo owner with a fresh password (a new one on every run: never a default)."""
    password = new_password(OWNER)
    password_hash = await asyncio.to_thread(hash_password, password)
    now = datetime.now(UTC)
    try:
        account = await platform.store.accounts.create(
            OWNER, role="owner", password_hash=password_hash, at=now
        )
        owner_id = account.id
    except UserExists:  # a --data-dir used before
        found = await platform.store.accounts.login_record(OWNER)
        assert found is not None
        owner_id = found[0].id
        await platform.store.accounts.set_password(owner_id, password_hash)
    for tag in ID_TAGS:
        await platform.store.id_tags.put(tag, at=now, owner_id=owner_id)
    return Login(platform.http.url, OWNER, password)


async def charger_password(platform: PlatformApp, identity: str, owner_id: int) -> str:
    """Register the charger to the demo owner (a fresh password each run)."""
    password = new_password(identity)
    password_hash = await asyncio.to_thread(hash_password, password)
    now = datetime.now(UTC)
    try:
        await platform.store.chargers.add(identity, password_hash, at=now, owner_id=owner_id)
    except ChargerExists:
        await platform.store.chargers.set_password(identity, password_hash, at=now)
    return password


async def run_demo(
    *,
    chargers: int,
    speed: float,
    duration: float,
    data_dir: Path | None,
    start: datetime | None = None,
    random_delay_max_s: int = 600,
    api_port: int = 8080,
    hardware: str = "simulated",
    show: Callable[[str], None] = lambda line: print(line, flush=True),
) -> None:
    """`hardware="devices"`: each charger runs its real drivers (SDM630 meters and EVSE-DIN
    boards over Modbus TCP) against its simulated devices on the wire (device_sims/rig.py)."""
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="sc-demo-"))
        root = data_dir or Path(tmp)
        replay = AgileReplay()  # the Agile-like tariff's prices, from a local fixture
        platform = await start_platform(root, api_port, await replay.start())
        tasks: list[asyncio.Future[None]] = []
        rigs: list[DeviceRig] = []
        try:
            login = await owner_login(platform)
            found = await platform.store.accounts.login_record(OWNER)
            assert found is not None
            apps = []
            for i in range(chargers):
                identity = f"demo-{i + 1:02d}"
                password = await charger_password(platform, identity, found[0].id)
                clock, table = SimulatedClock(start, speed), None
                if hardware == "devices":
                    rigs.append(DeviceRig(SimulatedHardware(clock, connectors=2)))
                    table = await rigs[-1].start()
                config = demo_config(
                    identity,
                    platform.ocpp.port,
                    root,
                    speed,
                    password,
                    start,
                    random_delay_max_s,
                    table,
                )
                apps.append(ChargePointApp(config, clock=clock))
                WORLDS[id(apps[-1])] = rigs[-1].hardware if table else apps[-1].simulator
            show(f"smartcharge platform: {login.url}/app  (the owner web app)")
            show(f"log in as {login.email} with the password {login.password} (shown only now)")
            started = datetime.now(UTC)
            tasks = [asyncio.ensure_future(a.run()) for a in apps]
            for a in apps:
                await asyncio.wait_for(a.started.wait(), 30)
                await platform.ocpp.wait_connected(a.config.identity, timeout=30)
                await _booted(platform, a.config.identity, started)
                WORLDS[id(a)].plug(1, battery_kwh=60.0, soc=20.0, max_power_w=11000.0)
                await platform.ocpp.send(
                    a.config.identity,
                    "RemoteStartTransaction",
                    {"idTag": ID_TAGS[0], "connectorId": 1},
                )
                if a.config.connectors > 1:
                    WORLDS[id(a)].plug(2, battery_kwh=40.0, soc=55.0, max_power_w=7400.0)
                    if hardware == "devices":  # no card reader in this rig: started remotely
                        await platform.ocpp.send(
                            a.config.identity,
                            "RemoteStartTransaction",
                            {"idTag": ID_TAGS[1], "connectorId": 2},
                        )
                    else:
                        a.simulator.present_card(ID_TAGS[1])
            second = apps[1].config.identity if len(apps) > 1 else None
            promise = await show_off(platform, apps[0].config.identity, second)
            show(f"{apps[0].config.identity}: ready by 07:00 under an Agile-like tariff. {promise}")
            if second:
                show(f"{second}: charge now (the default hours overridden for this session)")
            with Live(_view(platform, apps, root, login), refresh_per_second=2) as live:
                loop = asyncio.get_running_loop()
                end = loop.time() + duration if duration > 0 else None
                while end is None or loop.time() < end:
                    await asyncio.sleep(0.5)
                    live.update(_view(platform, apps, root, login))
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for rig in rigs:
                await rig.stop()
            await platform.stop()
            await replay.stop()


async def _booted(
    platform: PlatformApp, identity: str, since: datetime, timeout: float = 30.0
) -> None:
    """Until the platform has the charger's BootNotification of this run: a card presented
    before the boot is accepted would be checked offline, against an empty local list."""
    async with asyncio.timeout(timeout):
        while True:
            row = await platform.store.chargers.get(identity)
            if row is not None and row["booted_at"] is not None and row["booted_at"] >= since:
                return
            await asyncio.sleep(0.05)


def _why(state: dict[str, object]) -> str:
    """What the charger is doing and why, in the owner's words."""
    delay = state.get("random_delay_remaining_s")
    if isinstance(delay, int | float) and delay > 0:
        minutes, seconds = divmod(int(delay), 60)
        return f"random delay: {minutes} min {seconds:02d} s left"
    return str(state.get("limit_reason") or "")


def _view(platform: PlatformApp, apps: list[ChargePointApp], root: Path, login: Login) -> Group:
    table = Table(title="smartcharge demo: simulated chargers")
    for col in ("charger", "conn", "status", "kW", "kWh", "SoC %", "tx", "why", "UK time"):
        table.add_column(col)
    for a in apps:
        snap = WORLDS[id(a)].snapshot()["connectors"]
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
        f"platform: {len(platform.ocpp.connections)} connected · {login.url} "
        f"(log in as {login.email}) · data in {root} · Ctrl+C to stop"
    )
    return Group(table, summary)
