"""Where the chargers under test come from.

- `SimulatedTarget` starts our charge point as a real process (`smartcharge chargepoint run
  --config`) per scenario, on a simulated clock that starts at the instant the scenario needs and
  runs `speed` times faster than real time, with its simulator's control API on a known port.
  `command` can name another program taking the same `--config` (the tests' broken chargers).
- `ListenTarget` waits for any OCPP 1.6J charger to connect to the suite's central system. It has
  no simulator and no clock to drive: scenarios that need one report "not run" with why.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from smartcharge.chargepoint.security.provisioning import provision
from smartcharge.compliance.charger import Charger, TargetError
from smartcharge.compliance.charger_process import (
    ChargerProcess,
    Spawn,
    exec_charger,
    render_toml,
    stop_process,
)
from smartcharge.compliance.csms import CentralSystem
from smartcharge.compliance.firmware_images import FirmwareImages
from smartcharge.compliance.owner_client import CERT_PATH, OwnerClient
from smartcharge.compliance.simulator import SimulatorControl
from smartcharge.manufacturer import keys

BOOT_TIMEOUT_S = 120.0  # generous: ends at the boot; a loaded machine starts Python slowly
# When the suite's manufacturer keys are made: before any simulated clock a scenario uses.
MANUFACTURED = datetime(2026, 1, 1, tzinfo=UTC)
# The keys of a charger's configuration that its factory (or installer) writes: the rest is the
# charger's own default in the scenario that tests it as shipped.
SHIPPED = (
    "identity",
    "csms_url",
    "data_dir",
    "security",
    "simulator",
    "support_until",
    "vulnerability_contact",
)
# What the suite, as the manufacturer, ships the charger with (R38): the end of the model's
# security-update support and where to report a vulnerability.
SUPPORT_UNTIL = "2031-12-31"
VULNERABILITY_CONTACT = "https://smartcharge.example/security"


@dataclass(frozen=True)
class ChargerSpec:
    """What a scenario needs from its charger (honoured by the simulated target only)."""

    start: datetime
    speed: float = 20.0
    random_delay_max_s: int = 600
    connectors: int = 2
    max_current_a: float = 32.0
    profile: int = 1
    ca_file: Path | None = None
    boot_timeout: float = BOOT_TIMEOUT_S
    # Serve the charger's HTTPS owner API on loopback port 0: the port it got is read back from
    # its log, as is its simulator control API's (the suite signs in as owner).
    owner_api: bool = False
    # Run the charger's software from this copy of the `smartcharge` package instead of the
    # installed one: the suite can then change an installed file (R31).
    software_dir: Path | None = None
    # As shipped: what the factory writes (identity, address, credentials, firmware root, the
    # support period and contact) and the simulated hardware; nothing tuned by the suite.
    shipped: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class Target(Protocol):
    simulated: bool
    description: str
    clock: str  # whose clock the run went by, in words for the technical file
    configuration: str  # the configuration the charger was tested in, in words

    async def start(self, spec: ChargerSpec, csms: CentralSystem) -> Charger: ...

    async def stop(self, charger: Charger) -> None: ...

    async def restart(self, charger: Charger, csms: CentralSystem, **config: Any) -> None: ...


# The lines a charger logs once its simulator control API and its owner API listen: each binds
# port 0 and the suite reads back the port it got (a port picked free beforehand could be taken
# by another process before the charger binds it, on a busy machine).
PORT_LOGGED = {
    "control": re.compile(r"simulator control API on port (\d+)"),
    "owner": re.compile(r"owner API on https port (\d+)"),
}


@dataclass
class _Process:
    proc: ChargerProcess
    config: dict[str, Any]
    config_path: Path
    stderr: Path
    log_from: int  # where this launch's lines start in `stderr`


class SimulatedTarget:
    simulated = True

    def __init__(
        self,
        work_dir: Path,
        command: list[str] | None = None,
        hardware: str = "simulated",
        spawn: Spawn | None = None,
    ) -> None:
        self.work_dir = work_dir
        self.spawn = spawn
        # "simulated-devices": the simulated charger driven through its real device drivers
        # (docs/hardware.md); the scenarios and their checks are the same.
        self.hardware = hardware
        self.command = command or [sys.executable, "-m", "smartcharge", "chargepoint", "run"]
        self.description = (
            "the smartcharge simulated charge point ("
            + " ".join(Path(c).name for c in self.command[:4])
            + ")"
        )
        self.clock = "a simulated clock per charger, 10 to 300 times faster than real time"
        self.configuration = (
            "as shipped in the as_shipped scenario (the factory's identity, credentials,"
            " firmware root, support period and contact, the installer's central system address"
            " and root certificate; every other setting the charger's default, security profile"
            " included); in the others, set by the suite for what each tests (the instant its"
            " clock starts, the random-delay maximum, the security profile)"
        )
        self._ids = itertools.count(1)
        self._procs: dict[str, _Process] = {}
        self.manufacturer: keys.KeyFiles | None = None
        self._making_keys = asyncio.Lock()  # scenarios start chargers concurrently

    async def manufacturer_keys(self) -> keys.KeyFiles:
        """The suite plays the manufacturer: its keys are made once per run."""
        async with self._making_keys:
            if self.manufacturer is None:
                self.manufacturer = await asyncio.to_thread(
                    keys.create_keys, self.work_dir / "manufacturer", now=MANUFACTURED
                )
            return self.manufacturer

    async def start(self, spec: ChargerSpec, csms: CentralSystem) -> Charger:
        identity = f"CT{os.getpid() % 10000:04d}-{next(self._ids):03d}"
        data_dir = self.work_dir / "chargers" / identity
        data_dir.mkdir(parents=True, exist_ok=True)
        # As shipped: the factory's provisioning only, every other setting the charger's own
        # default (the security profile too).
        security: dict[str, Any] = {} if spec.shipped else {"profile": spec.profile}
        credentials = data_dir.parent / f"{identity}-credentials"
        setup_code = None  # the owner API's first-use code, as printed on the label
        if spec.profile in (1, 2, 3) or spec.shipped:
            # Provisioned as in the factory: a unique password and keys, sealed (R28, R32).
            made = await asyncio.to_thread(provision, identity, credentials)
            security["credentials_dir"] = str(credentials)
            setup_code = made.setup_code
        if spec.ca_file is not None:
            security["ca_file"] = str(spec.ca_file)
        # As shipped: the manufacturer's firmware root installed, so only signed firmware goes in
        # (R29).
        security["manufacturer_root"] = str((await self.manufacturer_keys()).root_cert)
        config: dict[str, Any] = {
            "identity": identity,
            "csms_url": csms.url,
            "data_dir": str(data_dir),
            "connectors": spec.connectors,
            "max_current_a": spec.max_current_a,
            "security": security,
            "simulator": {
                "control": "127.0.0.1:0",
                "start_time": spec.start,
                "speed": spec.speed,
            },
            "ocpp": {"reconnect_min_s": 0.2, "reconnect_max_s": 1.0, "call_timeout": 10},
            "charging": {"random_delay_max_s": spec.random_delay_max_s},
            "support_until": SUPPORT_UNTIL,
            "vulnerability_contact": VULNERABILITY_CONTACT,
        }
        if spec.shipped:
            config = {k: config[k] for k in SHIPPED}
        if self.hardware != "simulated":
            config["hardware"] = {"kind": self.hardware}
        if spec.owner_api:
            config["owner_api"] = {"enabled": True, "listen": "127.0.0.1:0"}
        if spec.software_dir is not None:
            config["_software_dir"] = str(spec.software_dir)
        for key, value in spec.extra.items():
            if isinstance(value, dict):
                config.setdefault(key, {}).update(value)
            else:
                config[key] = value
        charger = Charger(identity, csms, speed=spec.speed, data_dir=data_dir)
        charger.credentials_dir = credentials if spec.profile else None
        charger.manufacturer = self.manufacturer
        charger.clock_hint = (spec.start, asyncio.get_running_loop().time())
        await self._launch(identity, config, data_dir)
        try:
            booted = await csms.wait_booted(identity, spec.boot_timeout)
        except BaseException:
            await self.stop(charger)  # cancelled: the process goes with it
            raise
        if not booted:
            await self.stop(charger)
            raise TargetError(f"{identity} did not boot: {self._stderr_tail(identity)}")
        # Both APIs listen before the charger boots, so their ports are logged by now.
        ports = self._ports(identity)
        charger.sim = SimulatorControl(f"http://127.0.0.1:{ports['control']}")
        if spec.owner_api:
            # The certificate exists once the API listens, which is before the boot.
            charger.owner = OwnerClient(
                "127.0.0.1", ports["owner"], data_dir / CERT_PATH, setup_code
            )
        return charger

    def _ports(self, identity: str) -> dict[str, int]:
        """The ports the charger's APIs got, from what it logged since it was last launched."""
        p = self._procs[identity]
        with p.stderr.open("rb") as fh:
            fh.seek(p.log_from)
            text = fh.read().decode(errors="replace")
        found = {k: int(m[-1]) for k, rx in PORT_LOGGED.items() if (m := rx.findall(text))}
        wanted = {"control"} | ({"owner"} if p.config.get("owner_api") else set())
        if not wanted <= set(found):
            raise TargetError(
                f"{identity} booted without logging where its "
                + " and ".join(sorted(wanted - set(found)))
                + f" API listens: {self._stderr_tail(identity)}"
            )
        return found

    async def _launch(self, identity: str, config: dict[str, Any], data_dir: Path) -> None:
        path = data_dir.parent / f"{identity}.toml"
        software = config.get("_software_dir")
        path.write_text(render_toml({k: v for k, v in config.items() if k != "_software_dir"}))
        stderr = data_dir.parent / f"{identity}.stderr"
        log_from = stderr.stat().st_size if stderr.exists() else 0
        env = None
        if software is not None:
            # `software` is a folder named smartcharge: its parent goes first on the path, so
            # the charger imports (and checks, R31) that copy.
            extra = os.environ.get("PYTHONPATH")
            parent = str(Path(software).parent)
            env = {**os.environ, "PYTHONPATH": parent + (os.pathsep + extra if extra else "")}
        argv = [*self.command, "--config", str(path)]
        if self.spawn is not None and env is None:
            proc = await self.spawn(argv, stderr)
        else:  # a copy of the software (R31) needs an interpreter of its own: exec, always
            proc = await exec_charger(argv, stderr, env)
        self._procs[identity] = _Process(proc, config, path, stderr, log_from)

    def _stderr_tail(self, identity: str) -> str:
        p = self._procs.get(identity)
        if p is None or not p.stderr.exists():
            return "no output"
        return p.stderr.read_text(errors="replace")[-600:] or "no output"

    async def _kill(self, identity: str) -> None:
        p = self._procs.get(identity)
        if p is not None:
            await stop_process(p.proc)

    async def stop(self, charger: Charger) -> None:
        await self._kill(charger.identity)
        if charger.sim is not None:
            await charger.sim.close()
        if charger.owner is not None:
            await charger.owner.close()

    async def restart(self, charger: Charger, csms: CentralSystem, **config: Any) -> None:
        """Stop the process and start it again over the same data, with `config` changed (a
        table given as a dict is merged into the table it had)."""
        p = self._procs[charger.identity]
        await self._kill(charger.identity)
        if charger.sim is not None:
            await charger.sim.close()
        if charger.owner is not None:
            await charger.owner.close()
        config = {
            k: {**p.config.get(k, {}), **v} if isinstance(v, dict) else v for k, v in config.items()
        }
        new = {**p.config, **config}
        boots = len(csms.received(charger.identity, "BootNotification"))
        charger.csms = csms
        await self._launch(charger.identity, new, Path(new["data_dir"]))
        if not await csms.wait_booted(charger.identity, BOOT_TIMEOUT_S, after=boots):
            raise TargetError(
                f"{charger.identity} did not boot again: {self._stderr_tail(charger.identity)}"
            )
        # Listening on new ports: the same clients (the owner keeps its password) pointed there.
        ports = self._ports(charger.identity)
        if charger.sim is not None:
            charger.sim.base_url = f"http://127.0.0.1:{ports['control']}"
        if charger.owner is not None and "owner" in ports:
            charger.owner.repoint(ports["owner"])

    async def close(self) -> None:
        for identity in list(self._procs):
            await self._kill(identity)


class ListenTarget:
    """A charger of any make that connects by itself to the suite's central system. Nothing is
    sent to it before its BootNotification was accepted; after each scenario the settings the
    suite changed are put back."""

    simulated = False

    def __init__(
        self,
        connect_timeout: float = 300.0,
        local_https: tuple[str, int] | None = None,
        firmware: FirmwareImages | None = None,
        session: bool = False,
    ) -> None:
        self.connect_timeout = connect_timeout
        self.session = session  # an operator plugs a car in when asked (docs/compliance.md)
        # How the suite asks the operator for a physical act (the command prints it).
        self.ask: Callable[[str], None] = lambda what: print(f"NOW: {what}", flush=True)
        self.local_https = local_https  # the charger's local HTTPS interface (R33), if known
        self.firmware = firmware
        self.description = "an OCPP 1.6J charger connecting to the suite"
        self.clock = "real time, on the charger's own clock"
        self.configuration = (
            "as the charger was configured when it connected; the settings the suite changed"
            " over OCPP were put back after each scenario"
        )
        self.left_changed: list[str] = []  # settings it could not put back, in words
        self._charger: Charger | None = None

    async def start(self, spec: ChargerSpec, csms: CentralSystem) -> Charger:
        if self._charger is not None and self._charger.identity in csms.links:
            return self._charger
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.connect_timeout
        if not await csms.wait_for(lambda: bool(csms.links), self.connect_timeout):
            raise TargetError(f"no charger connected to {csms.url} in {self.connect_timeout} s")
        identity = next(iter(csms.links))
        left = max(deadline - loop.time(), 1.0)
        if not await csms.wait_for(lambda: csms.booted(identity), left):
            raise TargetError(
                f"{identity} connected but sent no BootNotification in {self.connect_timeout} s;"
                " the suite sends nothing before it: restart the charger so that it boots"
            )
        self._charger = Charger(identity, csms)
        self._charger.local_https = self.local_https
        self._charger.firmware = self.firmware
        return self._charger

    async def stop(self, charger: Charger) -> None:
        if charger.identity in charger.csms.links:
            self.left_changed.extend(await charger.put_back())

    async def restart(self, charger: Charger, csms: CentralSystem, **config: Any) -> None:
        raise TargetError("a charger under test cannot be restarted with a new configuration")

    async def close(self) -> None:
        return None
