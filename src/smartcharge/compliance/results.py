"""What a compliance run found: one `Result` per requirement, built from named checks.

The outcome of a result is derived, never set: a requirement passes only when a scenario ran
every one of its checks and each one held. A check that failed makes it fail; a check that could
not run (the charger lacks the capability, the target cannot be driven) makes it "not run". So
"Compliant" in the technical file (R39) can only ever come from checks that ran and held.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class Outcome(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_RUN = "not run"
    NOT_APPLICABLE = "not applicable"
    MANUAL = "manual"


@dataclass(frozen=True)
class Check:
    """One observable fact a scenario tested. `ok` None: it could not be tested (`detail` why)."""

    name: str
    ok: bool | None
    detail: str


@dataclass
class Evidence:
    """What backs a result: the OCPP messages, timings, samples and their statistics."""

    messages: list[dict[str, Any]] = field(default_factory=list)  # {"t", "dir", "frame"}
    timings: dict[str, float] = field(default_factory=dict)
    samples: dict[str, list[float]] = field(default_factory=dict)
    statistics: dict[str, dict[str, float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # relative to the run's --out folder


@dataclass
class Result:
    requirement: str
    scenario: str
    started: datetime
    finished: datetime
    checks: list[Check] = field(default_factory=list)
    evidence: Evidence = field(default_factory=Evidence)
    # Set only for results that are not tests: "not applicable" or "manual", always with why.
    exempt: Outcome | None = None
    why: str = ""

    def __post_init__(self) -> None:
        if self.exempt not in (None, Outcome.NOT_APPLICABLE, Outcome.MANUAL, Outcome.NOT_RUN):
            raise ValueError("only not applicable, manual or not run can be declared")
        if self.exempt is not None and not self.why:
            raise ValueError(f"{self.requirement}: a {self.exempt} result needs its reason")

    @property
    def outcome(self) -> Outcome:
        if self.exempt is not None:
            return self.exempt
        if not self.checks:
            return Outcome.NOT_RUN
        if any(c.ok is False for c in self.checks):
            return Outcome.FAIL
        if any(c.ok is None for c in self.checks):
            return Outcome.NOT_RUN
        return Outcome.PASS

    @property
    def reason(self) -> str:
        """Why the outcome is what it is, in one paragraph."""
        if self.exempt is not None:
            return self.why
        if not self.checks:
            return "the scenario recorded no check"
        bad = [c for c in self.checks if c.ok is False] or [c for c in self.checks if c.ok is None]
        shown = bad or self.checks
        return "; ".join(f"{c.name}: {c.detail}" for c in shown)

    @property
    def compliant(self) -> bool:
        return self.outcome is Outcome.PASS

    def to_json(self) -> dict[str, Any]:
        ev = self.evidence
        return {
            "requirement": self.requirement,
            "scenario": self.scenario,
            "started": self.started.isoformat(),
            "finished": self.finished.isoformat(),
            "outcome": self.outcome.value,
            "reason": self.reason,
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
            "evidence": {
                "timings": ev.timings,
                "samples": ev.samples,
                "statistics": ev.statistics,
                "notes": ev.notes,
                "files": ev.files,
                "messages": len(ev.messages),
            },
        }
