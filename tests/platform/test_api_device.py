"""/api/chargers/{identity}/device-info and /factory-reset (R35, R38) over real HTTP, with an
`ocpp`-package charge point as the peer: who may ask, what the charger is told."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from api_harness import UkPeer, add_user, logged_in, set_password, user_client
from platform_harness import Peer, Platform

from smartcharge.ocpp import uk_extension

OpenPeer = Callable[..., Awaitable[Peer]]


async def test_device_info_for_anyone_in_scope_factory_reset_for_owner_or_admin_only(
    platform: Platform, peers: OpenPeer
) -> None:
    await platform.add("HOME-9", owner="owner@example.org")
    await platform.add("W-9", site="Depot")
    home = await peers(platform, "HOME-9", cls=UkPeer)
    work = await peers(platform, "W-9", cls=UkPeer)
    for identity in ("HOME-9", "W-9"):
        await platform.app.ocpp.wait_connected(identity)
    owner_password = await add_user(platform, "owner2@example.org", "owner")
    async with user_client(platform, "u@example.org", "workplace_user", site="Depot") as user:
        r = await user.get("/api/chargers/W-9/device-info")
        assert r.status_code == 200 and r.json()["status"] == "Accepted"
        assert work.cp.received[-1] == (uk_extension.GET_DEVICE_INFO, {})
        r = await user.post("/api/chargers/W-9/factory-reset")
        assert r.status_code == 403 and work.cp.received[-1][0] == uk_extension.GET_DEVICE_INFO
        assert (await user.post("/api/chargers/W-9/uk/FactoryReset", json={})).status_code == 422
    async with user_client(platform, "a@example.org", "workplace_admin", site="Depot") as admin:
        r = await admin.post("/api/chargers/W-9/factory-reset")
        assert r.status_code == 200 and r.json()["status"] == "Accepted"
        assert work.cp.received[-1] == (uk_extension.FACTORY_RESET, {"by": "administrator"})
        assert (await admin.post("/api/chargers/HOME-9/factory-reset")).status_code == 404
    async with user_client(platform, "ops@example.org", "operator") as operator:
        assert (await operator.post("/api/chargers/HOME-9/factory-reset")).status_code == 403
        # Not through the generic route either: it checks nobody's role for this message.
        r = await operator.post("/api/chargers/HOME-9/uk/FactoryReset", json={"by": "owner"})
        assert r.status_code == 422
    assert [m for m, _ in home.cp.received] == []
    async with logged_in(platform, "owner2@example.org", owner_password) as stranger:
        assert (await stranger.post("/api/chargers/HOME-9/factory-reset")).status_code == 404
    password = await set_password(platform, "owner@example.org")
    async with logged_in(platform, "owner@example.org", password) as owner:
        r = await owner.post("/api/chargers/HOME-9/factory-reset")
        assert r.status_code == 200 and home.cp.received == [
            (uk_extension.FACTORY_RESET, {"by": "owner"})
        ]
        log = (await owner.get("/api/chargers/HOME-9/commands")).json()
        assert [(c["action"], c["outcome"]) for c in log] == [("DataTransfer", "answered")]
