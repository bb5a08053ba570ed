"""Owner sign-in (no default password, lock-out, tokens), the history totals and the store's
factory reset, on real SQLite files."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from smartcharge.chargepoint.owner_api import history
from smartcharge.chargepoint.owner_api.auth import (
    LOCKOUT_MAX_S,
    LOCKOUT_S,
    MAX_FAILURES,
    TOKEN_IDLE_S,
    AuthError,
    OwnerAuth,
)
from smartcharge.chargepoint.security.setup_code import hash_setup_code, new_setup_code
from smartcharge.chargepoint.store import Store
from smartcharge.chargepoint.store_id_tags import Reservation

GOOD = "a long owner passphrase"  # not-a-secret: test data
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # tests only: quick hashes


class Clock:
    t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "cp.sqlite")
    yield s  # type: ignore[misc]
    s.close()


CODE = new_setup_code()  # the label's (made at provisioning)
CODE_HASH = hash_setup_code(CODE)


def make_auth(store: Store, clock: Clock, events: list[tuple[str, str]]) -> OwnerAuth:
    return OwnerAuth(
        lambda: store,
        clock,
        lambda e, i: events.append((e, i)),
        public_values=("garage-charger-7", "SN123456"),
        hasher=FAST,
        setup_code_hash=lambda: CODE_HASH,
    )


async def test_nothing_works_until_the_owner_sets_a_password(store: Store) -> None:
    events: list[tuple[str, str]] = []
    auth = make_auth(store, Clock(), events)
    assert not auth.password_set()
    with pytest.raises(AuthError) as exc:
        await auth.login("")
    assert exc.value.status == 409
    for bad in ("admin", "short pw", "my-garage-charger-7-pw", "SN123456 is my pw", "abababababab"):
        with pytest.raises(AuthError) as exc:
            await auth.set_first_password(bad, CODE)
        assert exc.value.status == 400 and bad not in str(exc.value)
    token = await auth.set_first_password(GOOD, CODE)
    assert auth.check_token(token)
    stored = store.setting("owner.password_hash")
    assert stored is not None and stored.startswith("$argon2id$") and GOOD not in stored
    with pytest.raises(AuthError):
        await auth.set_first_password("someone else's password", CODE)
    assert events == [("OwnerPasswordSet", "first use")]


async def test_lockout_escalates_and_a_good_login_resets_it(store: Store) -> None:
    events: list[tuple[str, str]] = []
    clock = Clock()
    auth = make_auth(store, clock, events)
    await auth.set_first_password(GOOD, CODE)
    for round_ in range(4):
        for _ in range(MAX_FAILURES):
            with pytest.raises(AuthError) as exc:
                await auth.login("not the password")
            assert exc.value.status == 401
        with pytest.raises(AuthError) as exc:
            await auth.login(GOOD)
        assert exc.value.status == 429
        expected = min(LOCKOUT_S * 2**round_, LOCKOUT_MAX_S)
        assert auth.locked_for() == expected
        clock.t += expected
    assert [e for e, _ in events].count("OwnerLockedOut") == 4
    assert [e for e, _ in events].count("OwnerLoginFailed") == 4 * MAX_FAILURES
    assert auth.check_token(await auth.login(GOOD))
    for _ in range(MAX_FAILURES - 1):  # after a success the count starts again
        with pytest.raises(AuthError):
            await auth.login("nope nope nope")
    assert auth.locked_for() == 0


async def test_tokens_expire_when_idle_and_a_password_change_revokes_them(store: Store) -> None:
    clock = Clock()
    auth = make_auth(store, clock, [])
    first = await auth.set_first_password(GOOD, CODE)
    second = await auth.login(GOOD)
    clock.t += TOKEN_IDLE_S - 1
    assert auth.check_token(second)  # used: its idle time starts again
    clock.t += 2
    assert not auth.check_token(first) and auth.check_token(second)
    fresh = await auth.change_password(GOOD, "a different passphrase")
    assert not auth.check_token(second) and auth.check_token(fresh)
    assert not auth.check_token("made-up") and not auth.check_token("")


def _session(store: Store, start: str, stop: str, wh: int, start_wh: int) -> None:
    t0 = datetime.fromisoformat(start)
    local = store.start_transaction(connector_id=1, id_tag="T", meter_start_wh=start_wh, now=t0)
    store.stop_transaction(
        local, meter_stop_wh=start_wh + wh, now=datetime.fromisoformat(stop), reason="Local"
    )


def test_history_groups_by_uk_day_week_and_month(store: Store) -> None:
    # 23:30 UTC on 31 May is 00:30 on 1 June in the UK (BST): it counts on 1 June.
    _session(store, "2026-05-31T23:30:00+00:00", "2026-06-01T01:00:00+00:00", 5000, 0)
    _session(store, "2026-05-31T12:00:00+00:00", "2026-05-31T13:00:00+00:00", 2000, 5000)
    _session(store, "2026-06-08T18:00:00+00:00", "2026-06-08T18:30:00+00:00", 1000, 7000)
    sessions = store.sessions()
    days = history.totals(sessions, "day")
    assert [(d["start"], d["sessions"], d["energyWh"]) for d in days] == [
        ("2026-05-31", 1, 2000),
        ("2026-06-01", 1, 5000),
        ("2026-06-08", 1, 1000),
    ]
    weeks = history.totals(sessions, "week")
    assert [(w["start"], w["sessions"]) for w in weeks] == [
        ("2026-05-25", 1),
        ("2026-06-01", 1),
        ("2026-06-08", 1),
    ]
    months = history.totals(sessions, "month")
    assert [(m["start"], m["energyWh"], m["durationS"]) for m in months] == [
        ("2026-05-01", 2000, 3600),
        ("2026-06-01", 6000, 5400 + 1800),
    ]
    assert history.session_json(sessions[0])["energyWh"] == 5000
    since = datetime(2025, 6, 1, tzinfo=UTC)
    assert history.whole(sessions, since) == {
        "start": "2025-06-01T00:00:00Z",
        "sessions": 3,
        "energyWh": 8000,
        "durationS": 3600 + 5400 + 1800,
    }
    rows = history.sessions_csv(sessions).splitlines()
    assert rows[0] == "id,connectorId,idTag,startedAt,stoppedAt,durationS,energyWh,stopReason"
    assert rows[1].split(",")[2:] == [
        "T",
        "2026-05-31T23:30:00Z",
        "2026-06-01T01:00:00Z",
        "5400",
        "5000",
        "Local",
    ]
    assert len(rows) == 4


def test_store_factory_reset_deletes_personal_data_only(store: Store) -> None:
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    _session(store, "2026-06-01T10:00:00+00:00", "2026-06-01T11:00:00+00:00", 3000, 100)
    store.add_samples([(now, 1, 7000.0, 3100.0)])
    store.replace_local_list(4, {"CARD": {"status": "Accepted"}})
    store.cache_put("CACHED", {"status": "Accepted"}, now=now)
    store.put_reservation(Reservation(1, 1, "RES", None, now))
    for key, value in {
        "owner.password_hash": "$argon2id$x",
        "owner.default_hours": "{}",
        "dsr.events": "[]",
        "RandomisedDelayMaxSeconds": "900",
        "SecurityProfile": "2",
        "AuthorizationKey": "a-key-the-csms-set-0123456789",
        "firmware.active": "a",
    }.items():
        store.save_setting(key, value)
    store.factory_reset()
    assert store.sessions() == [] and store.outbox_size() == 0
    assert (
        store.samples(1, datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)) == []
    )
    assert store.local_list_size() == 0 and store.local_list_version() == 0
    assert store.cache_get("CACHED") is None and store.reservations() == []
    assert set(store.load_settings()) == {
        "SecurityProfile",
        "AuthorizationKey",
        "firmware.active",
        "meter.register.1",
    }
    assert store.last_register(1) == 3100
    raw = store.path.read_bytes()
    assert b"CARD" not in raw and b"argon2id" not in raw  # vacuumed: not even in free pages


async def test_hashing_never_stalls_the_event_loop(store: Store) -> None:
    """The real parameters (argon2id, 19 MiB): the charger's tick keeps running meanwhile, and
    sign-ins hash one at a time."""
    # The production parameters.
    auth = OwnerAuth(lambda: store, Clock(), lambda e, i: None, setup_code_hash=lambda: CODE_HASH)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    ticker = asyncio.ensure_future(tick())
    try:
        await auth.set_first_password(GOOD, CODE)
        results = await asyncio.gather(
            auth.login(GOOD), auth.login("wrong password here"), return_exceptions=True
        )
    finally:
        ticker.cancel()
    assert isinstance(results[0], str) and isinstance(results[1], AuthError)
    assert ticks >= 3  # three hashes' worth of time, and the loop ran all along
    stored = store.setting("owner.password_hash")
    assert stored is not None and "m=19456,t=2,p=1" in stored


async def test_a_stranger_on_the_lan_cannot_claim_the_charger_without_the_label_code(
    store: Store,
) -> None:
    events: list[tuple[str, str]] = []
    auth = make_auth(store, Clock(), events)
    for code in (None, "", "AAAA-BBBB-CCCC", CODE[:-1]):
        with pytest.raises(AuthError) as exc:
            await auth.set_first_password(GOOD, code)
        assert exc.value.status == 403
    assert not auth.password_set()
    assert [e for e, _ in events] == ["OwnerLoginFailed"] * 4
    typed = CODE.lower().replace("-", " ")  # as an owner may type it from the label
    assert auth.check_token(await auth.set_first_password(GOOD, typed))
    with pytest.raises(AuthError) as exc:  # the first-use window is closed now
        await auth.set_first_password("a stranger's password", CODE)
    assert exc.value.status == 409


async def test_a_charger_never_provisioned_opens_first_use_only_with_the_lab_setting(
    store: Store,
) -> None:
    closed = OwnerAuth(lambda: store, Clock(), lambda e, i: None, hasher=FAST)
    with pytest.raises(AuthError) as exc:
        await closed.set_first_password(GOOD)
    assert exc.value.status == 403 and "provision" in str(exc.value)
    lab = OwnerAuth(
        lambda: store, Clock(), lambda e, i: None, hasher=FAST, first_use_without_code=True
    )
    assert lab.check_token(await lab.set_first_password(GOOD))


async def test_a_lan_attacker_locking_the_sign_in_cannot_keep_the_owner_out(store: Store) -> None:
    auth = make_auth(store, Clock(), [])
    await auth.set_first_password(GOOD, CODE)
    for _ in range(MAX_FAILURES):
        with pytest.raises(AuthError):
            await auth.login("a guess from the LAN")
    assert auth.locked_for() > 0
    with pytest.raises(AuthError) as exc:  # the attacker's lock holds for the password alone
        await auth.login(GOOD)
    assert exc.value.status == 429
    with pytest.raises(AuthError) as exc:  # and a wrong code does not open it
        await auth.login(GOOD, "AAAA-BBBB-CCCC")
    assert exc.value.status == 429
    assert auth.check_token(await auth.login(GOOD, CODE))  # the owner, with the label
    with pytest.raises(AuthError) as exc:  # the code alone is no password
        await auth.login("a guess from the LAN", CODE)
    assert exc.value.status == 401
