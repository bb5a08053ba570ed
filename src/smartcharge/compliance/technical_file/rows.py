"""A row of the technical file: a requirement, our technical solution, and what the test found.

Whether a row says "Compliant" is decided here and only here, from the result's outcome, which
`results.Result` derives from the checks a scenario ran: a row whose test failed or did not run
cannot be built as compliant (`Row.__post_init__` refuses it), and the renderers only ever print
`Row.verdict`.
"""

from __future__ import annotations

from dataclasses import dataclass

from smartcharge.compliance.results import Outcome, Result
from smartcharge.regulations.catalogue import Requirement

VERDICTS = {
    Outcome.PASS: "Compliant",
    Outcome.FAIL: "NOT COMPLIANT: the test failed",
    Outcome.NOT_RUN: "NOT DEMONSTRATED: the test did not run",
    Outcome.NOT_APPLICABLE: "Not applicable",
    Outcome.MANUAL: "Manual assessment (not tested by the suite)",
}


class NotBackedByTest(ValueError):
    """Someone tried to write a row as compliant without a passing test behind it."""


@dataclass(frozen=True)
class Row:
    requirement: Requirement
    solution: str
    result: Result
    compliant: bool

    def __post_init__(self) -> None:
        if self.result.requirement != self.requirement.id:
            raise ValueError(f"{self.requirement.id}: result is for {self.result.requirement}")
        if self.compliant and self.result.outcome is not Outcome.PASS:
            raise NotBackedByTest(
                f"{self.requirement.id} cannot be written compliant: its test outcome is"
                f" {self.result.outcome.value} ({self.result.reason})"
            )

    @classmethod
    def of(cls, requirement: Requirement, solution: str, result: Result) -> Row:
        return cls(requirement, solution, result, result.outcome is Outcome.PASS)

    @property
    def verdict(self) -> str:
        if self.compliant:
            return VERDICTS[Outcome.PASS]
        if self.result.outcome is Outcome.PASS:
            return "Not claimed"
        return VERDICTS[self.result.outcome]

    @property
    def test_name(self) -> str:
        scenarios = self.result.scenario or "none"
        return f"{self.requirement.id} ({scenarios})"
