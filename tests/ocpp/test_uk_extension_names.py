"""The UK extension's vendor id and message names are written once, in
smartcharge.ocpp.uk_extension, and everything else uses those names: this pins them to the wire
spelling that docs/ocpp-extensions.md promises other central systems and chargers."""

from __future__ import annotations

import re
from pathlib import Path

from smartcharge.ocpp import uk_extension

DOC = Path(__file__).resolve().parents[2] / "docs" / "ocpp-extensions.md"


def _table_names(heading: str) -> set[str]:
    """The `messageId`s in the first column of the table under `heading`."""
    section = DOC.read_text().split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(\w+)` \|", section, re.M))


def test_the_vendor_id_is_the_documented_one() -> None:
    assert uk_extension.VENDOR_ID == "org.smartcharge.uk"
    assert f"`vendorId` is **`{uk_extension.VENDOR_ID}`**" in DOC.read_text()


def test_the_message_names_are_the_documented_ones() -> None:
    assert set(uk_extension.TO_CHARGER) == _table_names("DataTransfer, central system → charger")
    assert set(uk_extension.TO_CENTRAL_SYSTEM) == _table_names(
        "DataTransfer, charger → central system"
    )


def test_each_name_constant_is_its_own_spelling() -> None:
    """SET_DEFAULT_HOURS is "SetDefaultHours": the constants cannot drift from the tables."""
    names = set(uk_extension.TO_CHARGER) | set(uk_extension.TO_CENTRAL_SYSTEM)
    for name in names:
        constant = re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()
        assert getattr(uk_extension, constant) == name
