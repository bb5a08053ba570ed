import decimal
import json
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcharge.ocpp.errors import FormationViolation, FrameError
from smartcharge.ocpp.frames import Call, CallErrorFrame, CallResult, encode, parse

ID36 = "0123456789abcdef0123456789abcdef0123"


def test_parses_the_three_frame_types() -> None:
    assert parse('[2,"a1","Heartbeat",{}]') == Call("a1", "Heartbeat", {})
    assert parse(b'[3, "a1", {"currentTime": "2024-06-01T12:00:00Z"}]') == CallResult(
        "a1", {"currentTime": "2024-06-01T12:00:00Z"}
    )
    assert parse('[4,"a1","NotSupported","nope",{"x":1}]') == CallErrorFrame(
        "a1", "NotSupported", "nope", {"x": 1}
    )


def test_frames_are_frozen() -> None:
    frame = Call("a", "Heartbeat", {})
    with pytest.raises(AttributeError):
        frame.action = "Reset"  # type: ignore[misc]


def test_unique_id_of_36_characters_is_fine_37_is_not() -> None:
    assert parse(orjson.dumps([2, ID36, "Heartbeat", {}])).unique_id == ID36
    err = parse_error([2, ID36 + "x", "Heartbeat", {}])
    assert err.unique_id == "-1"
    assert "36" in err.description


def parse_error(frame: Any) -> FrameError:
    raw = frame if isinstance(frame, str | bytes) else orjson.dumps(frame)
    with pytest.raises(FrameError) as info:
        parse(raw)
    assert isinstance(info.value, FormationViolation)
    assert info.value.code == "FormationViolation"
    return info.value


@pytest.mark.parametrize(
    ("raw", "unique_id", "type_id"),
    [
        ("", "-1", None),
        ("not json", "-1", None),
        ('[2,"a","Heartbeat",{}', "-1", None),  # truncated
        (b"\xff\xfe[2]", "-1", None),  # not UTF-8
        ("[NaN]", "-1", None),
        ('{"a": 1}', "-1", None),
        ('"text"', "-1", None),
        ("42", "-1", None),
        ("null", "-1", None),
        ("[]", "-1", None),
        ('["2","a","Heartbeat",{}]', "a", None),  # type id a string
        ('[2.0,"a","Heartbeat",{}]', "a", None),  # type id a float
        ('[true,"a","Heartbeat",{}]', "a", None),  # type id a boolean
        ('[2,"a","Heartbeat"]', "a", 2),  # too short
        ('[2,"a","Heartbeat",{},{}]', "a", 2),  # too long
        ('[2,7,"Heartbeat",{}]', "-1", 2),  # id not a string
        ('[2,"a",7,{}]', "a", 2),  # action not a string
        ('[2,"a","Heartbeat",[]]', "a", 2),  # payload not an object
        ('[2,"a","Heartbeat",null]', "a", 2),
        ('[3,"a"]', "a", 3),
        ('[3,"a",[]]', "a", 3),
        ("[3,null,{}]", "-1", 3),
        ('[4,"a","GenericError","x"]', "a", 4),  # details missing
        ('[4,"a",1,"x",{}]', "a", 4),
        ('[4,"a","GenericError",null,{}]', "a", 4),
        ('[4,"a","GenericError","x",[]]', "a", 4),
        ('[5,"a","Heartbeat",{}]', "a", 5),  # unknown message type
        ('[0,"a"]', "a", 0),
        ("[-1]", "-1", -1),
    ],
)
def test_malformed_frames(raw: str | bytes, unique_id: str, type_id: int | None) -> None:
    err = parse_error(raw)
    assert err.unique_id == unique_id
    assert err.message_type_id == type_id


def test_encode_writes_the_spec_layout() -> None:
    assert orjson.loads(encode(Call("1", "Heartbeat", {}))) == [2, "1", "Heartbeat", {}]
    assert orjson.loads(encode(CallResult("1", {"a": 1}))) == [3, "1", {"a": 1}]
    assert orjson.loads(encode(CallErrorFrame("1", "GenericError", "", {}))) == [
        4,
        "1",
        "GenericError",
        "",
        {},
    ]


def test_encode_is_valid_json_text_with_unicode_and_decimals() -> None:
    text = encode(Call("1", "DataTransfer", {"vendorId": "ß→😀", "data": "\u2028\x00"}))
    assert isinstance(text, str)
    assert json.loads(text) == [2, "1", "DataTransfer", {"vendorId": "ß→😀", "data": "\u2028\x00"}]
    limit = encode(CallResult("1", {"limit": decimal.Decimal("21.4")}))
    assert json.loads(limit) == [3, "1", {"limit": 21.4}]


def test_encode_refuses_what_json_cannot_hold() -> None:
    with pytest.raises(TypeError):
        encode(CallResult("1", {"a": {1, 2}}))
    with pytest.raises(TypeError):
        encode(CallResult("1", {"a": 2**64}))


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
objects = st.dictionaries(st.text(max_size=8), json_values, max_size=4)
ids = st.text(max_size=36)
frames = st.one_of(
    st.builds(Call, ids, st.text(max_size=40), objects),
    st.builds(CallResult, ids, objects),
    st.builds(CallErrorFrame, ids, st.text(max_size=30), st.text(max_size=50), objects),
)


@given(frames)
def test_encode_then_parse_is_the_identity(frame: Call | CallResult | CallErrorFrame) -> None:
    text = encode(frame)
    assert json.loads(text) == orjson.loads(text)  # standard JSON, not an orjson dialect
    assert parse(text) == frame
    assert parse(text.encode()) == frame
