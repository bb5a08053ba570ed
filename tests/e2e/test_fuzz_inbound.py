"""Fuzzing the charge point's inbound OCPP frames (hypothesis): every bad frame gets the right
CALLERROR, the process stays up, and nothing in its state changed (R34, DESIGN principle 6).

A raw central system (plain websockets, no OCPP library that would refuse to send garbage)
accepts the charger's boot, then sends the generated frames one by one.
"""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ocpp_fuzz import JUNK, example_dir
from websockets.asyncio.server import ServerConnection, serve
from websockets.typing import Subprotocol

from smartcharge.chargepoint.app import ChargePointApp
from smartcharge.chargepoint.config import parse_config

# (action, a valid payload, fields to spoil) for requests that would change state if accepted.
VALID: list[tuple[str, dict[str, Any]]] = [
    ("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "42"}),
    ("SendLocalList", {"listVersion": 9, "updateType": "Full", "localAuthorizationList": []}),
    (
        "ReserveNow",
        {
            "connectorId": 1,
            "expiryDate": "2026-06-01T12:00:00Z",
            "idTag": "R",
            "reservationId": 1,
        },
    ),
    ("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}),
    ("RemoteStartTransaction", {"idTag": "X", "connectorId": 1}),
    ("ClearCache", {}),
    ("Reset", {"type": "Hard"}),
]
REQUIRED = {
    "ChangeConfiguration": {"key", "value"},
    "SendLocalList": {"listVersion", "updateType"},
    "ReserveNow": {"connectorId", "expiryDate", "idTag", "reservationId"},
    "ChangeAvailability": {"connectorId", "type"},
    "RemoteStartTransaction": {"idTag"},
    "ClearCache": set(),
    "Reset": {"type"},
}


@st.composite
def bad_frames(draw: st.DrawFn) -> tuple[bytes | str, set[str]]:
    """A frame and the CALLERROR codes that are right for it."""
    kind = draw(
        st.sampled_from(
            ["bytes", "json", "type", "unknown", "wrong_way", "field", "extra", "missing"]
        )
    )
    uid = f"fz{draw(st.integers(0, 10**6))}"
    if kind == "bytes":
        raw = draw(st.binary(min_size=1, max_size=40)).decode("latin-1")
        return "{" + raw, {"FormationViolation", "ProtocolError"}
    if kind == "json":
        value = draw(st.one_of(JUNK, st.lists(JUNK, max_size=5)))
        # A 3- or 4-element list starting with 3 or 4 is an answer, which is ignored, not errored.
        if isinstance(value, list) and value and value[0] in (3, 4):
            value[0] = 5
        return json.dumps(value), {"FormationViolation", "ProtocolError"}
    if kind == "type":
        return json.dumps([2, uid, draw(JUNK.filter(lambda v: not isinstance(v, str))), {}]), {
            "FormationViolation",
            "ProtocolError",
            "TypeConstraintViolation",
        }
    if kind == "unknown":
        name = "Zz" + draw(st.text(alphabet="abcdefgh", min_size=1, max_size=8))
        return json.dumps([2, uid, name, {}]), {"NotImplemented"}
    if kind == "wrong_way":
        action = draw(st.sampled_from(["BootNotification", "StartTransaction", "MeterValues"]))
        return json.dumps([2, uid, action, {}]), {"NotSupported"}
    action, payload = draw(st.sampled_from(VALID))
    payload = dict(payload)
    required = sorted(REQUIRED[action])
    if kind == "missing" and required:
        del payload[draw(st.sampled_from(required))]
        return json.dumps([2, uid, action, payload]), {
            "ProtocolError",
            "OccurenceConstraintViolation",
        }
    if kind == "extra" or not payload:
        payload["zzUnexpected"] = draw(JUNK)
        return json.dumps([2, uid, action, payload]), {"FormationViolation"}
    field = draw(st.sampled_from(sorted(payload)))
    original = payload[field]
    payload[field] = draw(JUNK.filter(lambda v, o=original: type(v) is not type(o)))
    return json.dumps([2, uid, action, payload]), {
        "TypeConstraintViolation",
        "PropertyConstraintViolation",
        "FormationViolation",
    }


class RawCentralSystem:
    def __init__(self) -> None:
        self.ws: ServerConnection | None = None
        self.answers: asyncio.Queue[list[Any]] = asyncio.Queue()
        self.booted = asyncio.Event()
        self.calls: list[str] = []  # the actions the charger sent, in order

    async def handle(self, ws: ServerConnection) -> None:
        self.ws = ws
        async for raw in ws:
            msg = orjson.loads(raw)
            if msg[0] == 2:
                self.calls.append(msg[2])
                reply: dict[str, Any] = {}
                if msg[2] == "BootNotification":
                    reply = {
                        "status": "Accepted",
                        "currentTime": "2026-06-01T10:00:00Z",
                        "interval": 300,
                    }
                    self.booted.set()
                elif msg[2] == "Heartbeat":
                    reply = {"currentTime": "2026-06-01T10:00:00Z"}
                await ws.send(orjson.dumps([3, msg[1], reply]).decode())
            else:
                await self.answers.put(msg)


def snapshot(app: ChargePointApp) -> Any:
    st_ = app.station
    assert st_ is not None
    store = st_.store
    return (
        store.load_settings(),
        store.local_list_version(),
        store.reservations(),
        [s.local_id for s in store.sessions()],
        store.outbox_size(),
        app.boots,
        {n: (c.operative, c.authorized) for n, c in st_.connectors.items()},
    )


async def outbox_drained(app: ChargePointApp, timeout: float = 20.0) -> None:
    st_ = app.station
    assert st_ is not None
    async with asyncio.timeout(timeout):
        while st_.store.outbox_size():
            await asyncio.sleep(0.02)


def unique_id(raw: str, n: int) -> str:
    """The frame with a message id of its own: hypothesis may draw the same id twice, and a
    reused id is refused as a replay whatever the rest (tests/e2e/test_replay.py)."""
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    if isinstance(value, list) and len(value) > 1 and str(value[1]).startswith("fz"):
        value[1] = f"fz{n}-{value[1][2:]}"
        return json.dumps(value)
    return raw


async def run_frames(tmp: Path, frames: list[tuple[str, set[str]]]) -> None:
    cs = RawCentralSystem()
    server = await serve(cs.handle, "127.0.0.1", 0, subprotocols=[Subprotocol("ocpp1.6")])
    port = server.sockets[0].getsockname()[1]
    cfg = parse_config(
        {
            "identity": "FUZZ",
            "csms_url": f"ws://127.0.0.1:{port}/ocpp",
            "data_dir": str(tmp),
            "security": {"profile": 0},
            "simulator": {"speed": 1},
        },
        base_dir=tmp,
    )
    app = ChargePointApp(cfg, rng=random.Random(1))
    task = asyncio.ensure_future(app.run())
    try:
        await asyncio.wait_for(cs.booted.wait(), 10)
        await outbox_drained(app)  # what the boot queued has been delivered
        before = snapshot(app)
        sent_before = len(cs.calls)
        assert cs.ws is not None
        for n, (raw, codes) in enumerate(frames):
            await cs.ws.send(unique_id(raw, n))
            answer = await asyncio.wait_for(cs.answers.get(), 5)
            assert answer[0] == 4, f"{raw!r} was answered {answer!r}"
            assert answer[2] in codes, f"{raw!r}: {answer[2]} not in {codes}"
            assert not task.done()
        # Invalid messages are security events (InvalidMessages), sent to the central system;
        # once they are delivered, nothing else may have changed or been queued.
        await outbox_drained(app)
        assert snapshot(app) == before
        assert set(cs.calls[sent_before:]) <= {"SecurityEventNotification", "Heartbeat"}
        # Still alive and still correct: a valid request is answered normally.
        await cs.ws.send(orjson.dumps([2, "ok1", "GetLocalListVersion", {}]).decode())
        answer = await asyncio.wait_for(cs.answers.get(), 5)
        assert answer[0] == 3 and answer[1] == "ok1"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        server.close()
        await server.wait_closed()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(frames=st.lists(bad_frames(), min_size=5, max_size=25))
def test_bad_frames_get_the_right_callerror_and_change_nothing(
    tmp_path: Path, frames: list[tuple[str, set[str]]]
) -> None:
    asyncio.run(run_frames(example_dir(tmp_path), frames))
