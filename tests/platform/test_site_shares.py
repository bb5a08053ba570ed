"""What each charger of a site gets (issue 14 item 5), as `ocpp`-package chargers are sent it:
- measured current: a charger whose car draws well below what it is offered (its MeterValues:
  Current.Import per phase, Current.Offered) is cut to its draw plus a margin and the headroom
  goes to the others; when its car rises to its limit it is shared for again, the others cut
  first;
- a share per connector with a car: a two-connector charger with one car gets one share, with
  two cars two (its limit their sum).
Every limit the chargers are sent is logged in one order, and the site is within its supply at
every step."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_harness import UkPeer, user_client
from ocpp.routing import on
from ocpp.v16 import call, call_result
from platform_harness import Peer, Platform
from test_site_balancer import OpenPeer, charging, live, status, until

from smartcharge.ocpp.times import format_time
from smartcharge.platform.services.site_balancer import LIVE_ID

_samples = itertools.count(1)
SENT: list[
    tuple[str, float]
] = []  # (identity, live limit) in the order the site's chargers got them


class LoggingPeer(UkPeer):
    @on("SetChargingProfile")
    async def on_set_charging_profile(
        self, connector_id: int, cs_charging_profiles: dict[str, Any], **_: Any
    ) -> call_result.SetChargingProfile:
        if cs_charging_profiles["charging_profile_id"] == LIVE_ID:
            period = cs_charging_profiles["charging_schedule"]["charging_schedule_period"][0]
            SENT.append((self.id, float(period["limit"])))
        return await super().on_set_charging_profile(connector_id, cs_charging_profiles)


async def report(platform: Platform, peer: Peer, drawn: float, offered: float) -> None:
    """A meter sample: `drawn` on each of three phases, `offered` to the car; then the balancer
    is woken (it would look within 2 s on its own)."""
    values = [
        {"value": f"{drawn:.1f}", "measurand": "Current.Import", "phase": ph, "unit": "A"}
        for ph in ("L1", "L2", "L3")
    ]
    values.append({"value": f"{offered:.1f}", "measurand": "Current.Offered", "unit": "A"})
    at = datetime.now(UTC) + timedelta(milliseconds=next(_samples))  # each its own sample
    sample = [{"timestamp": format_time(at), "sampled_value": values}]
    await peer.call(call.MeterValues(connector_id=1, meter_value=sample))
    platform.app.balancer.changed(0)


def within_supply(supply_a: float) -> bool:
    """At every step of the log, the limits the chargers hold together fit the supply."""
    held: dict[str, float] = {}
    for identity, limit in SENT:
        held[identity] = limit
        if sum(held.values()) > supply_a + 1e-6:
            return False
    return True


@pytest.mark.both_databases
async def test_headroom_a_car_leaves_is_shared_and_taken_back_when_it_rises(
    platform: Platform, peers: OpenPeer
) -> None:
    SENT.clear()
    for name in ("M-1", "M-2"):
        await platform.add(name, site="depot")
    a = await peers(platform, "M-1", cls=LoggingPeer)
    b = await peers(platform, "M-2", cls=LoggingPeer)
    for peer in (a, b):
        await charging(peer)
    async with user_client(platform, "op@example.org", "operator") as op:
        supply = {"limit_a": [32, 32, 32], "fallback_a": 0}
        r = await op.put("/api/sites/depot/supply", json=supply)
        assert r.status_code == 200, r.text
    await until(lambda: live(a) == 16 and live(b) == 16)

    # A's car takes 6 A of the 16 offered: A is cut to 8 A (6 + the 2 A margin), B rises to 24.
    await report(platform, a, drawn=6.0, offered=16.0)
    await until(lambda: live(a) == 8)
    await until(lambda: live(b) == 24)
    # A steady car inside the margin keeps its limit: no swing.
    await report(platform, a, drawn=6.2, offered=8.0)
    rounds = platform.app.balancer.rounds
    platform.app.balancer.changed(0)
    await until(lambda: platform.app.balancer.rounds > rounds + 1)
    assert live(a) == 8 and live(b) == 24

    # A's car rises to its limit: it may want more, so it is shared for again. B is cut back
    # first (at once), A's increase follows in ramp steps.
    shared = len(SENT)
    await report(platform, a, drawn=7.6, offered=8.0)
    await until(lambda: live(a) == 16 and live(b) == 16)
    assert within_supply(32), SENT
    after = SENT[shared:]
    cut = after.index(("M-2", 16.0))
    assert all(who == "M-2" or limit <= 8 for who, limit in after[:cut]), SENT


@pytest.mark.both_databases
async def test_shares_are_per_connector_a_car_each(platform: Platform, peers: OpenPeer) -> None:
    """TWIN has two connectors, SOLO one; 48 A. One car at TWIN: two cars on the site, two
    shares (24 A each). A second car at TWIN: three shares of 16 A, TWIN's limit the sum of
    its two."""
    SENT.clear()
    for name in ("TWIN", "SOLO"):
        await platform.add(name, site="depot")
    twin = await peers(platform, "TWIN", cls=LoggingPeer)
    solo = await peers(platform, "SOLO", cls=LoggingPeer)
    await status(twin, 1, "Charging")
    await status(twin, 2, "Available")
    await charging(solo)
    async with user_client(platform, "op@example.org", "operator") as op:
        r = await op.put("/api/sites/depot/supply", json={"limit_a": [48] * 3, "fallback_a": 0})
        assert r.status_code == 200, r.text
    await until(lambda: live(twin) == 24 and live(solo) == 24)
    await status(twin, 2, "Preparing")
    platform.app.balancer.changed(0)
    await until(lambda: live(twin) == 32 and live(solo) == 16)
    assert within_supply(48), SENT  # SOLO cut before TWIN rose
