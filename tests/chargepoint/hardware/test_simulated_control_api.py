"""The simulator's control API, over a real loopback socket with aiohttp's client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartcharge.chargepoint.hardware.simulated import FAULT_CODES, SimulatedHardware
from smartcharge.chargepoint.hardware.simulated.control_api import (
    ControlApi,
    parse_control_address,
)


@dataclass
class Rig:
    hardware: SimulatedHardware
    api: ControlApi
    http: aiohttp.ClientSession
    software: dict[int, dict[str, Any]] = field(default_factory=dict)
    network_changes: list[bool] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.api.port}{path}"

    async def call(
        self, method: str, path: str, body: Any = None, raw: bytes | None = None
    ) -> tuple[int, Any]:
        data = raw if raw is not None else (None if body is None else orjson.dumps(body))
        headers = {"Content-Type": "application/json"} if data is not None else None
        async with self.http.request(method, self.url(path), data=data, headers=headers) as r:
            assert r.content_type == "application/json"
            return r.status, orjson.loads(await r.read())

    def world(self) -> dict[str, Any]:
        """Everything the outside world could have changed."""
        return {
            "snapshot": self.hardware.snapshot(),
            "cards": list(self.hardware.simulated_rfid.presented),
            "tampers": list(self.hardware.simulated_tamper.events),
            "network_changes": list(self.network_changes),
        }


@pytest.fixture
async def rig(hardware: SimulatedHardware) -> AsyncIterator[Rig]:
    software: dict[int, dict[str, Any]] = {
        1: {"status": "Available", "transaction_id": None},
        2: {"status": "Available", "transaction_id": None},
    }

    def provider() -> Mapping[int, Mapping[str, Any]]:
        return software

    api = ControlApi(hardware, provider)
    await api.start("127.0.0.1", 0)
    async with aiohttp.ClientSession() as http:
        rig = Rig(hardware, api, http, software)
        hardware.network.on_change(rig.network_changes.append)
        yield rig
    await api.stop()


@pytest.fixture
async def busy(rig: Rig) -> Rig:
    """Connector 1 has an EV, connector 2 is free: bodies are the only reason to refuse."""
    rig.hardware.plug(1, battery_kwh=60.0, soc=20.0, max_power_w=7400.0)
    return rig


# -- happy paths ---------------------------------------------------------------------------------


async def test_state_merges_hardware_truth_and_the_software_view(rig: Rig) -> None:
    rig.software[1] = {
        "status": "Charging",
        "transaction_id": 42,
        "random_delay_remaining_s": 12.5,
        "limit_cause": "default_hours",
    }
    status, state = await rig.call("GET", "/state")
    assert status == 200
    assert state["network_up"] is True
    one, two = state["connectors"]["1"], state["connectors"]["2"]
    assert one["status"] == "Charging" and one["transaction_id"] == 42
    assert one["random_delay_remaining_s"] == 12.5 and one["limit_cause"] == "default_hours"
    assert two["status"] == "Available" and two["transaction_id"] is None
    for key in (
        "ev_connected",
        "offered_current_a",
        "power_w",
        "energy_wh",
        "soc",
        "pilot",
        "contactor_closed",
        "true_power_w",
        "true_energy_wh",
        "error_code",
    ):
        assert key in one, key


async def test_state_without_a_provider(hardware: SimulatedHardware) -> None:
    api = ControlApi(hardware)
    await api.start()
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{api.port}/state") as r,
        ):
            state = await r.json()
        assert state["connectors"]["1"]["status"] is None
        assert state["connectors"]["1"]["transaction_id"] is None
    finally:
        await api.stop()


async def test_plug_and_unplug(rig: Rig) -> None:
    status, state = await rig.call(
        "POST", "/connectors/2/plug", {"battery_kwh": 75, "soc": 35.5, "max_power_w": 7400}
    )
    assert status == 200
    two = state["connectors"]["2"]
    assert two["ev_connected"] is True and two["pilot"] == "B" and two["soc"] == 35.5
    assert two["ev"]["phases"] == 3
    status, state = await rig.call(
        "POST",
        "/connectors/1/plug",
        {"battery_kwh": 40.0, "soc": 0, "max_power_w": 3700.0, "phases": 1},
    )
    assert status == 200 and state["connectors"]["1"]["ev"]["phases"] == 1
    status, state = await rig.call("POST", "/connectors/2/unplug")
    assert status == 200
    assert state["connectors"]["2"]["ev_connected"] is False
    assert state["connectors"]["2"]["pilot"] == "A"


async def test_fault_set_and_clear(rig: Rig) -> None:
    status, state = await rig.call("POST", "/connectors/1/fault", {"code": "GroundFailure"})
    assert status == 200
    assert state["connectors"]["1"]["error_code"] == "GroundFailure"
    assert state["connectors"]["1"]["pilot"] == "F"
    status, state = await rig.call("DELETE", "/connectors/1/fault")
    assert status == 200 and state["connectors"]["1"]["error_code"] == "NoError"
    status, _ = await rig.call("DELETE", "/connectors/1/fault")  # already clear: fine
    assert status == 200


async def test_ev_pause(busy: Rig) -> None:
    busy.hardware.connector(1).set_offered_current(32.0)
    status, state = await busy.call("POST", "/connectors/1/ev", {"paused": True})
    assert status == 200
    assert state["connectors"]["1"]["ev"]["paused"] is True
    assert state["connectors"]["1"]["pilot"] == "B"
    status, state = await busy.call("POST", "/connectors/1/ev", {"paused": False})
    assert state["connectors"]["1"]["pilot"] == "C"


async def test_meter_error(rig: Rig) -> None:
    status, state = await rig.call("POST", "/connectors/2/meter", {"error_fraction": 0.05})
    assert status == 200
    assert state["connectors"]["2"]["meter_error_fraction"] == 0.05


async def test_rfid(rig: Rig) -> None:
    seen: list[str] = []
    rig.hardware.rfid.on_card(seen.append)
    status, _ = await rig.call("POST", "/rfid", {"id_tag": "04A2B3C4D5E6F7"})
    assert status == 200
    assert seen == ["04A2B3C4D5E6F7"]


async def test_tamper(rig: Rig) -> None:
    seen: list[str] = []
    rig.hardware.tamper.on_tamper(seen.append)
    assert (await rig.call("POST", "/tamper"))[0] == 200
    assert (await rig.call("POST", "/tamper", {"description": "lid forced"}))[0] == 200
    assert seen == ["enclosure opened", "lid forced"]


async def test_network(rig: Rig) -> None:
    status, state = await rig.call("POST", "/network", {"up": False})
    assert status == 200 and state["network_up"] is False
    assert not rig.hardware.network.is_up()
    status, state = await rig.call("POST", "/network", {"up": True})
    assert state["network_up"] is True
    assert rig.network_changes == [False, True]


# -- every refusal, and that it changed nothing ----------------------------------------------------

PLUG = {"battery_kwh": 60.0, "soc": 20.0, "max_power_w": 7400.0}

REFUSALS: list[tuple[str, str, Any, int, str | None]] = [
    # method, path, body, status, field named
    ("POST", "/connectors/3/plug", PLUG, 404, None),
    ("POST", "/connectors/0/plug", PLUG, 404, None),
    ("POST", "/connectors/abc/plug", PLUG, 404, None),
    ("POST", "/connectors/%D9%A1/plug", PLUG, 404, None),  # Arabic-Indic digit one
    ("POST", "/connectors/9/unplug", None, 404, None),
    ("POST", "/connectors/9/fault", {"code": "GroundFailure"}, 404, None),
    ("DELETE", "/connectors/9/fault", None, 404, None),
    ("POST", "/connectors/9/ev", {"paused": True}, 404, None),
    ("POST", "/connectors/9/meter", {"error_fraction": 0.1}, 404, None),
    ("POST", "/connectors/1/plug", PLUG, 409, None),  # occupied
    ("POST", "/connectors/2/unplug", None, 409, None),  # nothing plugged
    ("POST", "/connectors/2/ev", {"paused": True}, 409, None),  # no EV to pause
    ("POST", "/connectors/2/plug", None, 400, None),
    ("POST", "/connectors/2/plug", [1, 2], 400, None),
    ("POST", "/connectors/2/plug", "text", 400, None),
    ("POST", "/connectors/2/plug", {**PLUG, "battery_kwh": 0}, 422, "battery_kwh"),
    ("POST", "/connectors/2/plug", {**PLUG, "battery_kwh": 250.5}, 422, "battery_kwh"),
    ("POST", "/connectors/2/plug", {**PLUG, "battery_kwh": "60"}, 422, "battery_kwh"),
    ("POST", "/connectors/2/plug", {**PLUG, "battery_kwh": True}, 422, "battery_kwh"),
    ("POST", "/connectors/2/plug", {**PLUG, "soc": -1}, 422, "soc"),
    ("POST", "/connectors/2/plug", {**PLUG, "soc": 100.01}, 422, "soc"),
    ("POST", "/connectors/2/plug", {**PLUG, "soc": None}, 422, "soc"),
    ("POST", "/connectors/2/plug", {**PLUG, "max_power_w": 0}, 422, "max_power_w"),
    ("POST", "/connectors/2/plug", {**PLUG, "max_power_w": 350_001}, 422, "max_power_w"),
    ("POST", "/connectors/2/plug", {**PLUG, "phases": 2}, 422, "phases"),
    ("POST", "/connectors/2/plug", {**PLUG, "phases": 1.0}, 422, "phases"),
    ("POST", "/connectors/2/plug", {**PLUG, "phases": True}, 422, "phases"),
    ("POST", "/connectors/2/plug", {"soc": 20.0, "max_power_w": 7400.0}, 422, "battery_kwh"),
    ("POST", "/connectors/2/plug", {**PLUG, "colour": "red"}, 422, "colour"),
    ("POST", "/connectors/1/fault", {"code": "Meltdown"}, 422, "code"),
    ("POST", "/connectors/1/fault", {"code": "NoError"}, 422, "code"),
    ("POST", "/connectors/1/fault", {"code": 3}, 422, "code"),
    ("POST", "/connectors/1/fault", {}, 422, "code"),
    ("POST", "/connectors/1/ev", {"paused": 1}, 422, "paused"),
    ("POST", "/connectors/1/ev", {"paused": "true"}, 422, "paused"),
    ("POST", "/connectors/1/meter", {"error_fraction": 0.9}, 422, "error_fraction"),
    ("POST", "/rfid", {"id_tag": ""}, 422, "id_tag"),
    ("POST", "/rfid", {"id_tag": "X" * 21}, 422, "id_tag"),
    ("POST", "/rfid", {"id_tag": 1234}, 422, "id_tag"),
    ("POST", "/rfid", {}, 422, "id_tag"),
    ("POST", "/rfid", None, 400, None),
    ("POST", "/tamper", {"description": ""}, 422, "description"),
    ("POST", "/tamper", {"description": 7}, 422, "description"),
    ("POST", "/tamper", [], 400, None),
    ("POST", "/network", {"up": "false"}, 422, "up"),
    ("POST", "/network", {"up": 0}, 422, "up"),
    ("POST", "/network", {}, 422, "up"),
    ("GET", "/nowhere", None, 404, None),
    ("PUT", "/state", None, 405, None),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "field_name"), REFUSALS)
async def test_refusals_are_clear_and_change_nothing(
    busy: Rig, method: str, path: str, body: Any, status: int, field_name: str | None
) -> None:
    before = busy.world()
    got, answer = await busy.call(method, path, body)
    assert got == status, answer
    assert isinstance(answer["error"], str) and answer["error"]
    if field_name is not None:
        assert answer["field"] == field_name
        assert field_name in answer["error"]
    assert busy.world() == before


@pytest.mark.parametrize(
    "raw", [b"{", b"{'soc': 1}", b"\xff\xfe", b"NaN", b'{"battery_kwh": NaN}', b"[]"]
)
async def test_bad_json_is_400_and_changes_nothing(busy: Rig, raw: bytes) -> None:
    before = busy.world()
    status, answer = await busy.call("POST", "/connectors/2/plug", raw=raw)
    assert status == 400 and answer["error"]
    assert busy.world() == before


async def test_a_failing_state_provider_gives_a_json_500(hardware: SimulatedHardware) -> None:
    def provider() -> Mapping[int, Mapping[str, Any]]:
        raise RuntimeError("boom")

    api = ControlApi(hardware, provider)
    await api.start()
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{api.port}/state") as r,
        ):
            assert r.status == 500
            assert await r.json() == {"error": "internal error"}
    finally:
        await api.stop()


# -- random bodies --------------------------------------------------------------------------------

int64 = st.integers(-(2**63), 2**63 - 1)  # what JSON encoders carry
json_scalars = (
    st.none()
    | st.booleans()
    | int64
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=10,
)
not_numbers = st.none() | st.booleans() | st.text(max_size=10) | st.lists(json_scalars, max_size=2)
not_bools = st.none() | st.integers(-2, 2) | st.floats(-2, 2) | st.text(max_size=10)
not_strings = st.none() | st.booleans() | int64 | st.floats(allow_nan=False, allow_infinity=False)


def numbers_outside(lo: float, hi: float, *, lo_ok: bool) -> st.SearchStrategy[float]:
    below = st.floats(max_value=lo, exclude_max=lo_ok, allow_nan=False, allow_infinity=False)
    above = st.floats(min_value=hi, exclude_min=True, allow_nan=False, allow_infinity=False)
    return below | above | st.integers(int(hi) + 1, 2**62).map(float)


@dataclass(frozen=True)
class Endpoint:
    path: str
    valid: dict[str, st.SearchStrategy[Any]]
    invalid: dict[str, st.SearchStrategy[Any]]
    required: frozenset[str]


ENDPOINTS = [
    Endpoint(
        "/connectors/2/plug",
        valid={
            "battery_kwh": st.floats(0, 250, exclude_min=True),
            "soc": st.floats(0, 100),
            "max_power_w": st.floats(0, 350_000, exclude_min=True),
            "phases": st.sampled_from([1, 3, None]),
        },
        invalid={
            "battery_kwh": not_numbers | numbers_outside(0, 250, lo_ok=False),
            "soc": not_numbers | numbers_outside(0, 100, lo_ok=True),
            "max_power_w": not_numbers | numbers_outside(0, 350_000, lo_ok=False),
            "phases": st.booleans()
            | st.text(max_size=3)
            | int64.filter(lambda p: p not in (1, 3))
            | st.sampled_from([1.0, 3.0]),
        },
        required=frozenset({"battery_kwh", "soc", "max_power_w"}),
    ),
    Endpoint(
        "/connectors/1/fault",
        valid={"code": st.sampled_from(sorted(FAULT_CODES))},
        invalid={"code": not_strings | st.text().filter(lambda c: c not in FAULT_CODES)},
        required=frozenset({"code"}),
    ),
    Endpoint(
        "/connectors/1/ev",
        valid={"paused": st.booleans()},
        invalid={"paused": not_bools},
        required=frozenset({"paused"}),
    ),
    Endpoint(
        "/connectors/1/meter",
        valid={"error_fraction": st.floats(-0.5, 0.5)},
        invalid={"error_fraction": not_numbers | numbers_outside(-0.5, 0.5, lo_ok=True)},
        required=frozenset({"error_fraction"}),
    ),
    Endpoint(
        "/rfid",
        valid={"id_tag": st.text(min_size=1, max_size=20)},
        invalid={"id_tag": not_strings | st.just("") | st.text(min_size=21, max_size=40)},
        required=frozenset({"id_tag"}),
    ),
    Endpoint(
        "/tamper",
        valid={"description": st.text(min_size=1, max_size=200)},
        invalid={"description": not_strings | st.just("") | st.text(min_size=201)},
        required=frozenset(),
    ),
    Endpoint(
        "/network",
        valid={"up": st.booleans()},
        invalid={"up": not_bools},
        required=frozenset({"up"}),
    ),
]


@st.composite
def spoilt_bodies(draw: st.DrawFn) -> tuple[str, dict[str, Any], str]:
    """A valid body for some endpoint with exactly one thing wrong, and the field at fault."""
    ep = draw(st.sampled_from(ENDPOINTS))
    body = {name: draw(strategy) for name, strategy in ep.valid.items()}
    body = {k: v for k, v in body.items() if v is not None}
    how = draw(st.sampled_from(["bad value", "missing", "extra"]))
    if how == "missing" and ep.required:
        name = draw(st.sampled_from(sorted(ep.required)))
        del body[name]
    elif how == "extra":
        name = draw(st.text(min_size=1, max_size=12).filter(lambda k: k not in ep.valid))
        body[name] = draw(json_values)
    else:
        name = draw(st.sampled_from(sorted(ep.invalid)))
        body[name] = draw(ep.invalid[name])
    return ep.path, body, name


SLOW_OK = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@SLOW_OK
@given(case=spoilt_bodies())
async def test_any_spoilt_body_is_refused_naming_the_field(
    busy: Rig, case: tuple[str, dict[str, Any], str]
) -> None:
    path, body, name = case
    before = busy.world()
    status, answer = await busy.call("POST", path, body)
    assert status == 422, (path, body, answer)
    assert answer["field"] == name and name in answer["error"]
    assert busy.world() == before


@SLOW_OK
@given(path=st.sampled_from([e.path for e in ENDPOINTS]), body=json_values)
async def test_random_json_never_half_applies(busy: Rig, path: str, body: Any) -> None:
    ep = next(e for e in ENDPOINTS if e.path == path)
    if isinstance(body, dict) and set(body) <= set(ep.valid) and ep.required <= set(body):
        return  # could be valid; the spoilt-body test covers near-misses
    before = busy.world()
    status, answer = await busy.call("POST", path, raw=orjson.dumps(body))  # null too
    assert status in (400, 422), (path, body, answer)
    assert answer["error"]
    assert busy.world() == before


@SLOW_OK
@given(raw=st.binary(min_size=1, max_size=64))
async def test_random_bytes_never_half_apply(busy: Rig, raw: bytes) -> None:
    before = busy.world()
    status, answer = await busy.call("POST", "/connectors/2/plug", raw=raw)
    assert status in (400, 422), answer
    assert busy.world() == before


# -- serving --------------------------------------------------------------------------------------


async def test_port_and_lifecycle(hardware: SimulatedHardware) -> None:
    api = ControlApi(hardware)
    with pytest.raises(RuntimeError, match="not been started"):
        _ = api.port
    await api.start("127.0.0.1", 0)
    try:
        assert api.port > 0
        with pytest.raises(RuntimeError, match="already running"):
            await api.start("127.0.0.1", 0)
    finally:
        await api.stop()
    await api.stop()  # idempotent


@pytest.mark.parametrize(
    ("address", "expected"),
    [("127.0.0.1:8181", ("127.0.0.1", 8181)), ("[::1]:0", ("::1", 0)), ("sim:80", ("sim", 80))],
)
def test_parse_control_address(address: str, expected: tuple[str, int]) -> None:
    assert parse_control_address(address) == expected


@pytest.mark.parametrize("address", ["127.0.0.1", ":8181", "host:port", "h:70000", ""])
def test_parse_control_address_refuses(address: str) -> None:
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_control_address(address)
