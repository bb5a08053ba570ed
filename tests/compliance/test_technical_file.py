"""R39: the technical file. A row is written compliant only from a passing test; it is
structurally impossible otherwise, in Markdown, HTML and PDF alike."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcharge.compliance.dsr_agreement import DsrAgreement
from smartcharge.compliance.results import Check, Outcome, Result
from smartcharge.compliance.runner import Run, names_the_charger
from smartcharge.compliance.technical_file import render
from smartcharge.compliance.technical_file.content import SECTIONS, SOLUTIONS
from smartcharge.compliance.technical_file.product import (
    SMARTCHARGE,
    ChargerUnderTest,
    Declaration,
    DeclarationError,
    load,
)
from smartcharge.compliance.technical_file.rows import NotBackedByTest, Row
from smartcharge.regulations.catalogue import CATALOGUE, get

NOW = datetime(2026, 6, 6, 12, tzinfo=UTC)
CHECK = {
    Outcome.PASS: [Check("it held", True, "ok")],
    Outcome.FAIL: [Check("it held", True, "ok"), Check("it broke", False, "offered 40 A")],
    Outcome.NOT_RUN: [Check("it could not run", None, "no simulator")],
}


def make_result(req: str, outcome: Outcome) -> Result:
    if outcome in CHECK:
        return Result(req, "scenario", NOW, NOW, list(CHECK[outcome]))
    return Result(req, "", NOW, NOW, exempt=outcome, why="a person inspects it")


def make_run(outcomes: dict[str, Outcome], agreement: DsrAgreement | None = None) -> Run:
    run = Run("a test target", NOW, NOW, True, dsr_agreement=agreement)
    run.declaration = SMARTCHARGE
    run.tested = ChargerUnderTest("smartcharge", "smartcharge-sim", "0.1.0", ("SN-1",))
    for req in CATALOGUE:
        run.results[req.id] = make_result(req.id, outcomes.get(req.id, Outcome.PASS))
    return run


def verdicts(md: str) -> dict[str, str]:
    """The verdict cell of each requirement row of the Markdown."""
    out = {}
    for line in md.splitlines():
        m = re.match(r"\| \*\*(R\d+)\*\* .*\| \*\*(.*)\*\* \|$", line)
        if m:
            out[m[1]] = m[2]
    return out


def test_every_requirement_has_a_section_and_a_solution() -> None:
    ids = [r for _, group in SECTIONS for r in group]
    assert sorted(ids) == sorted(r.id for r in CATALOGUE)
    assert set(SOLUTIONS) == set(ids)


@pytest.mark.parametrize("outcome", [o for o in Outcome if o is not Outcome.PASS])
def test_a_row_without_a_passing_test_cannot_be_compliant(outcome: Outcome) -> None:
    res = make_result("R17", outcome)
    assert not Row.of(get("R17"), "solution", res).compliant
    with pytest.raises(NotBackedByTest, match="R17"):
        Row(get("R17"), "solution", res, compliant=True)


def test_a_row_is_for_its_own_requirement() -> None:
    with pytest.raises(ValueError, match="R18"):
        Row.of(get("R17"), "solution", make_result("R18", Outcome.PASS))


@settings(max_examples=30, deadline=None)
@given(st.dictionaries(st.sampled_from([r.id for r in CATALOGUE]), st.sampled_from(list(Outcome))))
def test_compliant_exactly_where_the_test_passed(outcomes: dict[str, Outcome]) -> None:
    run = make_run(outcomes)
    found = verdicts(render.markdown(run))
    assert set(found) == {r.id for r in CATALOGUE}
    for req, verdict in found.items():
        passed = run.results[req].outcome is Outcome.PASS
        assert (verdict == "Compliant") == passed, (req, verdict)
        if not passed:
            assert "Compliant" not in verdict.replace("NOT COMPLIANT", "")


def test_statement_refuses_compliance_while_a_row_failed() -> None:
    md = render.markdown(make_run({"R17": Outcome.FAIL, "R31": Outcome.NOT_RUN}))
    statement = md.split("## Statement of compliance")[1]
    assert "No statement of compliance is made" in statement
    assert "R17 (fail)" in statement and "R31 (not run)" in statement
    # The test report names the test, its date, outcome and evidence.
    assert "| R17 (scenario) | 2026-06-06 | fail |" in md


def test_statement_of_compliance_with_a_dsr_agreement() -> None:
    agreement = DsrAgreement(
        "Flex Grid Ltd", "FG-0042", date(2026, 5, 1), "response DSR", "events from the operator"
    )
    run = make_run(
        {"R20": Outcome.MANUAL, **{f"R{n}": Outcome.NOT_APPLICABLE for n in range(14, 19)}},
        agreement,
    )
    md = render.markdown(run)
    statement = md.split("## Statement of compliance")[1]
    assert "states that" in statement and "No statement" not in statement
    for text in ("Flex Grid Ltd", "FG-0042", "2026-05-01", "response DSR"):
        assert text in statement
    assert verdicts(md)["R17"].startswith("Not applicable")


def test_markdown_html_and_pdf_are_written(tmp_path: Path) -> None:
    run = make_run({"R29": Outcome.FAIL})
    paths = render.write(run, tmp_path)
    assert [p.suffix for p in paths] == [".md", ".html", ".pdf"]
    html = paths[1].read_text()
    assert "<table>" in html and "NOT COMPLIANT: the test failed" in html
    pdf = paths[2].read_bytes()
    assert pdf.startswith(b"%PDF-") and len(pdf) > 5000


ACME = ChargerUnderTest("Acme Charging", "AC-7", "2.4.1", ("ACME-0042",))


def test_the_file_is_about_the_charger_that_booted_r39() -> None:
    run = make_run({})
    run.tested, run.declaration = ACME, Declaration()
    md = render.markdown(run)
    head = md.split("## Description")[0]
    for text in ("| Acme Charging |", "| AC-7 |", "| 2.4.1 |", "| ACME-0042 |"):
        assert text in head, text
    assert "smartcharge" not in head
    # Another make's description and solutions are its manufacturer's to write, not ours.
    assert "smartcharge" not in md.split("## Test reports")[0]
    assert "to be completed by the manufacturer" in md
    statement = md.split("## Statement of compliance")[1]
    assert "manufacturer's to make" in statement and "states that" not in statement
    assert names_the_charger(run).ok is True


def test_a_file_naming_another_model_or_version_fails_r39() -> None:
    run = make_run({})
    run.tested = ACME
    run.declaration = Declaration(model="AC-7", software_version="2.3.0")
    check = names_the_charger(run)
    assert check.ok is False and "'2.3.0'" in check.detail and "'2.4.1'" in check.detail
    run.declaration = Declaration(model="AC-7", software_version="2.4.1")
    assert names_the_charger(run).ok is True
    run.tested = ChargerUnderTest(
        "Acme Charging", "AC-7", "2.4.1", ("A", "B"), differing=("Acme AC-9 3",)
    )
    assert names_the_charger(run).ok is False
    run.tested = None
    assert names_the_charger(run).ok is None


def test_the_manufacturers_file_is_validated(tmp_path: Path) -> None:
    good = tmp_path / "acme.toml"
    good.write_text(
        'make = "Acme Charging"\nmodel = "AC-7"\nseller = "Acme Ltd"\n'
        'description = "A wall box."\nmanual = "https://acme.example/manual"\n'
        '[solutions]\nR1 = "OCPP 1.6J over wss."\n'
    )
    said = load(good)
    assert said.model == "AC-7" and said.solution("R1") == "OCPP 1.6J over wss."
    assert "to be completed" in said.solution("R2") and said.incomplete
    for bad, why in (
        ('colour = "red"\n', "colour: not one of the fields"),
        ("model = 7\n", "model must be text"),
        ('[solutions]\nR99 = "x"\n', "R1..R39"),
        ("model = \n", "cannot read"),
    ):
        good.write_text(bad)
        with pytest.raises(DeclarationError, match=why):
            load(good)
