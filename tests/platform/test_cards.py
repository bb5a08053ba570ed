"""Cards through the REST API (issue 14 item 4) and each charger's local list kept in step, with
the `ocpp` package's ChargePoint as the charger: SendLocalList differential with versions, full
on a version mismatch or a charger that lost its list, ClearCache when a card is blocked or
removed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_harness import logged_in, set_password, user_client
from ocpp.routing import on
from ocpp.v16 import call, call_result
from platform_harness import Peer, PeerChargePoint, Platform
from waiting import until

OpenPeer = Callable[..., Awaitable[Peer]]
OWNER = "owner@example.org"


class ListPeer(PeerChargePoint):
    """Keeps a local list as a charger does, and reports each list update and cache clear."""

    def __init__(self, id: str, connection: Any) -> None:
        super().__init__(id, connection)
        self.version = 0
        self.local: dict[str, dict[str, Any]] = {}
        self.mismatch_once = False
        self.events: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()

    @on("GetLocalListVersion")
    async def on_get_version(self, **_: Any) -> call_result.GetLocalListVersion:
        return call_result.GetLocalListVersion(list_version=self.version)

    @on("SendLocalList")
    async def on_send_local_list(
        self, list_version: int, update_type: str, local_authorization_list: Any = (), **_: Any
    ) -> call_result.SendLocalList:
        if update_type == "Differential" and self.mismatch_once:
            self.mismatch_once = False
            return call_result.SendLocalList(status="VersionMismatch")
        entries = {e["id_tag"]: e.get("id_tag_info") for e in local_authorization_list}
        if update_type == "Full":
            self.local = {}
        for tag, info in entries.items():
            if info is None:
                self.local.pop(tag, None)
            else:
                self.local[tag] = info
        self.version = list_version
        await self.events.put((update_type, list_version, entries))
        return call_result.SendLocalList(status="Accepted")

    @on("ClearCache")
    async def on_clear_cache(self, **_: Any) -> call_result.ClearCache:
        await self.events.put(("ClearCache",))
        return call_result.ClearCache(status="Accepted")


async def next_event(peer: Peer) -> tuple[Any, ...]:
    assert isinstance(peer.cp, ListPeer)
    return await asyncio.wait_for(peer.cp.events.get(), 15)


async def connect(platform: Platform, peers: OpenPeer, identity: str = "CP-1") -> Peer:
    peer = await peers(platform, identity, cls=ListPeer)
    await peer.call(call.Heartbeat())  # it has spoken: the platform brings its list in step
    return peer


async def owners_charger(platform: Platform, peers: OpenPeer) -> Peer:
    """CP-1 of OWNER (whose password goes into `platform.passwords`), connected and heard."""
    await platform.add("CP-1", owner=OWNER)
    platform.passwords[OWNER] = await set_password(platform, OWNER)
    return await connect(platform, peers)


async def test_owners_cards_reach_their_charger_as_differential_updates_with_versions(
    platform: Platform, peers: OpenPeer
) -> None:
    peer = await owners_charger(platform, peers)
    async with logged_in(platform, OWNER, platform.passwords[OWNER]) as owner:
        # No card yet: nothing to send (and nothing asked or written on the connection).
        r = await owner.post("/api/chargers/CP-1/local-list/sync")
        assert r.json() == {"identity": "CP-1", "outcome": "nothing to keep in step"}
        r = await owner.post("/api/cards", json={"id_tag": "04A1B2C3", "name": "Anna's card"})
        assert r.status_code == 201, r.text
        assert r.json()["status"] == "Accepted" and r.json()["owner"] == OWNER
        assert await next_event(peer) == ("Full", 1, {"04A1B2C3": {"status": "Accepted"}})

        r = await owner.post("/api/cards", json={"id_tag": "04D4E5F6", "name": "Ben's"})
        assert await next_event(peer) == ("Differential", 2, {"04D4E5F6": {"status": "Accepted"}})

        # Blocked: the charger's list says so (a charger deciding locally refuses it), and
        # its cache is cleared.
        r = await owner.patch("/api/cards/04A1B2C3", json={"blocked": True})
        assert r.status_code == 200 and r.json()["status"] == "Blocked"
        assert await next_event(peer) == ("Differential", 3, {"04A1B2C3": {"status": "Blocked"}})
        assert await next_event(peer) == ("ClearCache",)

        # Renaming changes nothing on the charger; the owner may not set an expiry date.
        r = await owner.patch("/api/cards/04D4E5F6", json={"name": "Ben (van)"})
        assert r.status_code == 200 and r.json()["name"] == "Ben (van)"
        r = await owner.patch("/api/cards/04D4E5F6", json={"expiry_date": "2030-01-01T00:00:00Z"})
        assert r.status_code == 403

        async with user_client(platform, "op@example.org", "operator") as op:
            expiry = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
            r = await op.patch(
                "/api/cards/04D4E5F6",
                json={"expiry_date": expiry.isoformat(), "parent_id_tag": "FAMILY"},
            )
            assert r.status_code == 200, r.text
            kind, version, entries = await next_event(peer)
            assert (kind, version) == ("Differential", 4)
            info = entries["04D4E5F6"]
            assert info["parent_id_tag"] == "FAMILY" and info["expiry_date"].startswith(
                expiry.strftime("%Y-%m-%dT%H:%M:%S")
            )
            assert await next_event(peer) == ("ClearCache",)
            assert len((await op.get("/api/cards")).json()) == 2  # an operator sees all

        r = await owner.delete("/api/cards/04A1B2C3")
        assert r.status_code == 204
        assert await next_event(peer) == ("Differential", 5, {"04A1B2C3": None})
        assert await next_event(peer) == ("ClearCache",)
        assert set(peer.cp.local) == {"04D4E5F6"}  # type: ignore[attr-defined]
        state = (await owner.get("/api/chargers/CP-1/local-list")).json()
        assert state["version"] == 5 and state["cards"] == 1


async def test_a_version_mismatch_or_a_charger_that_lost_its_list_gets_the_full_list(
    platform: Platform, peers: OpenPeer
) -> None:
    peer = await owners_charger(platform, peers)
    async with logged_in(platform, OWNER, platform.passwords[OWNER]) as owner:
        await owner.post("/api/cards", json={"id_tag": "CARD-A"})
        assert (await next_event(peer))[:2] == ("Full", 1)
        peer.cp.mismatch_once = True  # type: ignore[attr-defined]
        await owner.post("/api/cards", json={"id_tag": "CARD-B"})
        kind, version, entries = await next_event(peer)
        assert (kind, version, set(entries)) == ("Full", 3, {"CARD-A", "CARD-B"})

        async def confirmed() -> bool:  # the charger's answer reached the platform and is kept
            state = (await owner.get("/api/chargers/CP-1/local-list")).json()
            return bool(state["version"] == 3)

        # Closed only then: a list the platform never heard accepted is not the charger's.
        await until(confirmed, what="version 3 recorded")
        # A charger replaced (or reset) reconnects with no list: it gets all of it.
        await peer.ws.close()
        fresh = await connect(platform, peers)
        kind, version, entries = await next_event(fresh)
        assert (kind, version, set(entries)) == ("Full", 4, {"CARD-A", "CARD-B"})


async def test_cards_are_private_and_ids_unique(platform: Platform, peers: OpenPeer) -> None:
    await platform.add("CP-1", owner=OWNER)
    password = await set_password(platform, OWNER)
    async with logged_in(platform, OWNER, password) as owner:
        assert (await owner.post("/api/cards", json={"id_tag": "04A1"})).status_code == 201
        async with user_client(platform, "other@example.org", "owner") as other:
            assert (await other.get("/api/cards/04A1")).status_code == 404
            assert (await other.patch("/api/cards/04A1", json={"blocked": True})).status_code == 404
            assert (await other.delete("/api/cards/04A1")).status_code == 404
            assert (await other.get("/api/cards")).json() == []
            r = await other.post("/api/cards", json={"id_tag": "04A1"})
            assert r.status_code == 409 and OWNER not in r.text
            # The platform's own remote-start tags are not cards anyone can add or see.
            assert (await other.post("/api/cards", json={"id_tag": "WEB-1"})).status_code == 422
        async with user_client(platform, "agg@example.org", "aggregator") as agg:
            assert (await agg.get("/api/cards")).status_code == 403
    card = await platform.store.cards.get("04A1")
    assert card is not None and card["status"] == "Accepted"


@pytest.mark.parametrize(
    "body",
    [
        {"id_tag": ""},
        {"id_tag": "has space"},
        {"id_tag": "x" * 21},
        {"id_tag": "TAB\tTAG"},
        {"id_tag": "OK", "name": "line\nbreak"},
        {"id_tag": "OK", "name": "n" * 51},
        {"id_tag": "OK", "unknown": 1},
        {"id_tag": "OK", "expiry_date": "tomorrow"},
        {"id_tag": "OK", "expiry_date": "2030-01-01T00:00:00"},  # no time zone
        {"id_tag": 12},
        {"id_tag": "OK", "owner": "owner@example.org"},  # an owner may not give cards away
    ],
)
async def test_bad_cards_are_refused_and_nothing_is_stored(
    platform: Platform, body: dict[str, Any]
) -> None:
    async with user_client(platform, OWNER, "owner") as owner:
        r = await owner.post("/api/cards", json=body)
        assert r.status_code in (403, 422), r.text
        assert isinstance(r.json()["detail"], str | list)
        assert (await owner.get("/api/cards")).json() == []
    assert await platform.store.cards.listed(everyone=True) == []
