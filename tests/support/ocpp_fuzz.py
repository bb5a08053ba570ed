"""Shared pieces of the OCPP frame fuzz tests (charge point and platform)."""

from __future__ import annotations

import itertools
from pathlib import Path

from hypothesis import strategies as st

# A JSON value of any type: what a broken or hostile peer puts where a field should be.
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)

_examples = itertools.count()


def example_dir(tmp_path: Path) -> Path:
    """A fresh folder per hypothesis example (tmp_path is shared by all examples of a test)."""
    return tmp_path / f"ex{next(_examples)}"
