"""A card blocked while our charger was offline is refused once the charger is back (issue 14
item 4): the charger decides from its local list (LocalPreAuthorize), so only the platform
bringing that list in step on the reconnect can stop the card."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import httpx
import pytest
from api_harness import logged_in, set_password
from link_cut import CuttableLink
from platform_harness import Platform
from sqlalchemy import func, select
from test_chargepoint_against_platform import our_charge_point
from waiting import until

from smartcharge.platform.store.models import Transaction

OWNER = "owner@example.org"


async def test_a_card_blocked_while_the_charger_was_offline_is_refused_once_it_is_back(
    platform: Platform, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    password = await platform.add("SC-1", owner=OWNER)
    link = await CuttableLink(platform.app.ocpp.port).start()
    app = our_charge_point(
        platform, password, tmp_path, csms_url=f"ws://127.0.0.1:{link.port}/ocpp"
    )
    task = asyncio.ensure_future(app.run())
    store, ocpp = platform.store, platform.app.ocpp
    try:
        await ocpp.wait_connected("SC-1", timeout=20)
        # The charger decides from its own list, without asking, for cards it knows.
        answer = await ocpp.send(
            "SC-1", "ChangeConfiguration", {"key": "LocalPreAuthorize", "value": "true"}
        )
        assert answer == {"status": "Accepted"}
        station = app.station
        assert station is not None
        async with logged_in(platform, OWNER, await set_password(platform, OWNER)) as owner:
            r = await owner.post("/api/cards", json={"id_tag": "CARD", "name": "Mine"})
            assert r.status_code == 201, r.text
            await until(lambda: recorded(owner, "full list v1 accepted"))
            assert (station.auth.known("CARD") or {}).get("status") == "Accepted"

            await link.cut()  # the charger's network is gone
            await until(lambda: _offline(platform))
            r = await owner.patch("/api/cards/CARD", json={"blocked": True})
            assert r.status_code == 200 and r.json()["status"] == "Blocked"
            # The charger could not be told: its list still lets the card through.
            assert (station.auth.known("CARD") or {}).get("status") == "Accepted"

            await link.restore()  # back: the platform brings its list in step first
            await until(lambda: (station.auth.known("CARD") or {}).get("status") == "Blocked")
            # The cache that may hold it was cleared too.
            await until(lambda: recorded(owner, "differential list v2 accepted; cache cleared"))

        app.hardware.plug(1, battery_kwh=50.0, soc=30.0, max_power_w=11000.0)
        app.hardware.present_card("CARD")
        await until(lambda: any("card rejected: Blocked" in r.getMessage() for r in caplog.records))
        async with store.engine.connect() as conn:
            assert await conn.scalar(select(func.count()).select_from(Transaction)) == 0
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await link.cut()


async def recorded(client: httpx.AsyncClient, outcome: str) -> bool:
    """Whether the platform has recorded this outcome of SC-1's local list (the record follows
    the charger's answer, so the charger may hold the list a moment before)."""
    state = (await client.get("/api/chargers/SC-1/local-list")).json()
    return bool(state["outcome"] == outcome)


async def _offline(platform: Platform) -> bool:
    return await platform.store.chargers.connected_node("SC-1") is None
