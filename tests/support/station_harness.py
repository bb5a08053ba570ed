"""One charger's station on a manual clock, with no network: the UK-rule scenarios at whole
days in well under a second (tests/e2e/test_uk_day.py).

The station is built as a boot builds it (`boot_parts`, a cp.toml-shaped config, a real
SQLite store) over the simulated hardware, and its UK extension answers DataTransfer messages
in-process. Time moves only when the test moves it. `run_until` ticks the station the way its
tick loop does, but jumps over the ticks in which nothing but the per-second power reading can
happen (`Station.next_due`). `per_second=True` ticks every second instead: the equivalence
test runs both and compares what they recorded.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from smartcharge.chargepoint import boot_parts
from smartcharge.chargepoint.config import parse_config
from smartcharge.chargepoint.hardware.simulated.hardware import SimulatedHardware
from smartcharge.chargepoint.ocpp_handlers.uk_extension import UkExtension
from smartcharge.chargepoint.store import Store
from smartcharge.ocpp.uk_extension import VENDOR_ID
from smartcharge.sim.clock import ManualClock

# The car's own physics (a battery filling, a car pausing) is not something the station can
# foresee: no jump is longer than this, so the station notices within it.
MAX_JUMP_S = 300.0
# A real SQLite file in memory-backed storage where there is one: the store's synchronous=FULL
# commits cost a disk flush each, which is the disk's time, not the station's.
_FAST_DIR = Path("/dev/shm")


class StationHarness:
    def __init__(
        self,
        tmp: Path,
        start: str,
        *,
        seed: int = 7,
        per_second: bool = False,
        clock: ManualClock | None = None,
        world: SimulatedHardware | None = None,
        drivers: Any = None,
        **config: Any,
    ) -> None:
        base = tmp
        if _FAST_DIR.is_dir():
            self._scratch = tempfile.TemporaryDirectory(dir=_FAST_DIR, prefix="station-")
            base = Path(self._scratch.name)
        data = {
            "identity": "CP1",
            "csms_url": "ws://127.0.0.1:9/ocpp",  # never dialled: the harness has no link
            "data_dir": str(base / "CP1"),
            "security": {"profile": 0},
            "simulator": {"start_time": start},
            **config,
        }
        cfg = parse_config(data, base_dir=tmp)
        cfg.data_dir.mkdir(parents=True, exist_ok=True)
        self.clock = clock or ManualClock(datetime.fromisoformat(start))
        self.store_path = cfg.data_dir / "chargepoint.sqlite"
        self.store = Store(self.store_path)
        self.settings = boot_parts.configuration(cfg, self.store)
        # The simulated world (the car, the network); the station drives it directly, or through
        # `drivers`: the real device drivers on the wire to it (`on_devices`).
        self.hw = world or SimulatedHardware(
            self.clock, connectors=cfg.connectors, max_current_a=32.0
        )
        self.drivers = drivers
        controls = boot_parts.owner_controls(cfg, self.store)
        self.station = boot_parts.station(
            cfg,
            self.store,
            self.settings,
            drivers or self.hw,
            self.clock,
            random.Random(seed),
            controls,
        )
        self.uk_extension = UkExtension(self.station, controls, clock=self.clock)
        self.per_second = per_second
        self.ticks = 0
        self._before: tuple[Any, ...] = ()
        self.station.recover()
        self.tick()

    def tick(self) -> None:
        self.station._tick()
        self.ticks += 1

    def now(self) -> datetime:
        return self.clock.now()

    def state(self, n: int) -> dict[str, Any]:
        return self.station.state()[n]

    def _settled(self) -> tuple[Any, ...]:
        """What a tick changes and the next tick answers: the car's pilot follows the offered
        current, the contactor follows the pilot, the status follows both."""
        return tuple(
            (c.status, c.limit_a, c.hw.pilot_state(), c.hw.contactor_closed(), c.tx_local_id)
            for c in self.station.connectors.values()
        )

    async def step(self) -> None:
        """Move to the next tick that can matter (or the next second) and run it. After a tick
        that changed the connectors, the next second too: the car and the station answer each
        other a tick apart."""
        mono = self.clock.monotonic()
        due = mono + 1.0
        if not self.per_second and self._settled() == self._before:
            due = min(self.station.next_due(), mono + MAX_JUMP_S)
        self._before = self._settled()
        await self.clock.advance(due - mono)
        if self.drivers is not None:  # what the devices say now, as the tick loop's poll reads it
            await self.drivers.poll()
        self.tick()
        if self.drivers is not None:  # the tick's decision on the wire before time moves on
            await self.drivers.poll()

    async def run_until(self, when: datetime) -> None:
        while self.clock.now() < when:
            await self.step()

    async def until(self, predicate: Callable[[], bool], timeout_s: float = 3600) -> None:
        """Tick until `predicate` holds; `timeout_s` is simulated time, a bound on a failure."""
        end = self.clock.monotonic() + timeout_s
        while not predicate():
            if self.clock.monotonic() >= end:
                raise AssertionError(f"not true within {timeout_s} simulated seconds")
            await self.step()

    def start_session(self, n: int, id_tag: str, **car: Any) -> None:
        """A car plugged in and a card accepted on connector `n` (the next tick starts it)."""
        self.hw.plug(n, **car)
        self.station.authorize_connector(self.station.connectors[n], id_tag, {"status": "Accepted"})

    def set_network(self, up: bool) -> None:
        self.hw.set_network(up)

    async def uk(self, message: str, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """A UK-extension DataTransfer, answered by the charger's own handler."""
        req = {"vendorId": VENDOR_ID, "messageId": message, "data": orjson.dumps(data).decode()}
        res = await self.uk_extension.data_transfer(req)
        return res["status"], orjson.loads(res["data"]) if res.get("data") else {}

    def rate_changes(self, n: int) -> list[tuple[datetime, float, str]]:
        local = self.station.connectors[n].tx_local_id
        assert local is not None
        return self.store.rate_changes(local)

    async def close(self) -> None:
        await self.station.shutdown()
        self.store.close()
        if self.drivers is not None:
            self.drivers.close()
        if hasattr(self, "_scratch"):
            self._scratch.cleanup()


def assert_offline_weekday(log: list[tuple[datetime, float, str]], delay_max_s: int) -> None:
    """A Monday 17:00 plug-in's rate changes through Tuesday evening (R14, R17, R24): charging
    starts at 22:00 and again at 11:00, each plus a delay of at most the maximum, and stops
    before 08:00 and before 16:00, each window ended early by the maximum."""
    from datetime import timedelta

    from smartcharge.regulations import UK_TZ

    local = [(t.astimezone(UK_TZ), a) for t, a, _ in log]
    starts = [t for t, a in local if a > 0]
    stops = [t for t, a in local if a == 0 and t.hour >= 7]
    assert len(starts) == 2 and len(stops) == 2, log
    for on, hour in zip(starts, (22, 11), strict=True):
        window = on.replace(hour=hour, minute=0, second=0, microsecond=0)
        assert window <= on <= window + timedelta(seconds=delay_max_s + 10)  # start + delay
    # A delay really ran (R24): the tests' seeded source draws well above zero here.
    assert max(on - on.replace(minute=0, second=0, microsecond=0) for on in starts) >= timedelta(
        seconds=30
    )
    # Each window ends its maximum delay early; the delayed stop still lands before the peak.
    for off, hour in zip(stops, (8, 16), strict=True):
        assert off.date().isoformat() == "2026-06-02"
        peak = off.replace(hour=hour, minute=0, second=0, microsecond=0)
        assert peak - timedelta(seconds=delay_max_s) <= off < peak
