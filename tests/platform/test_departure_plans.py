"""A departure plan end to end (issue 13 item 1): the platform asks our own charge point for its
state, plans, and the charger holds the plan as a TxDefaultProfile it knows is the owner's
schedule (cause user_schedule, R24); the plan keeper plans again when the tariff changes, when
the car arrives, and when a departure passes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from platform_harness import Platform, SharedClock
from test_chargepoint_against_platform import our_charge_point, until

from smartcharge.ocpp import uk_extension
from smartcharge.platform.services import plan_keeper
from smartcharge.platform.services.departure_plans import replan, to_spec
from smartcharge.platform.services.departure_profile import profile_id
from smartcharge.platform.services.departures import Departure
from smartcharge.regulations import Cause
from smartcharge.sim.clock import SimulatedClock

SPEED = 20.0


async def _platform_and_charger(
    make_platform: Callable[..., Awaitable[Platform]], tmp_path: Path, **extra: Any
) -> tuple[Platform, Any, datetime]:
    """A platform whose plan keeper waits for the test, and our own charge point on the same
    simulated wall time, 20 times faster than real time (so a plan's profile is in force on the
    charger when the platform says, and the next whole minute is 3 s away at most)."""
    start = datetime.now(UTC).replace(microsecond=0)
    clock = SimulatedClock(start, SPEED)
    platform = await make_platform(clock=SharedClock(clock), plan_keeper_interval_s=3600)
    password = await platform.add("SC-1")
    simulator = {"speed": SPEED, "start_time": start.isoformat()}
    return (
        platform,
        our_charge_point(platform, password, tmp_path, clock=clock, simulator=simulator, **extra),
        start,
    )


async def test_r24_a_departure_plan_reaches_the_charger_and_is_kept_true(
    make_platform: Callable[..., Awaitable[Platform]], tmp_path: Path
) -> None:
    platform, app, start = await _platform_and_charger(make_platform, tmp_path)
    task = asyncio.ensure_future(app.run())
    ctx: Any = platform.app.api_context
    records = platform.store.owner_records
    try:
        await platform.app.ocpp.wait_connected("SC-1", timeout=15)
        cid = await platform.charger_id("SC-1")
        ready = (start + timedelta(hours=10)).astimezone(UTC)
        every_day = Departure(ready.time().replace(second=0), tuple(range(7)), None, 7.0, 20.0)
        await records.set_departure(cid, 1, to_spec(every_day), at=platform.app.now())
        words = await replan(ctx, cid, "SC-1", user_id=None)
        assert words.startswith(("Expected 20 kWh by ", "Will not be ready by ")), words
        kept = await records.departure(cid)
        assert kept is not None and kept["promise"] == words and kept["power_kw"] == 7.0

        station = app.station
        assert station is not None
        mine = [e for e in station.profiles if e.profile.id == profile_id(1)]
        assert len(mine) == 1 and mine[0].connector_id == 1
        assert mine[0].profile.purpose == "TxDefaultProfile"
        assert station.controls.profile_flags(profile_id(1)).cause is Cause.USER_SCHEDULE

        # Nothing changed: nothing to do. A new tariff: planned again.
        assert await plan_keeper.tick(ctx) == []
        await records.set_tariff(cid, 30.0, [("01:00", "04:00", 5.0)], at=platform.app.now())
        assert await plan_keeper.tick(ctx) == [(cid, "tariff")]
        assert await plan_keeper.tick(ctx) == []

        # The car arrives: a session starts after the plan, so it is made again.
        await platform.store.id_tags.put("CARD", at=platform.app.now())
        app.hardware.plug(1, battery_kwh=60.0, soc=30.0, max_power_w=7000.0)
        await platform.app.commander.send(
            "SC-1", cid, "RemoteStartTransaction", {"idTag": "CARD", "connectorId": 1}, user_id=None
        )

        async def session() -> bool:
            return any(
                t["stopped_at"] is None for t in await platform.store.transactions.of_charger(cid)
            )

        await until(session, 40)
        assert await plan_keeper.tick(ctx) == [(cid, "arrival")]

        # The departure passed: the plan moves to the next one.
        await records.planned(cid, departure=platform.app.now() - timedelta(minutes=1))
        assert await plan_keeper.tick(ctx) == [(cid, "departure")]
        again = await records.departure(cid)
        assert again is not None and again["departure"] > platform.app.now()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_one_off_departure_that_passed_is_forgotten(platform: Platform) -> None:
    await platform.add("SC-2")
    cid = await platform.charger_id("SC-2")
    records = platform.store.owner_records
    past = Departure(time(7), (), datetime(2020, 1, 1).date(), 7.0, 10.0)
    await records.set_departure(cid, 1, to_spec(past), at=platform.app.now())
    assert await replan(platform.app.api_context, cid, "SC-2", user_id=None) == ""
    assert await records.departure(cid) is None


async def test_a_car_taking_less_power_than_planned_is_planned_again_at_its_power(
    make_platform: Callable[..., Awaitable[Platform]], tmp_path: Path
) -> None:
    platform, app, start = await _platform_and_charger(
        make_platform, tmp_path, charging={"random_delay_max_s": 0}
    )
    task = asyncio.ensure_future(app.run())
    ctx: Any = platform.app.api_context
    records = platform.store.owner_records
    try:
        await platform.app.ocpp.wait_connected("SC-1", timeout=15)
        cid = await platform.charger_id("SC-1")
        send = platform.app.commander
        await send.uk(
            "SC-1",
            cid,
            uk_extension.SET_DEFAULT_HOURS,
            {"mode": "removed", "by": "owner"},
            user_id=None,
        )
        await send.send(
            "SC-1",
            cid,
            "ChangeConfiguration",
            {"key": "MeterValueSampleInterval", "value": "1"},
            user_id=None,
        )
        # 40 kWh at 11 kW in 3 hours: the plan charges from now on.
        ready = (start + timedelta(hours=3)).time().replace(second=0)
        dep = Departure(ready, tuple(range(7)), None, 11.0, 40.0)
        await records.set_departure(cid, 1, to_spec(dep), at=platform.app.now())
        await replan(ctx, cid, "SC-1", user_id=None)
        await platform.store.id_tags.put("CARD", at=platform.app.now())
        app.hardware.plug(1, battery_kwh=80.0, soc=10.0, max_power_w=3000.0)  # a slow car
        start_remotely = {"idTag": "CARD", "connectorId": 1}
        await send.send("SC-1", cid, "RemoteStartTransaction", start_remotely, user_id=None)

        async def session() -> int | None:
            for t in await platform.store.transactions.of_charger(cid):
                if t["stopped_at"] is None:
                    return int(t["id"])
            return None

        await until(lambda: _some(session()), 40)
        assert await plan_keeper.tick(ctx) == [(cid, "arrival")]
        tx = await session()
        assert tx is not None

        async def flowing() -> bool:
            values = await platform.store.history.meter_values(tx)
            power = [v for v in values if v["measurand"] == "Power.Active.Import"]
            return sum(float(v["value"]) > 0 for v in power if v["phase"] is None) >= 4

        await until(flowing, 90)  # the plan's first run starts at the next whole minute
        done = await plan_keeper.tick(ctx)
        assert [why for _, why in done] == ["power"]
        kept = await records.departure(cid)
        assert kept is not None and kept["power_kw"] == pytest.approx(3.0, rel=0.15)
        assert kept["promise"].startswith("Will not be ready by")  # 40 kWh at 3 kW: too slow
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _some(found: Awaitable[int | None]) -> bool:
    return await found is not None
