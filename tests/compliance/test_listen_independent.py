"""`--listen` against a charger that is not ours (independent_charger.py: the `ocpp` package's
ChargePoint with a few behaviours). The suite judges it as itself: the technical file names its
make, model, serial and firmware, in real time, with nothing of ours in it; it breaks nothing
of OCPP (nothing before its BootNotification, again after each reset), puts back every setting
it changed, and its verdicts follow from what the charger did."""

from __future__ import annotations

import asyncio
from pathlib import Path

from compliance_expected import DECLARED
from independent_charger import FIRMWARE, MODEL, SERIAL, VENDOR, Memory, main_loop

from smartcharge.compliance.csms import CentralSystem
from smartcharge.compliance.results import Outcome
from smartcharge.compliance.runner import run_suite
from smartcharge.compliance.target import ListenTarget
from smartcharge.compliance.technical_file import render

# What this charger shows over OCPP alone (no TLS, no UK extension, no firmware images given).
PASSES = {"R1", "R2", "R3", "R8", "R23", "R28", "R39"}
# R32 is not run: it lists no AuthorizationKey, and its storage is inside it.
# What it does wrong, on evidence: it refuses to export its security log and does not answer
# a signed firmware update with InvalidCertificate (it implements no whitepaper message).
FAILS = {"R37": "GetLog Rejected"}


async def test_an_independent_charger_is_judged_as_itself(tmp_path: Path) -> None:
    csms = CentralSystem()
    await csms.start()
    memory, stop = Memory(), asyncio.Event()
    before = dict(memory.config)
    charger = asyncio.ensure_future(main_loop(csms.url, "INDEP01", memory, stop))
    out = tmp_path / "out"
    try:
        run = await run_suite(ListenTarget(connect_timeout=60), out, csms=csms)
    finally:
        stop.set()
        await csms.stop()
        await asyncio.gather(charger, return_exceptions=True)
    outcomes = run.outcomes()
    wrong = {
        r: (o.value, run.results[r].reason)
        for r, o in outcomes.items()
        if (r in PASSES) != (o is Outcome.PASS) or (r in FAILS) != (o is Outcome.FAIL)
    }
    assert not wrong, wrong
    for req, phrase in FAILS.items():
        assert phrase in run.results[req].reason, run.results[req].reason
    for req in set(outcomes) - PASSES - set(FAILS):
        assert outcomes[req] in (Outcome.NOT_RUN, DECLARED.get(req)), req
        assert run.results[req].reason, req
    # Settings it changed are back; it rebooted for the resets, and nothing went before a boot.
    assert memory.config == before, (before, memory.config, memory.changes)
    assert memory.changes and memory.boots >= 3
    # The file is about this charger, in real time, with none of our words.
    md = render.markdown(run)
    head = md.split("## Description")[0]
    for text in (VENDOR, MODEL, SERIAL, FIRMWARE):
        assert f"| {text} |" in head, text
    assert "smartcharge" not in md.split("## Test reports")[0].lower()
    assert "real time" in md and "simulated clock" not in md
    assert "No statement of compliance is made" in md
