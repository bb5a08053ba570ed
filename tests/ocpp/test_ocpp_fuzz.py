"""Fuzzing: whatever a peer sends, the endpoint answers as the spec says, applies nothing that is
invalid, and is still there to answer the next valid CALL.

The expected answer for each frame is worked out here from the OCPP-J rules (an oracle written
independently of `frames`/`rpc`), and the answers are read back in order: every frame that is not
an answer (CALLRESULT/CALLERROR) gets exactly one reply, in arrival order, so a reply for a frame
that should have been ignored would shift every later one and fail the test.
"""

from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ocpp.v16 import call, call_result

from smartcharge.ocpp.schemas import ACTIONS_TO_CENTRAL_SYSTEM, ACTIONS_TO_CHARGE_POINT

NOW = "2024-06-01T12:00:00Z"
BOOT_RESULT = {"currentTime": NOW, "interval": 300, "status": "Accepted"}
ALL_ACTIONS = ACTIONS_TO_CHARGE_POINT | ACTIONS_TO_CENTRAL_SYSTEM
ROUTED = {"BootNotification", "Heartbeat"}

# BootNotification.req, from OCPP 1.6 section 6.3: camelCase name, snake_case name, maxLength
BOOT_FIELDS = {
    "chargePointVendor": ("charge_point_vendor", 20),
    "chargePointModel": ("charge_point_model", 20),
    "chargePointSerialNumber": ("charge_point_serial_number", 25),
    "chargeBoxSerialNumber": ("charge_box_serial_number", 25),
    "firmwareVersion": ("firmware_version", 50),
    "iccid": ("iccid", 20),
    "imsi": ("imsi", 20),
    "meterType": ("meter_type", 25),
    "meterSerialNumber": ("meter_serial_number", 25),
}
BOOT_REQUIRED = ("chargePointVendor", "chargePointModel")

FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

Expected = tuple[str, str] | None  # (unique id, "result" or error code), None: no reply at all

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=15,
)
unique_ids = st.text(min_size=1, max_size=36)
int64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)


def oracle(frame: Any) -> Expected:
    """What OCPP-J says the answer to this decoded frame is (payloads of routed actions aside)."""
    if type(frame) is not list or not frame:
        return ("-1", "FormationViolation")
    uid_readable = len(frame) > 1 and type(frame[1]) is str and len(frame[1]) <= 36
    uid = frame[1] if uid_readable else "-1"
    type_id = frame[0]
    if type(type_id) is not int:
        return (uid, "FormationViolation")
    if type_id in (3, 4):
        return None  # an answer is never answered, not even a malformed one
    if type_id != 2 or len(frame) != 4 or not uid_readable:
        return (uid, "FormationViolation")
    if type(frame[2]) is not str or type(frame[3]) is not dict:
        return (uid, "FormationViolation")
    if frame[2] not in ALL_ACTIONS:
        return (uid, "NotImplemented")
    if frame[2] not in ROUTED:
        return (uid, "NotSupported")
    raise AssertionError("routed actions are decided by the mutation, not here")


async def exchange(endpoints: Any, frames: list[str | bytes], expected: list[Expected]) -> Any:
    """Send the frames then one valid Heartbeat; check every reply; return what was recorded."""
    run = endpoints("CentralSystem")
    recorded: list[Any] = []

    async def on_boot(req: call.BootNotification) -> call_result.BootNotification:
        recorded.append(req)
        return call_result.BootNotification(current_time=NOW, interval=300, status="Accepted")

    def on_heartbeat(payload: dict[str, Any]) -> dict[str, Any]:
        recorded.append(payload)
        return {"currentTime": NOW}

    run.endpoint.route("BootNotification", on_boot)
    run.endpoint.route("Heartbeat", on_heartbeat, raw=True)
    run.transport.feed(*frames, [2, "still-there", "Heartbeat", {}])
    for want in expected:
        if want is None:
            continue
        uid, outcome = want
        got = await run.transport.sent()
        if outcome == "result":
            assert got == [3, uid, BOOT_RESULT]
        else:
            assert got[:3] == [4, uid, outcome], (got, want)
            assert type(got[3]) is str and type(got[4]) is dict
    assert await run.transport.sent() == [3, "still-there", {"currentTime": NOW}]
    assert await run.transport.nothing_more_sent()
    assert not run.task.done()
    await run.stop()
    assert recorded[-1] == {}
    return recorded[:-1]


@FUZZ
@given(st.lists(st.binary(max_size=60) | st.text(max_size=60), min_size=1, max_size=6))
async def test_arbitrary_bytes_and_text(endpoints: Any, blobs: list[bytes | str]) -> None:
    frames: list[str | bytes] = []
    expected: list[Expected] = []
    for blob in blobs:
        raw = blob.encode() if isinstance(blob, str) else blob
        try:
            decoded = orjson.loads(raw)
        except orjson.JSONDecodeError:
            want: Expected = ("-1", "FormationViolation")
        else:
            if type(decoded) is list and decoded and decoded[0] == 2 and len(decoded) == 4:
                continue  # a well-formed CALL by chance: not what this test is about
            want = oracle(decoded)
        frames.append(blob)
        expected.append(want)
    assert await exchange(endpoints, frames, expected) == []


@FUZZ
@given(
    st.lists(
        json_values
        | st.lists(json_values, min_size=1, max_size=6)
        | st.tuples(st.sampled_from([2, 3, 4, 5, 2.0, "2", True]), json_values).map(list)
        | st.tuples(
            st.sampled_from([2, 3, 4, 5]), unique_ids | json_scalars, json_values, json_values
        ).map(list),
        min_size=1,
        max_size=6,
    )
)
async def test_arbitrary_json_values(endpoints: Any, values: list[Any]) -> None:
    frames: list[str | bytes] = []
    expected: list[Expected] = []
    for value in values:
        if (
            type(value) is list
            and len(value) == 4
            and value[0] == 2
            and type(value[0]) is int
            and isinstance(value[2], str)
            and value[2] in ROUTED
        ):
            continue  # decided by the mutation test below
        frames.append(orjson.dumps(value))
        expected.append(oracle(value))
    assert await exchange(endpoints, frames, expected) == []


def boot_payloads() -> st.SearchStrategy[dict[str, str]]:
    def build(required: dict[str, str], optional: dict[str, str]) -> dict[str, str]:
        return {**required, **optional}

    return st.builds(
        build,
        st.fixed_dictionaries(
            {name: st.text(max_size=BOOT_FIELDS[name][1]) for name in BOOT_REQUIRED}
        ),
        st.fixed_dictionaries(
            {},
            optional={
                name: st.text(max_size=size)
                for name, (_, size) in BOOT_FIELDS.items()
                if name not in BOOT_REQUIRED
            },
        ),
    )


@st.composite
def mutated_boot_calls(draw: st.DrawFn) -> tuple[list[Any], Expected, Any]:
    """A BootNotification CALL, valid or with one fault: (frame, expected reply, request)."""
    uid = draw(unique_ids)
    payload = draw(boot_payloads())
    frame: list[Any] = [2, uid, "BootNotification", payload]
    kind = draw(
        st.sampled_from(
            [
                "valid",
                "type id",
                "answer type id",
                "unique id type",
                "unique id length",
                "unknown action",
                "wrong direction",
                "not routed",
                "payload not object",
                "arity",
                "missing field",
                "extra field",
                "wrong type",
                "too long",
            ]
        )
    )
    if kind == "valid":
        request = call.BootNotification(
            **{BOOT_FIELDS[name][0]: value for name, value in payload.items()}
        )
        return frame, (uid, "result"), request
    if kind == "type id":
        frame[0] = draw(
            int64.filter(lambda i: i not in (2, 3, 4))
            | st.sampled_from([2.0, "2", True, None, [2]])
        )
        return frame, (uid, "FormationViolation"), None
    if kind == "answer type id":
        frame[0] = draw(st.sampled_from([3, 4]))
        return frame, None, None
    if kind == "unique id type":
        frame[1] = draw(int64 | st.none() | st.lists(st.text(), max_size=2))
        return frame, ("-1", "FormationViolation"), None
    if kind == "unique id length":
        frame[1] = draw(st.text(min_size=37, max_size=80))
        return frame, ("-1", "FormationViolation"), None
    if kind == "unknown action":
        frame[2] = draw(st.text(max_size=30).filter(lambda a: a not in ALL_ACTIONS))
        return frame, (uid, "NotImplemented"), None
    if kind == "wrong direction":
        frame[2] = draw(st.sampled_from(sorted(ACTIONS_TO_CHARGE_POINT - {"DataTransfer"})))
        return frame, (uid, "NotSupported"), None
    if kind == "not routed":
        frame[2] = draw(st.sampled_from(sorted(ACTIONS_TO_CENTRAL_SYSTEM - ROUTED)))
        return frame, (uid, "NotSupported"), None
    if kind == "payload not object":
        frame[3] = draw(json_scalars | st.lists(json_scalars, max_size=3))
        return frame, (uid, "FormationViolation"), None
    if kind == "arity":
        if draw(st.booleans()):
            frame.append(draw(json_values))
        else:
            frame.pop()
        return frame, (uid, "FormationViolation"), None
    if kind == "missing field":
        del payload[draw(st.sampled_from(BOOT_REQUIRED))]
        return frame, (uid, "ProtocolError"), None
    if kind == "extra field":
        name = draw(st.text(max_size=20).filter(lambda k: k not in BOOT_FIELDS))
        payload[name] = draw(json_values)
        return frame, (uid, "FormationViolation"), None
    name = draw(st.sampled_from(sorted(BOOT_FIELDS)))
    if kind == "wrong type":
        payload[name] = draw(
            st.none()
            | st.booleans()
            | int64
            | st.floats(allow_nan=False, allow_infinity=False)
            | st.lists(st.text(), max_size=2)
            | st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2)
        )
        return frame, (uid, "TypeConstraintViolation"), None
    assert kind == "too long"
    limit = BOOT_FIELDS[name][1]
    payload[name] = draw(st.text(min_size=limit + 1, max_size=limit + 30))
    return frame, (uid, "PropertyConstraintViolation"), None


@FUZZ
@given(st.lists(mutated_boot_calls(), min_size=1, max_size=8))
async def test_mutated_calls_get_the_right_code_and_never_reach_the_handler(
    endpoints: Any, cases: list[tuple[list[Any], Expected, Any]]
) -> None:
    frames: list[str | bytes] = [orjson.dumps(frame) for frame, _, _ in cases]
    expected = [want for _, want, _ in cases]
    applied = [request for _, _, request in cases if request is not None]
    assert await exchange(endpoints, frames, expected) == applied
