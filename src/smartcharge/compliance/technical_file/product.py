"""Which charger the technical file is about, and what its manufacturer declares.

- `ChargerUnderTest`: the charger that connected, as it reported itself in its BootNotification
  (make, model, serial number, firmware version). The file's header and statement name it,
  never a product the suite assumes.
- `Declaration`: what only the manufacturer can write (seller, manufacturer, the description,
  the operating manual, the technical solution adopted for each requirement), from a TOML file
  they give (`--product FILE`). For our own charger it is `SMARTCHARGE` (content.py). Without
  one those parts say they are the manufacturer's to complete, and no statement is made.

A declaration that names a model or software version is checked against the charger tested:
a file about another model or version fails R39.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smartcharge.compliance.dsr_agreement import read_toml
from smartcharge.compliance.technical_file.content import DESCRIPTION, MANUAL_LINK, SOLUTIONS
from smartcharge.regulations.catalogue import CATALOGUE

TO_COMPLETE = "to be completed by the manufacturer"
_TEXT_FIELDS = ("make", "model", "software_version", "seller", "manufacturer", "description")
_FIELDS = (*_TEXT_FIELDS, "manual", "solutions")
MAX_TEXT = 20_000


class DeclarationError(ValueError):
    """The manufacturer's file cannot be used; the message names the field."""


@dataclass(frozen=True)
class ChargerUnderTest:
    """The charger the run judged, from the first BootNotification of each charger."""

    make: str
    model: str
    firmware: str
    serials: tuple[str, ...]
    differing: tuple[str, ...] = ()  # what other chargers of the run reported differently

    @classmethod
    def from_boots(cls, boots: list[dict[str, Any]]) -> ChargerUnderTest | None:
        if not boots:
            return None

        def who(b: dict[str, Any]) -> tuple[str, str, str]:
            return (
                str(b.get("chargePointVendor") or "?"),
                str(b.get("chargePointModel") or "?"),
                str(b.get("firmwareVersion") or "?"),
            )

        first = who(boots[0])
        others = sorted({" ".join(who(b)) for b in boots if who(b) != first})
        serials = tuple(dict.fromkeys(str(b.get("chargePointSerialNumber") or "-") for b in boots))
        return cls(*first, serials=serials, differing=tuple(others))

    @property
    def serial(self) -> str:
        if len(self.serials) == 1:
            return self.serials[0]
        return f"{len(self.serials)} test chargers, each its own ({', '.join(self.serials[:3])}, …)"


@dataclass(frozen=True)
class Declaration:
    make: str | None = None
    model: str | None = None
    software_version: str | None = None
    seller: str | None = None
    manufacturer: str | None = None
    description: str | None = None
    manual: str | None = None
    solutions: dict[str, str] = field(default_factory=dict)
    source: str = "no file given"

    def solution(self, requirement: str) -> str:
        return self.solutions.get(requirement) or f"({TO_COMPLETE})"

    @property
    def incomplete(self) -> list[str]:
        """What the manufacturer still has to write before a statement can be made."""
        missing = [f for f in ("seller", "description", "manual") if not getattr(self, f)]
        absent = [r.id for r in CATALOGUE if not self.solutions.get(r.id)]
        if absent:
            missing.append(
                f"the technical solution of {', '.join(absent[:5])}" + ("…" * (len(absent) > 5))
            )
        return missing

    def mismatch(self, tested: ChargerUnderTest) -> list[str]:
        """Where this declaration names another charger than the one tested."""
        pairs = (
            ("make", self.make, tested.make),
            ("model", self.model, tested.model),
            ("software version", self.software_version, tested.firmware),
        )
        return [
            f"the file names {what} {said!r}, the charger reported {got!r}"
            for what, said, got in pairs
            if said is not None and said != got
        ]


# Our own charger: the software the suite is built with. Make, model and version are whatever
# the charger reports (a build may name its model), so they are not declared here.
SMARTCHARGE = Declaration(
    seller="the smartcharge project",
    manufacturer="-",
    description=DESCRIPTION,
    manual=MANUAL_LINK,
    solutions=dict(SOLUTIONS),
    source="smartcharge.compliance.technical_file.content (the smartcharge project's own)",
)


def load(path: Path) -> Declaration:
    """The manufacturer's declaration from a TOML file; DeclarationError naming what is wrong."""
    try:
        data = read_toml(path, _FIELDS, DeclarationError)
    except DeclarationError as exc:
        raise DeclarationError(f"--product: {exc}") from None
    for name in (*_TEXT_FIELDS, "manual"):
        value = data.get(name)
        if value is not None and (not isinstance(value, str) or not 0 < len(value) <= MAX_TEXT):
            raise DeclarationError(f"--product: {name} must be text of 1..{MAX_TEXT} characters")
    solutions = data.get("solutions", {})
    ids = {r.id for r in CATALOGUE}
    if not isinstance(solutions, dict) or not all(
        k in ids and isinstance(v, str) and 0 < len(v) <= MAX_TEXT for k, v in solutions.items()
    ):
        raise DeclarationError("--product: [solutions] maps R1..R39 to text")
    return Declaration(
        **{k: data.get(k) for k in (*_TEXT_FIELDS, "manual")},
        solutions=dict(solutions),
        source=str(path),
    )
