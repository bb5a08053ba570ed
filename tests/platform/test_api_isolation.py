"""An owner sees and commands only their own chargers: a second owner gets 403 or 404 on every
route of the API that names a resource, and sees none of the first owner's data on the others.

The routes are enumerated from the app itself, so a new route cannot escape: one that this test
does not know how to classify fails it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_harness import UkPeer, add_user, logged_in, user_client
from platform_harness import Peer, Platform
from starlette.routing import Route

from smartcharge.ocpp import uk_extension

OpenPeer = Callable[..., Awaitable[Peer]]

# Routes without a resource in the path, and what a second owner must get there.
SELF = {  # about the caller only
    ("GET", "/"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/api/me"),
    ("POST", "/api/me/password"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/logout"),
    ("GET", "/api/auth/tokens"),
    ("POST", "/api/auth/tokens"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/files/{name}"),  # Swagger UI's files (no data); the page needs a login
    # The owner web app (tests/web): its pages about the caller.
    ("GET", "/app/login"),
    ("POST", "/app/login"),
    ("POST", "/app/logout"),
    ("GET", "/app/privacy"),
    ("POST", "/app/privacy/delete"),
    ("POST", "/api/cards"),  # a card of one's own
    ("POST", "/app/cards"),
}
COLLECTIONS = {  # lists filtered to the caller's chargers
    ("GET", "/api/chargers"),
    ("GET", "/api/sessions"),
    ("GET", "/api/reports/energy"),
    ("GET", "/api/reports/energy/last-12-months"),
    ("GET", "/app"),  # the web app's home and energy pages
    ("GET", "/app/energy"),
    ("GET", "/app/energy/sessions.csv"),
    ("GET", "/api/cards"),  # the caller's own cards
    ("GET", "/app/cards"),
    ("GET", "/app/dashboard"),  # the home page's live part
}
STREAMS = {  # server-sent events about the caller's chargers: the first event is read
    ("GET", "/app/dashboard/stream"),
}
OTHER_ROLES = {  # operators' and aggregators' routes: 403 for an owner
    ("POST", "/api/chargers"),
    ("GET", "/api/users"),
    ("POST", "/api/users"),
    ("GET", "/api/groups"),
    ("POST", "/api/groups"),
    ("GET", "/api/dsr/events"),
    ("POST", "/api/dsr/events"),
    ("POST", "/api/fleet/charging-profiles"),
    ("POST", "/app/firmware/releases"),  # the web app: an operator publishes firmware
    ("GET", "/api/certificates/charger-ca"),  # the CA that signs charger certificates
}


def routes(platform: Platform) -> list[tuple[str, str]]:
    """(method, path) of every route the app serves, included routers walked into."""
    found = []
    for route in _walk(platform.app.api.routes):
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                found.append((method, route.path))
    assert len(found) > 40
    return found


def _walk(routes: Sequence[Any]) -> Iterator[Route]:
    for route in routes:
        if isinstance(route, Route):
            yield route
        elif hasattr(route, "original_router"):  # FastAPI's included router (no prefix here)
            assert not getattr(route.include_context, "prefix", ""), route
            yield from _walk(route.original_router.routes)
        else:
            raise AssertionError(f"a route this test cannot enumerate: {route!r}")


@pytest.mark.both_databases
async def test_a_second_owner_gets_403_or_404_everywhere(
    platform: Platform, peers: OpenPeer
) -> None:
    await platform.add("A-1", owner="alice@example.org")
    await platform.add("B-1", owner="bob@example.org")
    peer = await peers(platform, "A-1", cls=UkPeer)
    await platform.app.ocpp.wait_connected("A-1")
    a_id = await platform.charger_id("A-1")
    now = datetime.now(UTC)
    session_id = await platform.store.transactions.start(
        a_id, connector_id=1, id_tag="ALICE", meter_start=0, started_at=now, at=now
    )
    await platform.store.history.add_security_event(
        a_id, type="TamperDetectionActivated", tech_info="lid", timestamp=now, received_at=now
    )
    alice = await platform.store.cards.owner_of("alice@example.org")
    await platform.store.cards.add("ALICE-CARD", at=now, owner_id=alice, status="Accepted")
    agg_password = await add_user(platform, "grid@example.org", "aggregator")
    async with user_client(platform, "op@example.org", "operator") as op:
        await op.post("/api/groups", json={"name": "south", "aggregator": "grid@example.org"})
        await op.put("/api/groups/south/chargers/A-1")
    async with logged_in(platform, "grid@example.org", agg_password) as agg:
        r = await agg.post(
            "/api/dsr/events",
            json={
                "chargers": ["A-1"],
                "kind": "response",
                "limit_a": 8,
                "start": (now + timedelta(hours=1)).isoformat(),
                "duration_s": 600,
            },
        )
        event_id = r.json()["id"]
    alice_password = await add_user(platform, "alice2@example.org", "owner")
    async with logged_in(platform, "alice2@example.org", alice_password) as alice_client:
        alice_token_id = (await alice_client.get("/api/auth/tokens")).json()[0]["id"]

    values = {
        "identity": "A-1",
        "session_id": str(session_id),
        "event_id": event_id,
        "token_id": str(alice_token_id),
        "action": "GetConfiguration",
        "message_id": uk_extension.GET_DEFAULT_HOURS,
        "name": "south",
        "id_tag": "ALICE-CARD",
    }
    sent_before = len(peer.cp.received)
    bob_password = await _password_for(platform, "bob@example.org")
    async with logged_in(platform, "bob@example.org", bob_password) as bob:
        # Positive control: Bob reaches his own charger, so the refusals below are about Alice.
        assert (await bob.get("/api/chargers/B-1")).status_code == 200
        unclassified, refused = [], 0
        for method, path in routes(platform):
            params = re.findall(r"{(\w+)}", path)
            if params:
                unknown = [p for p in params if p not in values]
                if unknown:
                    unclassified.append((method, path, f"unknown parameter {unknown}"))
                    continue
                url = path.format(**values)
                r = await bob.request(method, url, json={} if method != "GET" else None)
                assert r.status_code in (403, 404), (method, url, r.status_code, r.text)
                refused += 1
            elif (method, path) in OTHER_ROLES:
                r = await bob.request(method, path, json={} if method != "GET" else None)
                assert r.status_code == 403, (method, path, r.status_code)
            elif (method, path) in COLLECTIONS:
                r = await bob.request(method, path)
                assert r.status_code == 200, (method, path, r.text)
                assert "A-1" not in r.text and "ALICE" not in r.text, (method, path, r.text)
                if path in ("/api/sessions",):
                    assert r.json() == []
            elif (method, path) in STREAMS:
                first = await _first_event(bob, path)
                assert "A-1" not in first and "ALICE" not in first, (path, first)
            elif (method, path) not in SELF:
                unclassified.append((method, path, "not classified"))
        assert not unclassified, f"classify these routes in this test: {unclassified}"
        assert refused >= 20

        # Query filters naming Alice's charger are refused too.
        for path in ("/api/sessions", "/api/reports/energy", "/api/reports/energy/last-12-months"):
            r = await bob.get(path, params={"charger": "A-1"})
            assert r.status_code == 404, path
        chargers = (await bob.get("/api/chargers")).json()
        assert [c["identity"] for c in chargers] == ["B-1"]
    assert len(peer.cp.received) == sent_before  # nothing of Bob's reached Alice's charger
    async with logged_in(platform, "alice2@example.org", alice_password) as alice_client:
        assert (await alice_client.get("/api/me")).status_code == 200  # Bob revoked nothing


async def _first_event(client: Any, path: str) -> str:
    """The stream's first server-sent event (it comes at once: the page as it is now)."""
    text = ""
    async with client.stream("GET", path) as r:
        assert r.status_code == 200, (path, r.status_code)
        async for chunk in r.aiter_text():
            text += chunk
            if "\n\n" in text:
                return text
    return text


async def _password_for(platform: Platform, email: str) -> str:
    import secrets

    from smartcharge.platform.registry import hash_password

    password = secrets.token_urlsafe(16)
    found = await platform.store.accounts.login_record(email)
    assert found is not None
    await platform.store.accounts.set_password(found[0].id, hash_password(password))
    return password
