"""Deliverable 3: the broken chargers, what each must be reported as, and how they are run.

Each double is our charger with one fault patched in (tests/compliance/broken_charger.py). The
suite against it must report exactly the rules in EXPECTED as failing, each with the phrase
given (the evidence of that fault), and every other rule it judged as it does for our own
charger (test_suite_simulated.py): pass, or the same declared outcome.

To keep CI short without judging less, a double runs only the scenarios its fault can touch:
FIRES, the scenarios where the fault's function would answer differently from ours, plus those
of the rules it must break. In every other scenario the faulty function gives the same answers
as ours on every call, so the double's run there is ours, judged in our run. A rule the double
judges from some of its scenarios only is judged on those: its checks elsewhere are our run's
(a rule fails on any failing check, so its expected failure shows in the scenarios run).

FIRES is written down rather than read from our run so that the doubles need not wait for it
(they run on other xdist workers, tests/compliance/test_broken_*.py); test_broken_chargers.py
checks, on our run watched for every fault, that each fault fired only where FIRES says.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from compliance_expected import DECLARED, KNOWN_GAPS
from preloaded_chargers import STATISTICS, SUITE_ENV, SUITE_PRELOAD, PreloadedSpawn

from smartcharge.compliance.results import Outcome
from smartcharge.compliance.scenarios import SCENARIOS

DOUBLES = Path(__file__).parent.parent / "compliance"
AT_ONCE = 2  # broken chargers' suites running at the same time, per test file

# What each fault breaks, and a phrase the failing check must say (the evidence of that fault).
EXPECTED: dict[str, dict[str, str]] = {
    # The owner's own hours then do not stop charging either (R5: the owner operates them).
    "peak": {"R5": "default hours", "R13": "first Charging", "R17": "Charging from"},
    "no-delay": {
        "R5": "countdown",  # the owner has no countdown to see and skip
        "R21": "delays",
        "R22": "not uniform",
        "R24": "delayed",
        "R25": "countdown",
    },
    "delay-dsr": {"R26": "response DSR"},
    "unsigned-firmware": {
        "R29": "unverified image was installed",
        "R37": "forged signing certificate",  # nothing is checked, so nothing is refused or logged
    },
    "default-password": {"R28": "well-known default"},
    # Random, but never a minute or more: not uniform, and never beyond 600 s at 1800.
    "delay-under-60": {"R21": "beyond 600", "R22": "not uniform"},
    "max-1801": {"R23": "1801"},
    "scheduled-dsr-undelayed": {"R24": "scheduled for a set time"},
    "unclamped": {"R8": "above the hardware limit"},
    "authorization-key-readable": {"R32": "value was returned"},
    "no-tamper-event": {"R37": "enclosure"},
    "owner-tls10": {"R33": "TLS 1.0"},
    # Friday taken for the weekend: only a weekday-morning stop on a Friday shows it.
    "peak-fridays": {"R13": "no stop", "R17": "no stop"},
    # The owner's own "charge now" (owner API) is ignored too (R5: the owner operates it).
    "charge-now-ignored": {"R5": "charges now", "R18": "charge now"},
    "security-log-editable": {"R37": "edited in the stored security log"},
    "energy-high": {"R12": "energy register within 10 % (true meter)"},
    "power-every-60s": {"R11": "every second"},
    "offline-session-lost": {"R7": "lost"},
    # Uniform one draw at a time: only two drawn at one instant show the clock's seed.
    "delay-clock-seeded": {"R22": "pairs agree"},
    "info-wrong-version": {"R38": "model or version differ"},
    "non-json-accepted": {"R34": "not JSON"},
    "history-6-months": {"R10": "every session of the past 12 months"},
    # Nothing hashed: the changed install passes too, so the owner is never told.
    "boot-unchecked": {"R31": "changed: the owner is told"},
    "no-check-at-start": {"R30": "checks for updates at start"},
    "randomised-opt-out-ignored": {"R19": "opts out of each DSR event"},
    "remove-ignored": {"R16": "removes the default hours"},
    "acceptance-unrecorded": {"R15": "answer and time recorded"},
    # The owner's response event does not limit the rate either (R5: the owner sees it act).
    "response-dsr-ignored": {"R4": "response DSR event limits", "R5": "the event limits the rate"},
    "settings-lost-on-switch": {"R6": "the owner's settings are kept"},
    # Reported and obeyed: the Monday-evening car charges from 21:45 (R13, R17).
    "defaults-overlap-peak": {"R14": "in peak", "R13": "first Charging", "R17": "Charging from"},
    # The interval of 1 s refused: power is then sampled every 60 s, not every second (R11).
    "sample-interval-min-5": {"R1": "ChangeConfiguration answered", "R11": "1 s accepted"},
    "raise-ignored": {"R2": "still offered 10 A"},
    # The summer schedule read an hour early: 32 A while it should hold the current off.
    "start-local-time": {"R3": "offered 32 A at"},
    "offered-zero-dropped": {"R9": "never reported: 0 A"},
}

# Rules a double's fault may leave without evidence (never judged wrongly): (rule, words of the
# reason). Delays always under 60 s are too short to tell the owner's skip from the delay ending
# (scenarios/delay.py, SKIP_MIN_S): the skip is never judged on them, so R25 is not run every time.
MAY_NOT_RUN: dict[str, dict[str, str]] = {
    "delay-under-60": {"R25": "too short to tell a skip"},
    # With no answer recorded there is no setting to see kept across the switch (R6).
    "acceptance-unrecorded": {"R6": "not recorded"},
    # A response event that never applies is neither applied nor delayed: R26 has nothing to time.
    "response-dsr-ignored": {"R26": "neither applied nor delayed"},
    # Power sampled every 60 s: R12's steady samples may not come within its guard.
    "sample-interval-min-5": {"R12": "no steady"},
}

# Where each fault's function answers differently from ours (as our run, watched, shows), a
# superset: a scenario listed where the fault happened not to fire costs time, never a verdict.
_DELAYS = ("random_delay", "delay_exemptions", "offpeak_evening", "offpeak_morning", "owner")
FIRES: dict[str, tuple[str, ...]] = {
    "peak": ("offpeak_evening", "offpeak_morning", "owner"),
    "no-delay": (*_DELAYS, "as_shipped"),
    "delay-dsr": ("random_delay", "delay_exemptions", "dsr"),
    "unsigned-firmware": ("credentials", "firmware"),
    "default-password": tuple(s.name for s in SCENARIOS if not s.session_only),
    "delay-under-60": (*_DELAYS, "as_shipped"),
    "max-1801": ("random_delay",),
    "scheduled-dsr-undelayed": ("random_delay",),
    "unclamped": ("inputs",),
    "authorization-key-readable": ("credentials",),
    "no-tamper-event": ("credentials",),
    "owner-tls10": ("credentials", "tls", "update_check", "boot_integrity", "owner"),
    "peak-fridays": ("offpeak_morning",),
    "charge-now-ignored": ("offpeak_evening", "owner", "delay_exemptions"),
    "security-log-editable": ("credentials",),
    # Every scenario where a car draws energy (all but these three): the register is in the
    # meter values our charger sends by default.
    "energy-high": tuple(
        s.name
        for s in SCENARIOS
        if not s.session_only and s.name not in ("credentials", "firmware", "tls")
    ),
    "power-every-60s": ("smart_signals",),  # the only one that asks for samples every second
    "offline-session-lost": ("offline",),  # the only one that pulls the network
    "delay-clock-seeded": (*_DELAYS, "as_shipped", "delay_pairs"),
    "info-wrong-version": ("credentials",),  # the only one that reads the owner API's /api/info
    "non-json-accepted": ("inputs",),
    "history-6-months": ("owner",),  # the only one that reads the owner's history
    "boot-unchecked": ("boot_integrity",),  # the only one with a signed boot manifest
    "no-check-at-start": ("update_check",),  # the only one with an update URL
    "randomised-opt-out-ignored": ("dsr",),  # the only one opting out of such an event
    "remove-ignored": ("offpeak_evening",),  # the only one that removes them over OCPP
    # The two that accept the offered defaults on a charger in its first use.
    "acceptance-unrecorded": ("offpeak_evening", "supplier_switch"),
    "response-dsr-ignored": ("dsr", "owner", "delay_exemptions"),  # those that send one
    "settings-lost-on-switch": ("supplier_switch",),  # the only restart at another address
    # Those that read the default hours over OCPP, and the one charging on a weekday evening.
    "defaults-overlap-peak": (
        "offpeak_evening",
        "offpeak_morning",
        "as_shipped",
        "inputs",
        "supplier_switch",
        "offline",
    ),
    "sample-interval-min-5": ("smart_signals",),  # the only one that asks for samples every second
    "raise-ignored": ("smart_signals",),  # the only one doubling a limit it had set
    "start-local-time": ("smart_signals",),  # the only one with a summer startSchedule
    # Those where a charging session is held at 0 A while it samples Current.Offered.
    "offered-zero-dropped": (
        "smart_signals",
        "random_delay",
        "offpeak_evening",
        "offpeak_morning",
        "owner",
    ),
}

Runs = dict[str, tuple[list[str], dict[str, dict[str, Any]]]]


def scenarios_for(fault: str) -> list[str]:
    """The scenarios the double for `fault` runs (see the module's docstring)."""
    expected = set(EXPECTED[fault])
    ours = [s for s in SCENARIOS if not s.session_only]  # what runs on the simulated target
    return [s.name for s in ours if s.name in FIRES[fault] or expected & set(s.requirements)]


def run_doubles(faults: list[str], tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """Each fault's suite in a process of its own (suite_process.py), a few at once: the
    scenarios it ran and its results by requirement. The processes are forked from one that has
    imported the suite already (preloaded_chargers.py)."""
    script = DOUBLES / "suite_process.py"
    sampled = any(s.uses_statistics for s in SCENARIOS if s.name in _all_chosen(faults))
    preload = SUITE_PRELOAD + STATISTICS if sampled else SUITE_PRELOAD
    spawn = PreloadedSpawn(script, preload=preload, env=SUITE_ENV)

    async def suite(fault: str, stagger_s: float) -> tuple[list[str], dict[str, dict[str, Any]]]:
        await asyncio.sleep(stagger_s)  # their chargers need not all boot in one second
        out = tmp_path_factory.mktemp(fault)
        chosen = scenarios_for(fault)
        stderr = out / "suite.stderr"
        proc = await spawn([sys.executable, str(script), fault, str(out), ",".join(chosen)], stderr)
        code = await proc.wait()
        assert code == 0, f"{fault}: the suite process failed ({code}):\n{_tail(stderr)}"
        saved = orjson.loads((out / "results.json").read_bytes())
        return chosen, {r["requirement"]: r for r in saved["results"]}

    async def all_faults() -> Runs:
        # The longest first: it sets the wall time. A few at once: on two cores more only slow
        # each other down.
        order = sorted(faults, key=lambda f: -len(scenarios_for(f)))
        gate = asyncio.Semaphore(AT_ONCE)

        async def gated(fault: str, stagger_s: float) -> tuple[list[str], dict[str, Any]]:
            async with gate:
                return await suite(fault, stagger_s)

        try:
            found = await asyncio.gather(
                *(gated(f, 2.0 * min(i, AT_ONCE)) for i, f in enumerate(order))
            )
        finally:
            await spawn.close()
        return dict(zip(order, found, strict=True))

    return asyncio.run(all_faults())


def _all_chosen(faults: list[str]) -> set[str]:
    return {name for fault in faults for name in scenarios_for(fault)}


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(it wrote nothing)"


def misjudged(fault: str, runs: Runs) -> dict[str, tuple[str, str]]:
    """The requirements the double's run judged otherwise than it must: (outcome, reason)."""
    expected = EXPECTED[fault]
    chosen, results = runs[fault]
    covered = {r for s in SCENARIOS if s.name in chosen for r in s.requirements} | {"R39"}
    wrong = {}
    for req, res in results.items():
        if req not in covered and req not in DECLARED:
            continue  # untouched scenarios: the double's answers there are ours (our run)
        outcome = Outcome(res["outcome"])
        if req in expected:
            failing = " ".join(
                f"{c['name']} {c['detail']}" for c in res["checks"] if c["ok"] is False
            )
            if outcome is not Outcome.FAIL or expected[req] not in failing:
                wrong[req] = (outcome.value, res["reason"])
        elif req in MAY_NOT_RUN.get(fault, {}):
            if outcome not in (Outcome.PASS, Outcome.NOT_RUN) or (
                outcome is Outcome.NOT_RUN and MAY_NOT_RUN[fault][req] not in res["reason"]
            ):
                wrong[req] = (outcome.value, res["reason"])
        elif req in KNOWN_GAPS:
            if outcome not in (Outcome.FAIL, Outcome.NOT_RUN):
                wrong[req] = (outcome.value, res["reason"])
        elif req in DECLARED:
            if outcome is not DECLARED[req]:
                wrong[req] = (outcome.value, res["reason"])
        elif outcome is not Outcome.PASS:
            wrong[req] = (outcome.value, res["reason"])
    return wrong


def module_of_doubles(faults: list[str]) -> tuple[Callable[..., Any], Callable[..., None]]:
    """What a test_broken_*.py file holds, to assign to its own names: the fixture `runs`,
    scoped to the module, running every double of `faults` (its wall time is the fixture's),
    and the test that each is reported as exactly the rules it breaks. tests/conftest.py finds
    the module-scoped fixture by this function's name in the file: the file stays one xdist
    unit, so its doubles run once."""

    @pytest.fixture(scope="module", name="runs")
    def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
        return run_doubles(faults, tmp_path_factory)

    @pytest.mark.parametrize("fault", faults)
    def test_reports_exactly_the_broken_rules(runs: Runs, fault: str) -> None:
        assert not misjudged(fault, runs), (runs[fault][0], misjudged(fault, runs))

    return runs, test_reports_exactly_the_broken_rules
