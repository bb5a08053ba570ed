"""Whole-charge-point fixtures (see tests/support/cp_harness.py)."""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cp_harness import MakeCP, Running
from csms_peer import CentralSystemPeer

from smartcharge.chargepoint.app import ChargePointApp
from smartcharge.chargepoint.config import parse_config
from smartcharge.sim.clock import ManualClock


@pytest.fixture
async def peer() -> AsyncIterator[CentralSystemPeer]:
    p = CentralSystemPeer()
    await p.start()
    yield p
    await p.stop()
    # Every message our charge point sent was valid for the independent implementation.
    assert p.errors == []


HARDWARE = (
    {"hardware": {"kind": os.environ["SMARTCHARGE_E2E_HARDWARE"]}}
    if os.environ.get("SMARTCHARGE_E2E_HARDWARE")
    else {}
)


@pytest.fixture
async def make_cp(tmp_path: Path, peer: CentralSystemPeer) -> AsyncIterator[MakeCP]:
    running: list[Running] = []

    async def make(
        identity: str = "CP1",
        speed: float = 20.0,
        prepare: Callable[[ChargePointApp], None] | None = None,
        # The charger's clock (say, the simulated world's); not `clock`, which is the
        # configuration's [clock] table.
        use_clock: Any = None,
        manual: bool = False,
        **extra: Any,
    ) -> Running:
        """`prepare` runs on the app before it boots (say, a car already plugged in). With
        `manual`, the charger runs on a `ManualClock` at the simulator's start time: its time
        moves only when the test advances it (`Running.until`, `Running.advance`)."""
        data = {
            "identity": identity,
            "csms_url": peer.url,
            "data_dir": str(tmp_path / identity),
            "security": {"profile": 0},
            "simulator": {"speed": speed, "start_time": "2026-06-01T10:00:00+00:00"},
            "ocpp": {"reconnect_min_s": 0.5, "reconnect_max_s": 2, "call_timeout": 5},
            # The core OCPP flows are not about the UK rules: no random delay unless a test asks.
            "charging": {"random_delay_max_s": 0},
            # SMARTCHARGE_E2E_HARDWARE=simulated-devices runs every e2e charger on its real
            # drivers against the simulated devices on the wire (docs/hardware.md).
            **HARDWARE,
            **extra,
        }
        config = parse_config(data, base_dir=tmp_path)
        clock = use_clock
        if manual:
            clock = ManualClock(config.simulator.start_time or datetime.now(UTC))
        app = ChargePointApp(config, rng=random.Random(7), clock=clock)
        if prepare is not None:
            prepare(app)
        task = asyncio.ensure_future(app.run())
        await asyncio.wait_for(app.started.wait(), 10)
        r = Running(app, task, peer, manual=clock if isinstance(clock, ManualClock) else None)
        running.append(r)
        return r

    yield make
    for r in running:
        r.task.cancel()
    await asyncio.gather(*(r.task for r in running), return_exceptions=True)
