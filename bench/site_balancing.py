"""Site load management, timed (issue 14 item 5): how long from a change of a site's supply to
every charger holding its new limit, and the CPU a balancing round costs, with N chargers on
one site. Not CI: run by hand, figures in bench/site_balancing.md.

    .venv/bin/python bench/site_balancing.py --chargers 4 200 --repeats 5

Everything runs in this process on loopback: `PlatformApp` on SQLite (in a temporary folder)
and N minimal chargers (raw OCPP-J over websockets: they answer every call Accepted and note
when each live limit arrives). Measured, per N:

- **reaction**: the supply drops (every charger is cut, one round: flags and profile to each);
  seconds from the change to the last charger's new live limit, and process CPU in that time.
- **baseline, same run**: the same messages (a ProfileFlags and a ChargePointMaxProfile per
  charger, through the same Commander) pushed to the N chargers without any deciding: what
  the transport alone costs. The ratio reaction / baseline is what balancing adds.
- **idle round**: CPU of a round where nothing changed (the lease, the queries, the decision).
- **decision**: `allocate` alone, in microseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect

from smartcharge.ocpp import uk_extension
from smartcharge.platform.app import PlatformApp, tune_gc
from smartcharge.platform.config import PlatformSettings
from smartcharge.platform.registry import add_charger
from smartcharge.platform.services.site_balancer import LIVE_ID, LIVE_LEVEL, max_profile
from smartcharge.platform.services.site_balancing import Point, Site, allocate


class Charger:
    """A minimal charger: answers every CALL Accepted; notes each live limit and when."""

    def __init__(self, identity: str) -> None:
        self.identity = identity
        self.live: list[tuple[float, float]] = []  # (perf_counter, A)
        self.ws: ClientConnection | None = None

    async def open(self, url: str, password: str) -> None:
        token = base64.b64encode(f"{self.identity}:{password}".encode()).decode()
        self.ws = await connect(
            f"{url}/{self.identity}",
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            additional_headers={"Authorization": f"Basic {token}"},
        )
        now = datetime.now(UTC).isoformat()
        boot = {"chargePointModel": "B", "chargePointVendor": "B"}
        status = {"connectorId": 1, "errorCode": "NoError", "status": "Charging", "timestamp": now}
        for n, (action, payload) in enumerate(
            [("BootNotification", boot), ("StatusNotification", status)]
        ):
            await self.ws.send(orjson.dumps([2, f"{self.identity}-{n}", action, payload]).decode())
            await self.ws.recv()
        asyncio.get_running_loop().create_task(self.serve())

    async def serve(self) -> None:
        assert self.ws is not None
        async for raw in self.ws:
            msg = orjson.loads(raw)
            if msg[0] != 2:
                continue
            if msg[2] == "SetChargingProfile":
                profile = msg[3]["csChargingProfiles"]
                if profile["chargingProfileId"] == LIVE_ID:
                    limit = profile["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"]
                    self.live.append((time.perf_counter(), float(limit)))
            await self.ws.send(orjson.dumps([3, msg[1], {"status": "Accepted"}]).decode())


async def until(check: Any, timeout: float = 120.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.002)


async def measure(n: int, repeats: int, folder: Path) -> dict[str, Any]:
    settings = PlatformSettings(
        data_dir=folder,
        host="127.0.0.1",
        port=0,
        security_profile=1,
        node_id="bench",
        api_host="127.0.0.1",
        api_port=0,
    )
    app = PlatformApp(settings)
    await app.start()
    try:
        return await _measure(app, n, repeats)
    finally:
        await app.stop()


async def _measure(app: PlatformApp, n: int, repeats: int) -> dict[str, Any]:
    url = f"ws://127.0.0.1:{app.ocpp.port}/ocpp"
    chargers = [Charger(f"S{i:04d}") for i in range(n)]
    for c in chargers:
        password = (await add_charger(app.store, c.identity, site="bench")).password
        await c.open(url, password)
    site_id = await app.store.sites.site_id("bench")
    assert site_id is not None
    members = {m.identity: m.charger_id for m in await app.store.sites.members(site_id)}
    high, low = 12.0, 9.0  # A per charger: the supply is set for these shares

    async def change(share: float) -> tuple[float, float]:
        """Set the supply for `share` each; (seconds, CPU seconds) until every charger has it."""
        cpu, t0 = time.process_time(), time.perf_counter()
        await app.store.sites.set_supply(
            site_id,
            limit_a=(share * n,) * 3,  # type: ignore[arg-type]
            other_load_a=(0.0, 0.0, 0.0),
            fallback_a=6.0,
            at=datetime.now(UTC),
        )
        app.balancer.changed(site_id)
        await until(lambda: all(c.live and c.live[-1][1] == share for c in chargers))
        last = max(next(t for t, a in reversed(c.live) if a == share) for c in chargers)
        return last - t0, time.process_time() - cpu

    async def baseline() -> tuple[float, float]:
        """The same messages through the same Commander, nothing decided."""
        cpu, t0 = time.process_time(), time.perf_counter()
        flags = {
            "chargingProfileId": LIVE_ID,
            "cause": "load_balancing",
            "alreadyRandomised": False,
        }
        request = max_profile(LIVE_ID + 90, LIVE_LEVEL + 1, 32.0, datetime.now(UTC))

        async def one(identity: str, charger_id: int) -> None:
            await app.commander.uk(
                identity, charger_id, uk_extension.PROFILE_FLAGS, flags, user_id=None
            )
            await app.commander.send(
                identity, charger_id, "SetChargingProfile", request, user_id=None
            )

        await asyncio.gather(*(one(i, cid) for i, cid in members.items()))
        return time.perf_counter() - t0, time.process_time() - cpu

    # Warm up: the first shares reached (ramp from each charger's maximum: one cut).
    await change(high)
    drops, rises, bases = [], [], []
    for _ in range(repeats):
        bases.append(await baseline())
        drops.append(await change(low))
        rises.append(await change(high))  # +3 A: one ramp step
    cpu = time.process_time()
    rounds = 20
    for _ in range(rounds):
        await app.balancer.balance_all()
    idle_cpu = (time.process_time() - cpu) / rounds
    points = [Point(c.identity, max_a=32.0, priority=i % 3) for i, c in enumerate(chargers)]
    site = Site(limit_a=(high * n,) * 3)  # type: ignore[arg-type]
    t0, loops = time.perf_counter(), 50
    for _ in range(loops):
        allocate(site, points)
    decide_us = (time.perf_counter() - t0) / loops * 1e6

    def med(xs: list[tuple[float, float]], k: int) -> float:
        return statistics.median(x[k] for x in xs)

    return {
        "chargers": n,
        "drop_s": med(drops, 0),
        "drop_max_s": max(x[0] for x in drops),
        "drop_cpu_s": med(drops, 1),
        "rise_s": med(rises, 0),
        "baseline_s": med(bases, 0),
        "baseline_cpu_s": med(bases, 1),
        "drop_vs_baseline": med(drops, 0) / med(bases, 0),
        "cpu_vs_baseline": med(drops, 1) / med(bases, 1),
        "idle_round_cpu_ms": idle_cpu * 1e3,
        "decide_us": decide_us,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chargers", type=int, nargs="+", default=[4, 200])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    tune_gc()  # as `platform serve`
    for n in args.chargers:
        with tempfile.TemporaryDirectory() as folder:
            result = await measure(n, args.repeats, Path(folder))
        result["load_average"] = os.getloadavg()[0]
        print(
            json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in result.items()})
        )


if __name__ == "__main__":
    asyncio.run(main())
