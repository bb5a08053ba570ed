"""Charger password hashes: cheap argon2 parameters for CSPRNG passwords, and a hash made with
the old (argon2-cffi default) parameters still opens the charger and is upgraded at that login."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from argon2 import PasswordHasher
from ocpp.v16 import call
from platform_harness import Peer, Platform

from smartcharge.platform.registry import (
    CHARGER_HASHER,
    verify_charger_password,
    verify_password,
)

OpenPeer = Callable[..., Awaitable[Peer]]


def parameters(password_hash: str) -> str:
    return password_hash.split("$")[3]  # "m=...,t=...,p=..."


async def test_new_charger_passwords_use_the_charger_parameters(platform: Platform) -> None:
    password = await platform.add("CP-1")
    row = await platform.store.chargers.get("CP-1")
    assert row is not None
    assert row["password_hash"].startswith("$argon2id$")
    assert parameters(row["password_hash"]) == "m=1024,t=1,p=1"
    assert verify_charger_password(row["password_hash"], password)
    assert not verify_charger_password(row["password_hash"], password + "x")
    assert not verify_charger_password(None, password)  # unknown charger: never True
    assert not verify_charger_password("not a hash", password)


async def test_an_old_parameter_hash_still_opens_and_is_upgraded(
    platform: Platform, peers: OpenPeer
) -> None:
    password = await platform.add("CP-OLD")
    old = PasswordHasher().hash(password)  # what add-charger stored before (the defaults)
    assert CHARGER_HASHER.check_needs_rehash(old)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    assert await platform.store.chargers.set_password("CP-OLD", old, at=at)

    peer = await peers(platform, "CP-OLD")  # the real OCPP endpoint: basic auth, upgrade
    await peer.call(call.Heartbeat())
    row = await platform.store.chargers.get("CP-OLD")
    assert row is not None
    upgraded = row["password_hash"]
    assert upgraded != old and parameters(upgraded) == "m=1024,t=1,p=1"
    assert verify_password(upgraded, password) and not CHARGER_HASHER.check_needs_rehash(upgraded)
    assert row["password_changed_at"] == at  # same password: not a change
    await peer.ws.close()

    again = await peers(platform, "CP-OLD")  # and it opens with the new hash
    await again.call(call.Heartbeat())
    row = await platform.store.chargers.get("CP-OLD")
    assert row is not None and row["password_hash"] == upgraded  # nothing left to upgrade


async def test_a_hash_replaced_meanwhile_is_not_overwritten(platform: Platform) -> None:
    await platform.add("CP-1")
    cid = await platform.charger_id("CP-1")
    row = await platform.store.chargers.get("CP-1")
    assert row is not None
    assert not await platform.store.chargers.replace_hash(cid, "$argon2id$stale", "new")
    assert await platform.store.chargers.replace_hash(cid, row["password_hash"], "new")
    row = await platform.store.chargers.get("CP-1")
    assert row is not None and row["password_hash"] == "new"
