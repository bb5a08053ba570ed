"""Password rotation (issue 5 item 2) against the `ocpp` package's ChargePoint: the new password
goes out in ChangeConfiguration(AuthorizationKey) and replaces the old one only once the charger
has taken it and connected with it; nothing along the way can lock the charger out."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable

import pytest
from platform_harness import Peer, Platform
from test_ocpp_server import refused

from smartcharge.logs import redact
from smartcharge.ocpp.errors import CallError
from smartcharge.platform.ocpp_server import ChargerOffline
from smartcharge.platform.registry import RegistryError, UnknownCharger
from smartcharge.platform.services.passwords import RotationPending, rotate_password

OpenPeer = Callable[..., Awaitable[Peer]]


def ours(caplog: pytest.LogCaptureFixture) -> str:
    """What the platform logged, as its handlers would write it (the peer logs what it likes)."""
    return "\n".join(
        redact(r.getMessage()) for r in caplog.records if r.name.startswith("smartcharge")
    )


async def rotate(platform: Platform, identity: str, timeout: float = 5.0) -> str:
    rotation = await rotate_password(
        platform.store, platform.app.ocpp.send, identity, timeout=timeout
    )
    return rotation.status


async def pending(platform: Platform, identity: str) -> tuple[bool, bool]:
    creds = await platform.store.chargers.credentials(identity)
    assert creds is not None
    return creds.pending_password_hash is not None, creds.pending_accepted


async def test_accepted_then_the_new_password_replaces_the_old_on_reconnect(
    platform: Platform, peers: OpenPeer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    old = await platform.add("CP-1")
    peer = await peers(platform, "CP-1")
    await platform.app.ocpp.wait_connected("CP-1")
    before = await platform.store.chargers.credentials("CP-1")

    assert await rotate(platform, "CP-1") == "Accepted"
    new = peer.cp.keys["AuthorizationKey"]
    # The whitepaper's AuthorizationKey: 20 random bytes as 40 hexadecimal digits.
    assert new != old and re.fullmatch(r"[0-9a-f]{40}", new)
    assert await pending(platform, "CP-1") == (True, True)
    assert new not in ours(caplog)  # sent to the charger only, never logged

    # Until the charger uses the new password, the old one keeps working (a reconnect of a
    # charger that has not switched yet must not be locked out) ...
    await peers(platform, "CP-1", old)
    assert await pending(platform, "CP-1") == (True, True)
    # ... and its first use makes it the only one.
    await peers(platform, "CP-1", new)
    after = await platform.store.chargers.credentials("CP-1")
    assert after is not None and before is not None
    assert after.pending_password_hash is None and after.password_hash != before.password_hash
    assert await refused(platform, "CP-1", old) == 401
    await peers(platform, "CP-1", new)
    assert new not in ours(caplog)


async def test_rejected_changes_nothing(platform: Platform, peers: OpenPeer) -> None:
    old = await platform.add("CP-1")
    peer = await peers(platform, "CP-1")
    await platform.app.ocpp.wait_connected("CP-1")
    before = await platform.store.chargers.credentials("CP-1")
    peer.cp.configuration_answer = "Rejected"
    assert await rotate(platform, "CP-1") == "Rejected"
    assert await platform.store.chargers.credentials("CP-1") == before
    await peers(platform, "CP-1", old)
    # and a later rotation can go ahead
    await platform.app.ocpp.wait_connected("CP-1")
    latest = platform.app.ocpp.connections["CP-1"]
    assert latest is not None
    assert await rotate(platform, "CP-1") == "Accepted"


async def test_no_answer_keeps_both_until_the_charger_shows_which_it_has(
    platform: Platform, peers: OpenPeer
) -> None:
    old = await platform.add("CP-1")
    peer = await peers(platform, "CP-1")
    await platform.app.ocpp.wait_connected("CP-1")
    peer.cp.silent = True
    assert await rotate(platform, "CP-1", timeout=0.3) == "NoAnswer"
    assert await pending(platform, "CP-1") == (True, False)
    with pytest.raises(RotationPending):
        await rotate(platform, "CP-1")
    # It reconnects with the old password: it never took the new one, which is dropped.
    await peers(platform, "CP-1", old)
    assert await pending(platform, "CP-1") == (False, False)
    await platform.app.ocpp.wait_connected("CP-1")
    assert await rotate(platform, "CP-1") == "Accepted"


async def test_offline_unknown_or_certificate_charger_changes_nothing(
    platform: Platform, peers: OpenPeer
) -> None:
    await platform.add("CP-1")
    before = await platform.store.chargers.credentials("CP-1")
    with pytest.raises(ChargerOffline):
        await rotate(platform, "CP-1")
    assert await platform.store.chargers.credentials("CP-1") == before
    with pytest.raises(UnknownCharger):
        await rotate(platform, "NOBODY")
    with pytest.raises(RegistryError):
        await rotate(platform, "bad identity!")
    await platform.store.chargers.add("CERT-1", None, at=platform.app.ocpp._now())
    with pytest.raises(RegistryError, match="certificate"):
        await rotate(platform, "CERT-1")


async def test_a_callerror_drops_the_new_password(platform: Platform, peers: OpenPeer) -> None:
    old = await platform.add("CP-1")
    peer = await peers(platform, "CP-1")
    await platform.app.ocpp.wait_connected("CP-1")
    peer.cp.route_map.pop("ChangeConfiguration")  # the peer answers NotImplemented
    with pytest.raises(CallError):
        await rotate(platform, "CP-1")
    assert await pending(platform, "CP-1") == (False, False)
    await peers(platform, "CP-1", old)
    await asyncio.sleep(0)
