"""Demand side response (reg 5, reg 10): R4 and R19.

The random delay maximum is 0 here, so this shows only that DSR events of both kinds take effect
and that the owner can override one; which DSR events are delayed is R24/R26's business.
"""

from __future__ import annotations

from smartcharge.compliance.scenarios.base import (
    GRACE_S,
    SATURDAY_NOON_UK,
    Context,
    Recorder,
    Scenario,
    settles,
    start_session,
    uk,
    wait_limit,
)
from smartcharge.compliance.scenarios.charger_clock import charger_now
from smartcharge.compliance.target import ChargerSpec
from smartcharge.ocpp import uk_extension


def _judge(rec: Recorder, name: str, status: str, amps: float, verdict: bool | None) -> None:
    """On the charger's answer and what it then offered (`settles`)."""
    if verdict is None:
        rec.cannot(name, f"{status}; neither {amps:g} A nor a later sample of the charger's")
    else:
        accepted = all(s == "Accepted" for s in status.split(", "))
        rec.check(
            name,
            accepted and verdict,
            f"{status}; " + (f"{amps:g} A" if verdict else f"not {amps:g} A {GRACE_S:.0f} s later"),
        )


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
        status, _ = await uk(ch, uk_extension.DSR_EVENT, event)
        _judge(
            r4,
            f"{kind} DSR event limits the rate to {limit:g} A",
            status,
            limit,
            await settles(ch, 1, limit, GRACE_S),
        )
    status, _ = await uk(ch, uk_extension.DSR_OPT_OUT, {"id": "dsr-r"})
    first = await settles(ch, 1, 10.0, GRACE_S)
    status2, _ = await uk(ch, uk_extension.DSR_OPT_OUT, {"id": "dsr-s"})
    back = await settles(ch, 1, 32.0, GRACE_S)
    name = "the owner opts out of each DSR event and the rate goes back up"
    _judge(
        r19, name, f"{status}, {status2}", 32.0, None if None in (first, back) else first and back
    )
    unknown, _ = await uk(ch, uk_extension.DSR_OPT_OUT, {"id": "no-such-event"})
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
