"""The UK-extension messages' quick check (ocpp/uk_check.py) gives what pydantic gives: a plain
message is taken as it is, anything else goes to the pydantic models built from the same
declarations, and either way the answer is the same."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartcharge.ocpp import uk_extension as uk
from smartcharge.ocpp.uk_pydantic import validate

MODELS = sorted({*uk.TO_CHARGER.values(), *uk.TO_CENTRAL_SYSTEM.values()}, key=lambda m: m.__name__)

SAMPLES = [1, 255, 256, 0.5, 1000, "1", " 2 ", "1_0", "yes", "owner", "end_user", "tariff"]
SAMPLES += ["response", "custom", "2026-03-29T00:30:00Z", "https://x.example/a", "https://x\n"]
SAMPLES += ["2026-02-29T00:30:00Z", "2026-03-29T24:00:00Z", "2026-03-29T00:30:00.5-00:00"]
SAMPLES += ["2026-03-29T00:30:00.1234567Z", "2026-03-29T00:30:00+23:59", "0001-01-01T00:00:00Z"]
SAMPLES += ["2026-03-29T00:30:00+24:00", "2026-03-29T00:30:00", "2026-03-29T00:30Z"]
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.floats(),
    st.text(max_size=8),
    st.sampled_from(SAMPLES),
    st.datetimes(timezones=st.timezones()).map(lambda at: at.isoformat().replace("+00:00", "Z")),
    st.lists(st.dictionaries(st.text(max_size=3), st.integers(), max_size=2), max_size=3),
)


def _outcome(check: Any, model: Any, raw: dict[str, Any]) -> Any:
    try:
        message = check(model, raw)
    except uk.UkExtensionError as exc:
        return ("error", str(exc))
    # A date and time by what it shows: pydantic's UTC offsets are of its own tzinfo class.
    shown = [v.isoformat() if isinstance(v, datetime) else v for v in dataclasses.astuple(message)]
    return ("ok", type(message), [(type(v), v) for v in shown])


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(MODELS), st.data())
def test_the_quick_check_agrees_with_pydantic(model: Any, data: Any) -> None:
    names = [f.name for f in dataclasses.fields(model)]
    keys = st.one_of(st.sampled_from(names), st.text(max_size=4)) if names else st.text(max_size=4)
    raw = data.draw(st.dictionaries(keys, values, max_size=len(names) + 1))
    quick, slow = _outcome(uk.check, model, raw), _outcome(validate, model, raw)
    assert quick == slow


def test_plain_messages_load_no_pydantic_and_a_wrong_one_does() -> None:
    """A DSR event from a central system writing times as ISO 8601 with seconds is plain too."""
    code = (
        "import sys\n"
        "from smartcharge.ocpp import uk_extension as uk\n"
        'uk.parse(uk.ProfileFlagsMsg, \'{"chargingProfileId": 7, "cause": "tariff"}\')\n'
        "uk.parse(uk.EmptyMsg, None)\n"
        "dsr = {'id': 'e1', 'kind': 'response', 'limitA': 0, 'durationS': 600}\n"
        "uk.parse(uk.DsrEventMsg, uk.encode({**dsr, 'start': '2026-03-29T00:30:00Z'}))\n"
        "print('pydantic' in sys.modules)\n"
        "try:\n"
        "    uk.parse(uk.ChargeNowMsg, '{\"connectorId\": 0}')\n"
        "except uk.UkExtensionError as exc:\n"
        "    print(str(exc).replace(' ', '_'))\n"
        'print(uk.parse(uk.ChargeNowMsg, \'{"connectorId": "2"}\').connectorId)\n'
        "print('pydantic' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    assert out == [
        "False",
        "connectorId:_Input_should_be_greater_than_or_equal_to_1",
        "2",
        "True",
    ]
