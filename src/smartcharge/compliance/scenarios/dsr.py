"""Demand side response (reg 5, reg 10): R4 and R19.

The random delay maximum is 0 here, so this shows only that DSR events of both kinds take effect
and that the owner can override one; which DSR events are delayed is R24/R26's business.
"""

from __future__ import annotations

from smartcharge.compliance.scenarios.base import (
    SATURDAY_NOON_UK,
    Context,
    Scenario,
    ScenarioAborted,
    charger_now,
    start_session,
    uk,
    wait_limit,
)
from smartcharge.compliance.target import ChargerSpec


async def _dsr(ctx: Context) -> None:
    r4, r19 = ctx.rec("R4"), ctx.rec("R19")
    ch = await ctx.charger(ChargerSpec(start=SATURDAY_NOON_UK, speed=20, random_delay_max_s=0))
    await start_session(ch, 1)
    await wait_limit(ch, 1, 32.0)
    for kind, event_id, limit in (("scheduled", "dsr-s", 10.0), ("response", "dsr-r", 6.0)):
        event = {
            "id": event_id,
            "kind": kind,
            "limitA": limit,
            "start": charger_now(ch).isoformat(),
            "durationS": 3600,
            "alreadyRandomised": kind == "scheduled",
        }
        status, _ = await uk(ch, "DsrEvent", event)
        try:
            took = await wait_limit(ch, 1, limit, timeout=10)
            r4.check(
                f"{kind} DSR event limits the rate to {limit:g} A",
                status == "Accepted",
                f"{status}; {limit:g} A after {ch.sim_seconds(took):.1f} s",
            )
        except ScenarioAborted as exc:
            r4.check(f"{kind} DSR event limits the rate to {limit:g} A", False, f"{status}; {exc}")
    status, _ = await uk(ch, "DsrOptOut", {"id": "dsr-r"})
    try:
        await wait_limit(ch, 1, 10.0, timeout=10)
        status2, _ = await uk(ch, "DsrOptOut", {"id": "dsr-s"})
        await wait_limit(ch, 1, 32.0, timeout=10)
        r19.check(
            "the owner opts out of each DSR event and the rate goes back up",
            status == "Accepted" and status2 == "Accepted",
            f"DsrOptOut {status}, {status2}; back to 32 A",
        )
    except ScenarioAborted as exc:
        r19.check("the owner opts out of each DSR event", False, f"DsrOptOut {status}; {exc}")
    unknown, _ = await uk(ch, "DsrOptOut", {"id": "no-such-event"})
    r19.check("an unknown event id is rejected", unknown == "Rejected", unknown)
    r4.done()
    r19.done()


SCENARIOS = (
    Scenario(
        "dsr",
        "Demand side response and its override",
        ("R4", "R19"),
        _dsr,
        physical="a DSR event's effect is the rate a plugged-in car is offered",
    ),
)
