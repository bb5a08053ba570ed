"""The checks on what a charger sends, fed garbage (hypothesis): every value is either stored as
a finite number in range or refused with PropertyConstraintViolation / UkExtensionError, and
nothing else ever escapes (no other exception, no half-answer)."""

from __future__ import annotations

import dataclasses
import json
import math

from hypothesis import given
from hypothesis import strategies as st

from smartcharge.ocpp.errors import PropertyConstraintViolation
from smartcharge.ocpp.uk_extension import TO_CENTRAL_SYSTEM, UkExtensionError, parse
from smartcharge.platform.handlers import checks

NUMBERISH = st.one_of(
    st.text(max_size=40),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1_000", " 5 ", "0x10"]),
)


@given(value=NUMBERISH)
def test_a_sampled_value_is_a_finite_number_in_range_or_refused(value: str) -> None:
    mv = [{"timestamp": "2026-01-01T00:00:00Z", "sampledValue": [{"value": value}]}]
    try:
        checks.sampled_values(mv)
    except PropertyConstraintViolation:
        return
    number = float(value)
    assert math.isfinite(number) and abs(number) <= checks.READING_MAX


@given(connector=st.integers(), transaction=st.one_of(st.none(), st.integers()))
def test_ids_fit_the_database_or_are_refused(connector: int, transaction: int | None) -> None:
    try:
        assert 0 <= checks.connector_id(connector) <= checks.CONNECTORS_MAX
        checks.int32(transaction, "transactionId")
    except PropertyConstraintViolation:
        return
    assert transaction is None or -(2**31) <= transaction < 2**31


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)


@given(
    message=st.sampled_from(sorted(TO_CENTRAL_SYSTEM)),
    data=st.one_of(
        st.text(max_size=60),
        # The standard library writes what a charger may send and orjson cannot: integers past
        # 64 bits, NaN and Infinity.
        JSONISH.map(json.dumps),
        st.fixed_dictionaries(
            {"connectorId": st.integers(), "remainingS": st.floats() | st.integers()}
        ).map(json.dumps),
    ),
)
def test_a_uk_extension_message_fits_its_schema_or_is_refused_by_name(
    message: str, data: str
) -> None:
    try:
        parsed = parse(TO_CENTRAL_SYSTEM[message], data)
    except UkExtensionError as exc:
        assert ":" in str(exc)  # "<field>: <problem>"
        return
    for value in dataclasses.asdict(parsed).values():
        if isinstance(value, float):
            assert math.isfinite(value)
