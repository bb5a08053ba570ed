"""The owner's controls (R15, R16, R18, R19, R25) persist, and bad input changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartcharge.chargepoint.charging import DsrEvent
from smartcharge.chargepoint.ocpp_handlers.uk_extension import DeviceHooks, UkExtension
from smartcharge.chargepoint.owner_controls import DsrAgreement, NotPermitted, OwnerControls
from smartcharge.chargepoint.store import Store
from smartcharge.ocpp import uk_extension
from smartcharge.regulations import Cause, default_schedule

T0 = datetime(2026, 3, 28, 12, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "cp.sqlite")


def test_R15_until_answered_the_defaults_apply(store: Store) -> None:
    c = OwnerControls(store)
    state = c.default_hours_state()
    assert state.mode == "default" and state.answered_at is None
    assert c.default_hours(600) == default_schedule(600)


def test_R15_R16_answer_is_recorded_and_survives_a_restart(tmp_path: Path) -> None:
    store = Store(tmp_path / "cp.sqlite")
    c = OwnerControls(store)
    windows = [{"weekday": 0, "start": "01:00", "end": "05:00"}]
    c.set_default_hours("custom", now=T0, by="owner", windows=windows)
    store.close()
    again = OwnerControls(Store(tmp_path / "cp.sqlite"))
    state = again.default_hours_state()
    assert state.mode == "custom" and state.answered_at == T0 and state.answered_by == "owner"
    assert again.default_hours(600) == state.custom
    again.set_default_hours("removed", now=T0 + timedelta(days=1), by="owner")
    assert again.default_hours(600) is None


def test_workplace_only_the_administrator_changes_default_hours(store: Store) -> None:
    c = OwnerControls(store, workplace=True)
    with pytest.raises(NotPermitted):
        c.set_default_hours("removed", now=T0, by="owner")
    assert c.default_hours_state().answered_at is None
    c.set_default_hours("removed", now=T0, by="administrator")
    assert c.default_hours_state().mode == "removed"


def test_R19_dsr_events_opt_out_and_expiry(store: Store) -> None:
    c = OwnerControls(store)
    ev = DsrEvent("e1", "response", 6.0, T0, T0 + timedelta(minutes=30))
    c.add_dsr_event(ev)
    assert c.dsr_events() == (ev,)
    assert not c.opt_out("nope")
    assert c.opt_out("e1") and c.opted_out() == frozenset({"e1"})
    c.prune_dsr(T0 + timedelta(hours=1))
    assert c.dsr_events() == () and c.opted_out() == frozenset()


def test_R18_R25_session_overrides_end_with_the_session(store: Store) -> None:
    c = OwnerControls(store)
    c.set_charge_now(7)
    c.set_no_delay_session(7)
    assert c.charge_now(7) and c.no_delay_session(7) and not c.charge_now(8)
    c.end_session(7)
    assert not c.charge_now(7) and not c.no_delay_session(7)


class _Station:
    """Just what UkExtension touches, over a real store, and the clock it is handed."""

    def __init__(self, store: Store, *, workplace: bool = False) -> None:
        self.controls = OwnerControls(store, workplace=workplace)
        self.store = store

        class _Clock:
            def now(self) -> datetime:
                return T0

        self.clock = _Clock()

    def poke(self) -> None:
        pass

    def random_delay_max(self) -> int:
        return 600

    def state(self) -> dict[int, dict[str, Any]]:
        return {}

    def skip_delay(self, n: int, *, session: bool = False) -> bool:
        return False

    def charge_now(self, n: int, *, by: str = "owner") -> bool:
        return False


def _ext(st: _Station, hooks: DeviceHooks | None = None) -> UkExtension:
    return UkExtension(st, st.controls, hooks, clock=st.clock)  # type: ignore[arg-type]


def _dt(message: str, data: Any) -> dict[str, Any]:
    raw = data if isinstance(data, str) else json.dumps(data)
    return {"vendorId": uk_extension.VENDOR_ID, "messageId": message, "data": raw}


async def test_extension_round_trip(store: Store) -> None:
    ext = _ext(_Station(store))
    res = await ext.data_transfer(_dt(uk_extension.SET_DEFAULT_HOURS, {"mode": "removed"}))
    assert res["status"] == "Accepted"
    assert orjson.loads(res["data"])["mode"] == "removed"
    assert (await ext.data_transfer({"vendorId": "other", "messageId": "x"}))["status"] == (
        "UnknownVendorId"
    )
    assert (await ext.data_transfer(_dt("Nope", {})))["status"] == "UnknownMessageId"
    bad = await ext.data_transfer(_dt(uk_extension.DSR_EVENT, {"id": "x", "kind": "maybe"}))
    assert bad["status"] == "Rejected" and "kind" in orjson.loads(bad["data"])["error"]


async def test_R35_factory_reset_on_a_workplace_charger_is_the_administrators(
    store: Store,
) -> None:
    """Who may wipe a charger over OCPP; it starts only once the answer has gone out."""
    asked: list[str] = []
    hooks = DeviceHooks(info=dict, reset_refusal=lambda: None, factory_reset=asked.append)
    ext = _ext(_Station(store, workplace=True), hooks)
    req = _dt(uk_extension.FACTORY_RESET, {"by": "owner"})
    res = await ext.data_transfer(req)
    assert res["status"] == "Rejected" and "administrator" in orjson.loads(res["data"])["error"]
    await ext.after(req, res)
    assert asked == []
    req = _dt(uk_extension.FACTORY_RESET, {"by": "administrator"})
    res = await ext.data_transfer(req)
    assert res["status"] == "Accepted" and asked == []  # not before the answer is sent
    await ext.after(
        _dt(uk_extension.GET_DEVICE_INFO, {}), res
    )  # another message's answer: not this one
    assert asked == []
    await ext.after(req, res)
    assert asked == ["the administrator over OCPP"]
    await ext.after(req, res)  # once only
    assert asked == ["the administrator over OCPP"]
    no_hooks = _ext(_Station(store))
    assert (await no_hooks.data_transfer(_dt(uk_extension.GET_DEVICE_INFO, {})))[
        "status"
    ] == "Rejected"


MESSAGES = [
    uk_extension.FACTORY_RESET,
    uk_extension.GET_DEVICE_INFO,
    uk_extension.SET_DEFAULT_HOURS,
    uk_extension.SET_USER_SCHEDULE,
    uk_extension.DSR_EVENT,
    uk_extension.DSR_OPT_OUT,
    uk_extension.PROFILE_FLAGS,
    uk_extension.CHARGE_NOW,
    uk_extension.SKIP_DELAY,
]
JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)
FIELDS = st.sampled_from(
    [
        "mode",
        "windows",
        "by",
        "id",
        "kind",
        "limitA",
        "start",
        "durationS",
        "connectorId",
        "chargingProfileId",
        "cause",
        "session",
        "zz",
    ]
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    message=st.sampled_from(MESSAGES),
    data=st.one_of(st.text(max_size=30), JUNK, st.dictionaries(FIELDS, JUNK, max_size=5)),
)
async def test_garbage_is_rejected_and_changes_nothing(
    tmp_path: Path, message: str, data: Any
) -> None:
    store = Store(tmp_path / f"fz-{abs(hash((message, repr(data))))}.sqlite")
    before = store.load_settings()
    res = await _ext(_Station(store)).data_transfer(_dt(message, data))
    if res["status"] != "Accepted":
        assert res["status"] == "Rejected"
        assert store.load_settings() == before
    store.close()


def test_user_schedule_persists_removes_and_rejects_garbage(tmp_path: Path) -> None:
    store = Store(tmp_path / "cp.sqlite")
    c = OwnerControls(store)
    assert c.user_schedule() is None
    windows = [{"weekday": "Mon", "start": "01:00", "end": "05:00"}]
    plan = c.set_user_schedule(windows, limit_a=16, now=T0, by="owner")
    assert plan is not None and c.user_schedule() == plan
    for bad in ([{"weekday": "Funday", "start": "01:00", "end": "05:00"}], [{"start": "x"}]):
        with pytest.raises(ValueError):
            c.set_user_schedule(bad, now=T0, by="owner")
    with pytest.raises(ValueError, match="limitA"):
        c.set_user_schedule(windows, limit_a=-1, now=T0, by="owner")
    assert c.user_schedule() == plan  # nothing half-applied
    store.close()
    again = OwnerControls(Store(tmp_path / "cp.sqlite"))
    assert again.user_schedule() == plan  # R7: survives a restart
    assert again.set_user_schedule([], now=T0, by="owner") is None
    assert again.user_schedule() is None


def test_workplace_only_the_administrator_sets_the_schedule(store: Store) -> None:
    c = OwnerControls(store, workplace=True)
    windows = [{"weekday": "Mon", "start": "01:00", "end": "05:00"}]
    with pytest.raises(NotPermitted):
        c.set_user_schedule(windows, now=T0, by="owner")
    assert c.user_schedule() is None
    assert c.set_user_schedule(windows, now=T0, by="administrator") is not None


def test_R20_under_a_dsr_agreement_the_default_hours_are_off_until_the_owner_sets_some(
    store: Store,
) -> None:
    agreement = DsrAgreement("Flex Co", "FC-2026-001", "response DSR, 7 kW")
    c = OwnerControls(store, dsr_agreement=agreement)
    assert c.default_hours_state().mode == "removed"
    assert c.default_hours(600) is None
    windows = [{"weekday": 0, "start": "01:00", "end": "05:00"}]
    c.set_default_hours("custom", now=T0, by="owner", windows=windows)
    assert c.default_hours(600) is not None
    assert agreement.to_json()["reference"] == "FC-2026-001"


def test_R26_an_end_users_charge_now_is_its_own_cause_and_workplaces_allow_only_admins(
    store: Store,
) -> None:
    c = OwnerControls(store)
    c.set_charge_now(3, by="end_user")
    assert c.charge_now(3) and c.charge_now_cause(3) is Cause.END_USER_OVERRIDE
    c.set_charge_now(4)
    assert c.charge_now_cause(4) is Cause.OWNER_OVERRIDE
    c.end_session(3)
    assert c.charge_now_cause(3) is None
    work = OwnerControls(store, workplace=True)
    with pytest.raises(NotPermitted):
        work.set_charge_now(5, by="end_user")
    assert not work.charge_now(5)
    work.set_charge_now(5, by="administrator")
    assert work.charge_now(5)
