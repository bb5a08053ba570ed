"""R20: the DSR agreement file: complete and valid, or a clear error naming the field."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcharge.compliance.dsr_agreement import DsrAgreementError, load

GOOD = """
provider = "Flex Grid Ltd"
agreement_reference = "FG-2026-0042"
signed_on = 2026-05-01
services = "response DSR (frequency response), scheduled turn-down"
configuration = "DSR events from the operator's central system; default hours off"
"""


def test_a_complete_agreement_loads(tmp_path: Path) -> None:
    (tmp_path / "dsr.toml").write_text(GOOD)
    a = load(tmp_path / "dsr.toml")
    assert a.provider == "Flex Grid Ltd"
    assert a.signed_on == date(2026, 5, 1)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ('provider = "Flex Grid Ltd"', "provider"),
        ("signed_on = 2026-05-01", "signed_on"),
    ],
)
def test_a_missing_field_is_named(tmp_path: Path, change: str, field: str) -> None:
    (tmp_path / "dsr.toml").write_text(GOOD.replace(change, ""))
    with pytest.raises(DsrAgreementError, match=field):
        load(tmp_path / "dsr.toml")


def test_an_unknown_field_is_named(tmp_path: Path) -> None:
    (tmp_path / "dsr.toml").write_text(GOOD + 'price = "free"\n')
    with pytest.raises(DsrAgreementError, match="price"):
        load(tmp_path / "dsr.toml")


@given(st.binary(max_size=300))
def test_garbage_is_a_clear_error(tmp_path_factory: pytest.TempPathFactory, junk: bytes) -> None:
    path = tmp_path_factory.mktemp("dsr") / "dsr.toml"
    path.write_bytes(junk)
    with pytest.raises(DsrAgreementError):
        load(path)
