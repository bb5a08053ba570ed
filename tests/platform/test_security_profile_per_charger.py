"""Security profiles per charger (issue 14 item 3), over real TLS on loopback with trustme
certificates and the `ocpp` package's ChargePoint: one platform process serves profiles 1, 2
and 3 at once; each charger's profile is recorded, raised through REST, never lowered: a
charger connecting below its recorded profile is refused and a security event is stored."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from api_harness import add_user, user_client
from ocpp.v16 import call
from platform_harness import Peer, PeerChargePoint, Platform, basic, close_peers
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from smartcharge.platform.ocpp_admission import PROFILE_DOWNGRADE

MakePlatform = Callable[..., Awaitable[Platform]]


@pytest.fixture
async def mixed(make_platform: MakePlatform, tmp_path: Path) -> AsyncIterator[Any]:
    """A platform serving profile 1 (a plain listener), 2 and 3 (one TLS listener, client
    certificates optional), and a CA for the server and the chargers' certificates."""
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1")
    server.cert_chain_pems[0].write_to_path(str(tmp_path / "server.pem"))
    server.private_key_pem.write_to_path(str(tmp_path / "server.key"))
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    platform = await make_platform(
        security_profile=2,
        tls_cert=tmp_path / "server.pem",
        tls_key=tmp_path / "server.key",
        tls_client_ca=tmp_path / "ca.pem",
        plain_port=0,
    )
    opened: list[Peer] = []

    async def open_peer(identity: str, profile: int, password: str | None = None) -> Peer:
        port = platform.app.ocpp.plain_port if profile == 1 else platform.app.ocpp.port
        context = None
        if profile >= 2:
            context = ssl.create_default_context()
            ca.configure_trust(context)
            if profile == 3:
                ca.issue_cert(f"{identity.lower()}.example", common_name=identity).configure_cert(
                    context
                )
        headers = {}
        if profile < 3:
            headers = basic(identity, password or platform.passwords[identity])
        ws = await connect(
            f"{'wss' if context else 'ws'}://127.0.0.1:{port}/ocpp/{identity}",
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            additional_headers=headers,
            ssl=context,
        )
        cp = PeerChargePoint(identity, ws)
        peer = Peer(cp, ws, asyncio.create_task(cp.start()))
        opened.append(peer)
        await peer.call(call.Heartbeat())
        return peer

    yield platform, open_peer, ca
    await close_peers(opened)


async def held(platform: Platform, identity: str) -> int | None:
    creds = await platform.store.chargers.credentials(identity)
    assert creds is not None
    return creds.security_profile


async def test_one_process_serves_profiles_1_2_and_3_and_records_each(mixed: Any) -> None:
    platform, open_peer, _ca = mixed
    assert platform.app.ocpp.profiles == {1, 2, 3}
    for identity in ("P1", "P2", "P3"):
        await platform.add(identity)
    for profile in (1, 2, 3):
        await open_peer(f"P{profile}", profile)
    for profile in (1, 2, 3):
        assert await held(platform, f"P{profile}") == profile
    assert {c for c in platform.app.ocpp.connections} == {"P1", "P2", "P3"}


async def test_a_charger_is_never_let_in_below_its_profile(mixed: Any) -> None:
    platform, open_peer, _ca = mixed
    await platform.add("P3")
    first = await open_peer("P3", 3)
    await first.ws.close()
    # Its password still works, but not over profile 2 or 1: refused, and recorded.
    for profile in (2, 1):
        with pytest.raises(InvalidStatus) as refused:
            await open_peer("P3", profile)
        assert refused.value.response.status_code == 401
    events = await platform.store.history.security_events(await platform.charger_id("P3"))
    assert [e["type"] for e in events] == [PROFILE_DOWNGRADE] * 2
    assert "security profile 1 below the charger's 3" in events[0]["tech_info"]
    assert await held(platform, "P3") == 3
    await open_peer("P3", 3)  # at its own profile it still connects


async def test_the_profile_is_raised_through_rest_and_never_lowered(mixed: Any) -> None:
    platform, open_peer, ca = mixed
    await platform.add("P1", owner="owner@example.org")
    peer = await open_peer("P1", 1)
    password = await add_user(platform, "op@example.org", "operator")
    context = ssl.create_default_context()
    ca.configure_trust(context)
    async with httpx.AsyncClient(base_url=platform.app.http.url, verify=context) as op:
        r = await op.post("/api/auth/login", json={"email": "op@example.org", "password": password})
        assert r.status_code == 200, r.text
        assert (await op.get("/api/chargers/P1/security-profile")).json()["profile"] == 1
        # Profile 3 needs a certificate of the platform's CA first.
        r = await op.put("/api/chargers/P1/security-profile", json={"profile": 3})
        assert r.status_code == 409 and "SignChargePointCertificate" in r.json()["detail"]
        assert peer.cp.keys == {}
        r = await op.put("/api/chargers/P1/security-profile", json={"profile": 2})
        assert r.status_code == 200 and r.json() == {"status": "Accepted"}
        assert peer.cp.keys == {"SecurityProfile": "2"}
        # The charger reconnects with its new profile: recorded, and 1 is refused from then on.
        await peer.ws.close()
        await open_peer("P1", 2)
        assert (await op.get("/api/chargers/P1/security-profile")).json()["profile"] == 2
        with pytest.raises(InvalidStatus):
            await open_peer("P1", 1)
        r = await op.put("/api/chargers/P1/security-profile", json={"profile": 2})
        assert r.status_code == 409 and "never lowered" in r.json()["detail"]
        r = await op.put("/api/chargers/P1/security-profile", json={"profile": 1})
        assert r.status_code == 422


async def test_a_platform_serving_one_profile_refuses_to_raise_beyond_it(
    platform: Platform, peers: Callable[..., Awaitable[Peer]]
) -> None:
    await platform.add("CP-1")
    peer = await peers(platform, "CP-1")
    await peer.call(call.Heartbeat())
    assert platform.app.ocpp.profiles == {1}
    async with user_client(platform, "op@example.org", "operator") as op:
        r = await op.put("/api/chargers/CP-1/security-profile", json={"profile": 2})
        assert r.status_code == 409 and "serves no profile 2" in r.json()["detail"]
    assert peer.cp.keys == {}
