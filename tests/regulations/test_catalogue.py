"""R39: the requirement catalogue the technical file is built from matches REGULATIONS.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smartcharge.regulations import CATALOGUE, Requirement
from smartcharge.regulations.catalogue import get

REGULATIONS_MD = Path(__file__).resolve().parents[2].parent / "shared" / "REGULATIONS.md"
needs_regulations_md = pytest.mark.skipif(
    not REGULATIONS_MD.is_file(),
    reason=f"{REGULATIONS_MD} is not beside the repository (it lives in the project's shared/)",
)


def regulations_md() -> str:
    return REGULATIONS_MD.read_text(encoding="utf-8")


def test_R39_ids_are_R1_to_R39_unique_and_in_order() -> None:
    ids = [r.id for r in CATALOGUE]
    assert ids == [f"R{n}" for n in range(1, 40)]
    assert len(set(ids)) == len(ids)


def test_R39_every_requirement_is_filled_in() -> None:
    for r in CATALOGUE:
        assert isinstance(r, Requirement)
        assert r.title and len(r.title) <= 60 and "\n" not in r.title
        assert len(r.text) >= 30 and "  " not in r.text and "\n" not in r.text
        assert re.fullmatch(r"reg (5|6|7|8|9|10|11|13)|Schedule 1", r.regulation), r
        assert isinstance(r.automatable, bool)


def test_R39_get() -> None:
    assert get("R13").title == "Peak hours"
    assert "08:00-11:00 and 16:00-22:00" in get("R13").text
    assert get("R26").regulation == "reg 11"
    with pytest.raises(KeyError, match="R40"):
        get("R40")


def test_R39_manual_requirements_are_the_judgement_calls() -> None:
    assert [r.id for r in CATALOGUE if not r.automatable] == ["R27", "R35", "R36"]


@needs_regulations_md
def test_R39_every_id_in_regulations_md_is_in_the_catalogue() -> None:
    mentioned = set(re.findall(r"\bR(\d+)\b", regulations_md()))
    assert mentioned, "REGULATIONS.md mentions no requirement ids: the parse is wrong"
    ids = {r.id for r in CATALOGUE}
    assert {f"R{n}" for n in mentioned} <= ids


@needs_regulations_md
def test_R39_catalogue_follows_the_definitions_and_sections_of_regulations_md() -> None:
    """Each "- Rn ..." bullet defines Rn, in order, under a heading naming its regulation."""
    heading = ""
    defined: list[tuple[str, str, str]] = []  # (id, heading, first words)
    for line in regulations_md().splitlines():
        if line.startswith("## "):
            heading = line
        elif m := re.match(r"- (R\d+) (.*)", line):
            defined.append((m[1], heading, m[2]))
    assert [d[0] for d in defined] == [r.id for r in CATALOGUE]
    for rid, section, words in defined:
        r = get(rid)
        assert r.regulation in section, (rid, r.regulation, section)
        # The catalogue's text starts from the same words (light paraphrase allowed).
        first = set(re.findall(r"[a-z]{4,}", words.lower())[:6])
        assert len(first & set(re.findall(r"[a-z]{4,}", r.text.lower()))) >= len(first) // 2, rid


@needs_regulations_md
def test_R39_every_decision_is_carried_into_the_catalogue() -> None:
    text = regulations_md()
    for m in re.finditer(r"^- (R\d+) (.*?)(?=^- |^## |\Z)", text, re.M | re.S):
        if "Decision" in m[2]:
            assert "decision" in get(m[1]).text.lower(), m[1]
