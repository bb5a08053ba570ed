"""Bad frames (hypothesis) get the right CALLERROR, store nothing, and the connection stays
usable: a valid CALL afterwards is answered normally."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ocpp_fuzz import JUNK, example_dir
from platform_harness import basic
from sqlalchemy import func, select
from websockets.asyncio.client import connect

from smartcharge.platform.app import PlatformApp
from smartcharge.platform.config import PlatformSettings
from smartcharge.platform.registry import add_charger
from smartcharge.platform.store.models import MeterValue, StatusEvent, Transaction

VALID: dict[str, dict[str, Any]] = {
    "StartTransaction": {
        "connectorId": 1,
        "idTag": "T",
        "meterStart": 0,
        "timestamp": "2026-06-01T10:00:00Z",
    },
    "StatusNotification": {"connectorId": 1, "errorCode": "NoError", "status": "Available"},
    "MeterValues": {
        "connectorId": 1,
        "meterValue": [{"timestamp": "2026-06-01T10:00:00Z", "sampledValue": [{"value": "1"}]}],
    },
    "StopTransaction": {"meterStop": 5, "timestamp": "2026-06-01T11:00:00Z", "transactionId": 1},
}
SHAPE = {"FormationViolation", "ProtocolError"}
FIELD = {"TypeConstraintViolation", "PropertyConstraintViolation", "FormationViolation"}


@st.composite
def bad_frames(draw: st.DrawFn) -> tuple[str, set[str]]:
    """A frame and the CALLERROR codes that are right for it."""
    kind = draw(
        st.sampled_from(["bytes", "json", "unknown", "wrong_way", "field", "extra", "miss"])
    )
    uid = f"fz{draw(st.integers(0, 10**6))}"
    if kind == "bytes":
        return "{" + draw(st.binary(min_size=1, max_size=40)).decode("latin-1"), SHAPE
    if kind == "json":
        value = draw(st.one_of(JUNK, st.lists(JUNK, max_size=5)))
        if isinstance(value, list) and value and value[0] in (3, 4):
            value[0] = 5  # an answer would be ignored, not answered
        return json.dumps(value), SHAPE
    if kind == "unknown":
        name = "Zz" + draw(st.text(alphabet="abcdefgh", min_size=1, max_size=8))
        return json.dumps([2, uid, name, {}]), {"NotImplemented"}
    if kind == "wrong_way":
        action = draw(st.sampled_from(["RemoteStartTransaction", "Reset", "GetConfiguration"]))
        return json.dumps([2, uid, action, {}]), {"NotSupported"}
    action = draw(st.sampled_from(sorted(VALID)))
    payload = dict(VALID[action])
    if kind == "miss":
        del payload[draw(st.sampled_from(sorted(payload)))]
        return json.dumps([2, uid, action, payload]), {
            "ProtocolError",
            "OccurenceConstraintViolation",
        }
    if kind == "extra":
        payload["zzUnexpected"] = draw(JUNK)
        return json.dumps([2, uid, action, payload]), {"FormationViolation"}
    key = draw(st.sampled_from(sorted(payload)))
    original = payload[key]
    payload[key] = draw(JUNK.filter(lambda v, o=original: type(v) is not type(o)))
    return json.dumps([2, uid, action, payload]), FIELD


async def run_frames(data_dir: Path, frames: list[tuple[str, set[str]]]) -> None:
    app = PlatformApp(
        PlatformSettings(
            data_dir=data_dir,
            host="127.0.0.1",
            port=0,
            security_profile=1,
            node_id="fuzz",
            api_host="127.0.0.1",
            api_port=0,  # the REST API on a free port too
        )
    )
    await app.start()
    try:
        new = await add_charger(app.store, "FUZZ")
        async with connect(
            f"ws://127.0.0.1:{app.ocpp.port}/ocpp/FUZZ",
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            additional_headers=basic("FUZZ", new.password),
        ) as ws:
            for raw, codes in frames:
                await ws.send(raw)
                answer = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
                assert answer[0] == 4, f"{raw!r} was answered {answer!r}"
                assert answer[2] in codes, f"{raw!r}: {answer[2]} not in {codes}"
            async with app.store.engine.connect() as conn:
                for model in (Transaction, StatusEvent, MeterValue):
                    assert await conn.scalar(select(func.count()).select_from(model)) == 0
            await ws.send(orjson.dumps([2, "ok1", "Heartbeat", {}]).decode())
            answer = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
            assert answer[0] == 3 and answer[1] == "ok1" and "currentTime" in answer[2]
    finally:
        await app.stop()


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(frames=st.lists(bad_frames(), min_size=5, max_size=30))
def test_bad_frames_get_the_right_callerror_and_store_nothing(
    tmp_path: Path, frames: list[tuple[str, set[str]]]
) -> None:
    asyncio.run(run_frames(example_dir(tmp_path), frames))
