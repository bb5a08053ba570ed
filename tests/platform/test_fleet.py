"""Fleet actions fan out in parallel with bounded concurrency (issue 17 item 4): a fleet
charging profile reaches several chargers at once, never more than the bound at a time, with
each charger's own outcome in the targets' order — over real websockets, with our RPC layer
as each charger. The proof of parallelism is behavioural: each charger holds its answer to
SetChargingProfile until `BOUND` of them are waiting together, which a one-at-a-time sender
could never bring about (it would end in timeouts, failing the outcome check)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any

from api_harness import add_user, answering_charger
from platform_harness import Platform

from smartcharge.platform.services import fleet
from smartcharge.platform.services.access import Caller
from smartcharge.platform.store.accounts import TokenInfo

N, BOUND = 5, 2
PROFILE = {
    "chargingProfileId": 41,
    "stackLevel": 1,
    "chargingProfilePurpose": "TxDefaultProfile",
    "chargingProfileKind": "Absolute",
    "chargingSchedule": {
        "chargingRateUnit": "A",
        "startSchedule": "2026-12-01T00:30:00Z",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}],
    },
}


async def _operator(platform: Platform, email: str) -> Caller:
    await add_user(platform, email, "operator")
    found = await platform.store.accounts.login_record(email)
    assert found is not None
    return Caller(found[0], TokenInfo(0, "session", None, datetime.now(UTC), None), False)


async def _send(
    platform: Platform, who: Caller, targets: dict[str, int], **kw: Any
) -> list[fleet.FleetOutcome]:
    ctx = platform.app.api_context
    return await fleet.send_profile(
        ctx, who, targets, PROFILE, connector_id=0, cause="tariff", **kw
    )


async def test_r26_a_fleet_profile_goes_out_in_parallel_within_the_bound(
    platform: Platform,
) -> None:
    identities = [f"FL-{i}" for i in range(N)]
    for identity in identities:
        await platform.add(identity)
    operator = await _operator(platform, "op@example.org")

    in_flight, peak, arrived = 0, 0, 0
    order: list[str] = []
    changed = asyncio.Condition()

    def holding(identity: str) -> Any:
        async def answer(_payload: dict[str, Any]) -> dict[str, Any]:
            nonlocal in_flight, peak, arrived
            async with changed:
                in_flight += 1
                arrived += 1
                peak = max(peak, in_flight)
                order.append(identity)
                changed.notify_all()
                # Held until the bound is reached together (or this is the last one).
                await changed.wait_for(lambda: in_flight >= BOUND or arrived == N)
                in_flight -= 1
                changed.notify_all()
            return {"status": "Accepted"}

        return answer

    async with contextlib.AsyncExitStack() as stack:
        for identity in identities:
            charger = await stack.enter_async_context(answering_charger(platform, identity))
            charger.route("SetChargingProfile", holding(identity), raw=True)
        targets = {i: await platform.charger_id(i) for i in identities}
        outcomes = await _send(platform, operator, targets, spread_s=600, concurrency=BOUND)

    assert [(o.charger, o.outcome, o.status) for o in outcomes] == [
        (i, "answered", "Accepted") for i in identities
    ]
    assert peak == BOUND  # reached together, and never more at once
    assert sorted(order) == identities
    assert all(0 <= o.offset_s <= 600 for o in outcomes)


async def test_one_offline_charger_has_its_own_outcome(platform: Platform) -> None:
    for identity in ("ON-1", "OFF-1"):
        await platform.add(identity)
    operator = await _operator(platform, "op2@example.org")
    targets = {i: await platform.charger_id(i) for i in ("ON-1", "OFF-1")}
    async with answering_charger(platform, "ON-1"):
        outcomes = await _send(platform, operator, targets, spread_s=0)
    assert [(o.charger, o.outcome, o.status, o.offset_s) for o in outcomes] == [
        ("ON-1", "answered", "Accepted", 0.0),
        ("OFF-1", "offline", None, 0.0),
    ]


async def test_fan_out_keeps_order_and_bound_for_more_items_than_workers() -> None:
    running, peak = 0, 0
    gate = asyncio.Event()

    async def work(n: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        if running == 3:
            gate.set()
        await gate.wait()  # the first three wait for each other: three really run at once
        running -= 1
        return n * n

    assert await fleet.fan_out(list(range(20)), work, concurrency=3) == [n * n for n in range(20)]
    assert peak == 3
    assert await fleet.fan_out([], work, concurrency=3) == []
