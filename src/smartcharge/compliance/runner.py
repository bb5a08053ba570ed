"""Run the scenarios against a target and gather one `Result` per requirement R1-R39.

Each scenario gets fresh chargers; its OCPP message log is written to `evidence/<scenario>.jsonl`
under the output folder and referenced by every result it contributed to. A requirement covered by
several scenarios collects all their checks. Requirements no test can prove are declared
(`scenarios.declared`) as manual, not applicable or not run, each with its reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from smartcharge.compliance import statistics
from smartcharge.compliance.csms import CentralSystem
from smartcharge.compliance.dsr_agreement import DsrAgreement
from smartcharge.compliance.results import Check, Evidence, Outcome, Result
from smartcharge.compliance.scenarios import SCENARIOS
from smartcharge.compliance.scenarios.base import Context, Scenario, ScenarioAborted
from smartcharge.compliance.scenarios.declared import declared
from smartcharge.compliance.target import Target
from smartcharge.compliance.technical_file.product import SMARTCHARGE, ChargerUnderTest, Declaration
from smartcharge.regulations.catalogue import CATALOGUE

log = logging.getLogger("smartcharge.compliance")

SCENARIO_TIMEOUT_S = 300.0

Progress = Callable[[str, int, int], None]


@dataclass
class Run:
    target: str
    started: datetime
    finished: datetime
    fast: bool
    results: dict[str, Result] = field(default_factory=dict)
    dsr_agreement: DsrAgreement | None = None
    tested: ChargerUnderTest | None = None  # the charger, as its BootNotification named it
    declaration: Declaration = field(default_factory=Declaration)  # the manufacturer's words
    clock: str = "real time, on the charger's own clock"
    configuration: str = "as the charger was configured when it connected"

    def outcomes(self) -> dict[str, Outcome]:
        return {r: res.outcome for r, res in self.results.items()}

    def to_json(self) -> dict[str, object]:
        return {
            "target": self.target,
            "started": self.started.isoformat(),
            "finished": self.finished.isoformat(),
            "fast": self.fast,
            "dsr_agreement": self.dsr_agreement.to_json() if self.dsr_agreement else None,
            "charger": None
            if self.tested is None
            else {
                "make": self.tested.make,
                "model": self.tested.model,
                "firmware": self.tested.firmware,
                "serials": list(self.tested.serials),
                "differing": list(self.tested.differing),
            },
            "declaration": self.declaration.source,
            "clock": self.clock,
            "configuration": self.configuration,
            "results": [self.results[r.id].to_json() for r in CATALOGUE],
        }


async def run_suite(
    target: Target,
    out_dir: Path,
    *,
    fast: bool = True,
    csms: CentralSystem | None = None,
    scenarios: Sequence[Scenario] = SCENARIOS,
    dsr_agreement: DsrAgreement | None = None,
    progress: Progress | None = None,
    parallel: int = 3,
    declaration: Declaration | None = None,
) -> Run:
    _prepare(out_dir)
    session = bool(getattr(target, "session", False))
    scenarios = [
        s
        for s in scenarios
        if (target.simulated or not s.ours_only) and (session or not s.session_only)
    ]
    if target.simulated and any(s.uses_statistics for s in scenarios):
        statistics.load()  # before any charger runs (see there)
    central = csms or CentralSystem()
    if csms is None:
        await central.start()
    run = Run(target.description, datetime.now(UTC), datetime.now(UTC), fast, {}, dsr_agreement)
    # Our own software's declaration only for our own simulated charger; any other charger's
    # words are its manufacturer's (a file they give), or left for them to complete.
    run.declaration = declaration or (SMARTCHARGE if target.simulated else Declaration())
    run.clock, run.configuration = target.clock, target.configuration
    gathered: dict[str, Result] = {}
    # Scenarios are independent (each has its own chargers): a few run at once. Their waits are
    # mostly simulated time passing, so this divides the wall time without much more CPU.
    gate = asyncio.Semaphore(1 if not target.simulated else parallel)
    done = 0
    reported: list[dict[str, Any]] = []  # each charger's first BootNotification

    async def one(scenario: Scenario) -> dict[str, Result]:
        nonlocal done
        async with gate:
            if progress is not None:
                progress(scenario.title, done, len(scenarios))
            found = await _run_one(scenario, target, central, out_dir, fast, reported)
            done += 1
            if progress is not None:
                progress(scenario.title, done, len(scenarios))
            return found

    try:
        # Merged in the scenarios' order, whatever order they finish in.
        for found in await asyncio.gather(*(one(s) for s in scenarios)):
            for req, result in found.items():
                _merge(gathered, req, result)
    finally:
        if csms is None:
            await central.stop()
        close = getattr(target, "close", None)
        if close is not None:
            await close()
    now = datetime.now(UTC)
    run.tested = ChargerUnderTest.from_boots(reported)
    left = getattr(target, "left_changed", None)
    if left:
        run.configuration += "; not put back: " + "; ".join(left)
    for requirement in CATALOGUE:
        rid = requirement.id
        exempt = declared(rid, target.simulated, dsr_agreement)
        result = gathered.get(rid) or Result(rid, "", now, now)
        if exempt is not None:
            result.exempt, result.why = exempt
        run.results[rid] = result
    _assurance(run, now)
    run.finished = datetime.now(UTC)
    (out_dir / "results.json").write_bytes(orjson.dumps(run.to_json(), option=orjson.OPT_INDENT_2))
    return run


def _prepare(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "evidence").mkdir(exist_ok=True)


def _merge(gathered: dict[str, Result], req: str, result: Result) -> None:
    have = gathered.get(req)
    if have is None:
        gathered[req] = result
        return
    have.scenario = f"{have.scenario}, {result.scenario}"
    have.finished = result.finished
    have.checks.extend(result.checks)
    ev, more = have.evidence, result.evidence
    ev.timings.update(more.timings)
    ev.samples.update(more.samples)
    ev.statistics.update(more.statistics)
    ev.notes.extend(more.notes)
    ev.files.extend(f for f in more.files if f not in ev.files)
    ev.messages.extend(more.messages)


async def _run_one(
    scenario: Scenario,
    target: Target,
    csms: CentralSystem,
    out_dir: Path,
    fast: bool,
    reported: list[dict[str, Any]],
) -> dict[str, Result]:
    started = datetime.now(UTC)
    first = len(csms.frames)
    ctx = Context(target, csms, out_dir, fast)
    for req in scenario.requirements:
        ctx.rec(req)
    run: Callable[[Context], Awaitable[None]] | None = scenario.run
    if scenario.needs_simulator and not target.simulated:
        run = scenario.ocpp_only
    if run is None:
        for req in scenario.requirements:
            ctx.rec(req).cannot("needs the simulated hardware", scenario.physical)
    else:
        try:
            await asyncio.wait_for(run(ctx), SCENARIO_TIMEOUT_S)
        except (ScenarioAborted, TimeoutError, OSError, Exception) as exc:
            why = str(exc) or type(exc).__name__
            if isinstance(exc, TimeoutError):
                why = f"the scenario did not finish in {SCENARIO_TIMEOUT_S:.0f} s"
            elif not isinstance(exc, ScenarioAborted):
                why = f"{type(exc).__name__}: {why}"
                log.warning("scenario %s stopped: %s", scenario.name, why, exc_info=True)
            # The suite stopped, not the charger: what it had not judged is not run, never a
            # fail (a check already failed on evidence still fails).
            for rec in ctx.recorders.values():
                if not rec.finished:
                    rec.cannot("scenario ran to the end", f"the suite stopped because {why}")
        finally:
            for ch in ctx.chargers:
                await target.stop(ch)
            for extra in ctx.extra_csms:
                await extra.stop()
    identities = {ch.identity for ch in ctx.chargers}
    for ch in ctx.chargers:
        boots = ch.csms.received(ch.identity, "BootNotification") or csms.received(
            ch.identity, "BootNotification"
        )
        if boots:
            reported.append(boots[0].payload)
    # This scenario's frames only: those after its start (a charger under test over --listen
    # serves every scenario, one after the other), of its own chargers.
    frames = [f for f in csms.frames[first:] if f["identity"] in identities]
    frames += [f for c in ctx.extra_csms for f in c.frames if f["identity"] in identities]
    log_file = f"evidence/{scenario.name}.jsonl"
    with (out_dir / log_file).open("wb") as fh:
        for f in frames:
            fh.write(orjson.dumps(f) + b"\n")
    finished = datetime.now(UTC)
    results = {}
    for req, rec in ctx.recorders.items():
        ev: Evidence = rec.evidence
        ev.messages = frames
        ev.files.append(log_file)
        results[req] = Result(req, scenario.name, started, finished, rec.checks, ev)
    return results


def _assurance(run: Run, now: datetime) -> None:
    """R39: the technical file is written from these results, a row per requirement, and only a
    passing result may be called compliant (technical_file enforces it when rendering)."""
    r39 = run.results["R39"]
    if r39.exempt is not None:
        return
    missing = [r.id for r in CATALOGUE if r.id != "R39" and r.id not in run.results]
    r39.scenario = r39.scenario or "technical_file"
    r39.started = r39.started or now
    r39.checks.append(
        Check(
            "every requirement has a recorded result",
            not missing,
            f"missing: {', '.join(missing)}" if missing else f"{len(run.results) - 1} results",
        )
    )
    r39.checks.append(names_the_charger(run))
    compliant = [r for r in run.results.values() if r.requirement != "R39" and r.compliant]
    # A row written compliant must name the scenario that ran it and a check that held there.
    unbacked = [
        r.requirement
        for r in compliant
        if not r.scenario or not any(c.ok is True for c in r.checks)
    ]
    r39.checks.append(
        Check(
            "compliant rows are backed by passing tests",
            not unbacked,
            f"no scenario or passing check behind: {', '.join(unbacked)}"
            if unbacked
            else f"{len(compliant)} rows are written compliant, each from a passing test named in"
            " the file; the renderer refuses any other (tests/compliance/test_technical_file.py)",
        )
    )


def names_the_charger(run: Run) -> Check:
    """The file is about the charger that was tested: its header comes from the charger's
    BootNotification, and a manufacturer's file naming another model or version fails."""
    name = "the technical file names the charger tested (its BootNotification)"
    tested = run.tested
    if tested is None:
        return Check(name, None, "no charger sent a BootNotification")
    problems = run.declaration.mismatch(tested)
    if tested.differing:
        problems.append(f"chargers of the run reported otherwise: {', '.join(tested.differing)}")
    who = f"{tested.make} {tested.model}, software {tested.firmware}"
    return Check(name, not problems, "; ".join(problems) if problems else who)
