"""The balancing loop against chargers speaking OCPP over loopback (the `ocpp` package's charge
point as independent peer): a site's supply shared as ChargePointMaxProfiles, each live limit
flagged `load_balancing` (R24: an increase is a relevant time, a decrease applies at once), a
fallback every charger holds, decreases before increases, an offline charger's share reserved.
Every verdict waits for what the chargers were sent."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any

from api_harness import UkPeer, user_client
from ocpp.v16 import call
from platform_harness import Peer, Platform, now_iso
from waiting import until

from smartcharge.platform.services.site_balancer import FALLBACK_ID, LIVE_ID

OpenPeer = Callable[..., Awaitable[Peer]]
URL = "/api/sites/depot/supply"


def limits(peer: Peer, profile_id: int) -> list[float]:
    """Every limit `peer` was sent in profile `profile_id`, in order."""
    cp: Any = peer.cp
    return [
        float(p["charging_schedule"]["charging_schedule_period"][0]["limit"])
        for action, p in cp.received
        if action == "SetChargingProfile" and p["charging_profile_id"] == profile_id
    ]


def live(peer: Peer) -> float | None:
    sent = limits(peer, LIVE_ID)
    return sent[-1] if sent else None


async def charging(peer: Peer) -> None:
    await peer.call(
        call.StatusNotification(
            connector_id=1, error_code="NoError", status="Charging", timestamp=now_iso()
        )
    )


async def status(peer: Peer, connector: int, state: str) -> None:
    await peer.call(
        call.StatusNotification(
            connector_id=connector, error_code="NoError", status=state, timestamp=now_iso()
        )
    )


async def test_r24_a_sites_supply_is_shared_flagged_and_never_exceeded(
    platform: Platform, peers: OpenPeer
) -> None:
    names = [f"D-{n}" for n in range(4)]
    for name in names:
        await platform.add(name, site="depot")
    fleet = [await peers(platform, name, cls=UkPeer) for name in names]
    for peer in fleet:
        await charging(peer)
    async with user_client(platform, "op@example.org", "operator") as op:
        r = await op.put(URL, json={"limit_a": [50, 50, 50], "other_load_a": [10, 0, 0]})
        assert r.status_code == 200, r.text
        # 40 A left on L1 shared by four: 10 A each, reached in ramp steps (6 A, then +4 A).
        await until(lambda: all(live(p) == 10 for p in fleet))
        for peer in fleet:
            assert limits(peer, FALLBACK_ID) == [6]
            cp: Any = peer.cp
            flags = [d for m, d in cp.received if m == "ProfileFlags"]
            assert {f["chargingProfileId"] for f in flags} == {LIVE_ID, FALLBACK_ID}
            assert all(
                f["cause"] == "load_balancing" and f["alreadyRandomised"] is False for f in flags
            )
            # A live limit always comes after its flags.
            order = [
                m
                for m, d in cp.received
                if m == "ProfileFlags" or d.get("charging_profile_id") == LIVE_ID
            ]
            assert order[0] == "ProfileFlags"
            assert all(x <= 10 for x in limits(peer, LIVE_ID))

        # The supply drops: every charger is cut at once (no ramp down), 20 A shared by 3 (four
        # at 6 A would not fit: the fallback must be 0, paused, for the operator to set it).
        smaller = {"limit_a": [30, 30, 30], "other_load_a": [10, 0, 0], "fallback_a": 0}
        r = await op.put(URL, json=smaller)
        assert r.status_code == 200, r.text
        await until(lambda: sorted(live(p) or 0 for p in fleet)[0] == 0)
        await until(lambda: all(limits(p, FALLBACK_ID)[-1] == 0 for p in fleet))
        # The cuts reach the four chargers one message each: read the shares once all are in.
        await until(
            lambda: (
                sum(1 for p in fleet if live(p) and live(p) > 6) == 3
                and sum(live(p) or 0.0 for p in fleet) <= 20 + 1e-6
            )
        )
        shares = [live(p) or 0.0 for p in fleet]
        assert sum(shares) <= 20 + 1e-6 and sorted(shares)[0] == 0  # one paused, not at 5 A

        # One charger loses its link: its share stays reserved, the others do not take it.
        online = [p for p in fleet if (live(p) or 0) > 0]
        gone = online[0]
        reserved = live(gone) or 0.0
        await gone.ws.close()
        await until(lambda: gone.cp.id not in platform.app.ocpp.connections)
        r = await op.put(URL, json={"limit_a": [50, 50, 50], "other_load_a": [10, 0, 0]})
        assert r.status_code == 200, r.text
        rest = [p for p in fleet if p is not gone]
        # What is left after the reserve, shared by three, each reached in ramp steps.
        fair = math.floor((40 - reserved) / 3 * 10) / 10
        await until(lambda: all(live(p) == fair for p in rest))
        assert sum(live(p) or 0.0 for p in rest) + reserved <= 40
