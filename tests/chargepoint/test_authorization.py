"""Authorization policy: online, local list, cache, LocalPreAuthorize, offline rules (R7)."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from smartcharge.chargepoint.authorization import Authorizer
from smartcharge.chargepoint.store import Store
from smartcharge.sim.clock import ManualClock

T0 = datetime(2026, 6, 1, 12, tzinfo=UTC)


class Keys:
    def __init__(self, **values: bool) -> None:
        self.values = {
            "LocalAuthListEnabled": True,
            "AuthorizationCacheEnabled": True,
            "LocalPreAuthorize": False,
            "LocalAuthorizeOffline": True,
            "AllowOfflineTxForUnknownId": False,
            **values,
        }

    def bool_value(self, name: str) -> bool:
        return self.values[name]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "cp.sqlite")


def make(store: Store, **keys: bool) -> Authorizer:
    return Authorizer(store, Keys(**keys), ManualClock(T0))


async def test_online_result_is_cached(store: Store) -> None:
    calls = []

    async def online(tag: str) -> dict:
        calls.append(tag)
        return {"status": "Accepted"}

    auth = make(store)
    assert (await auth.authorize("A", online))["status"] == "Accepted"
    assert calls == ["A"]
    assert store.cache_get("A") == {"status": "Accepted"}
    # Offline now: the cache answers.
    assert (await auth.authorize("A", None))["status"] == "Accepted"


async def test_local_pre_authorize_skips_the_network(store: Store) -> None:
    store.replace_local_list(1, {"A": {"status": "Accepted"}})

    async def online(tag: str) -> dict:
        raise AssertionError("must not be asked")

    assert (await make(store, LocalPreAuthorize=True).authorize("A", online))[
        "status"
    ] == "Accepted"


async def test_offline_unknown_tag(store: Store) -> None:
    assert (await make(store).authorize("X", None))["status"] == "Invalid"
    allowed = make(store, AllowOfflineTxForUnknownId=True)
    assert (await allowed.authorize("X", None))["status"] == "Accepted"


async def test_offline_known_blocked_tag_stays_blocked(store: Store) -> None:
    store.replace_local_list(1, {"B": {"status": "Blocked"}})
    auth = make(store, AllowOfflineTxForUnknownId=True)
    assert (await auth.authorize("B", None))["status"] == "Blocked"


async def test_expired_entry(store: Store) -> None:
    store.replace_local_list(1, {"E": {"status": "Accepted", "expiryDate": "2026-01-01T00:00:00Z"}})
    assert (await make(store).authorize("E", None))["status"] == "Expired"


async def test_network_failure_falls_back_to_offline_policy(store: Store) -> None:
    store.replace_local_list(1, {"A": {"status": "Accepted"}})

    async def online(tag: str) -> dict:
        raise TimeoutError

    assert (await make(store).authorize("A", online))["status"] == "Accepted"


async def test_local_list_tags_are_not_cached(store: Store) -> None:
    store.replace_local_list(1, {"A": {"status": "Accepted"}})

    async def online(tag: str) -> dict:
        return {"status": "Accepted"}

    await make(store).authorize("A", online)
    assert store.cache_get("A") is None


def test_may_stop_same_card_or_same_parent(store: Store) -> None:
    store.replace_local_list(1, {"B": {"status": "Accepted", "parentIdTag": "FAMILY"}})
    auth = make(store)
    assert auth.may_stop("A", {"status": "Accepted"}, "A")
    assert auth.may_stop("A", {"status": "Accepted", "parentIdTag": "FAMILY"}, "B")
    assert not auth.may_stop("A", {"status": "Accepted"}, "B")
