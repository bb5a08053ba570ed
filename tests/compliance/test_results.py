"""R39: an outcome is derived from the checks a scenario ran, never set to pass by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smartcharge.compliance.results import Check, Outcome, Result

NOW = datetime(2026, 6, 6, tzinfo=UTC)


def result(*checks: Check, **kw: object) -> Result:
    return Result("R2", "smart_signals", NOW, NOW, list(checks), **kw)  # type: ignore[arg-type]


def test_pass_only_when_every_check_ran_and_held() -> None:
    assert result(Check("a", True, "ok"), Check("b", True, "ok")).outcome is Outcome.PASS
    assert result(Check("a", True, "ok"), Check("b", False, "no")).outcome is Outcome.FAIL
    assert result(Check("a", True, "ok"), Check("b", None, "can't")).outcome is Outcome.NOT_RUN
    assert result(Check("a", None, "can't"), Check("b", False, "no")).outcome is Outcome.FAIL
    assert result().outcome is Outcome.NOT_RUN


def test_reason_names_the_checks_that_decided() -> None:
    r = result(Check("a", True, "fine"), Check("b", False, "offered 40 A"))
    assert r.reason == "b: offered 40 A"
    assert not r.compliant


def test_a_declared_outcome_needs_its_reason_and_cannot_be_pass() -> None:
    with pytest.raises(ValueError, match="reason"):
        result(exempt=Outcome.MANUAL)
    with pytest.raises(ValueError, match="only"):
        result(Check("a", True, "ok"), exempt=Outcome.PASS, why="trust me")
    manual = result(Check("a", True, "ok"), exempt=Outcome.MANUAL, why="inspect the enclosure")
    assert manual.outcome is Outcome.MANUAL
    assert not manual.compliant


def test_R39_fails_a_compliant_row_that_names_no_scenario() -> None:
    """R39's "compliant rows are backed by passing tests" is worked out, never written as held."""
    from smartcharge.compliance.runner import Run, _assurance

    def run(scenario: str) -> Run:
        results = {
            "R2": Result("R2", scenario, NOW, NOW, [Check("a", True, "ok")]),
            "R39": Result("R39", "", NOW, NOW),
        }
        return Run("simulated", NOW, NOW, fast=True, results=results)

    def backed(r: Run) -> bool | None:
        _assurance(r, NOW)
        return {c.name: c.ok for c in r.results["R39"].checks}[
            "compliant rows are backed by passing tests"
        ]

    assert backed(run("smart_signals")) is True
    assert backed(run("")) is False
