"""Randomised delay exemptions (reg 11(3)): R26. With the maximum at 1800 s, response DSR and a
profile the central system already randomised apply at once: the charger announces no delay
for them (a delay it drew would be announced, and is a fail with its figure)."""

from __future__ import annotations

from typing import Any

from smartcharge.compliance.scenarios.announce import outcome
from smartcharge.compliance.scenarios.base import (
    SATURDAY_NOON_UK,
    Context,
    Recorder,
    Scenario,
    flat_profile,
    set_profile,
    start_session,
    uk,
    wait_limit,
)
from smartcharge.compliance.scenarios.charger_clock import charger_now
from smartcharge.compliance.target import Charger, ChargerSpec
from smartcharge.ocpp import uk_extension


async def _at_once(ch: Charger, limit: float, send: Any) -> tuple[str, int | None]:
    """Send something that must apply with no delay: (status, the delay announced for it: 0
    when it applied with none, None when it neither applied nor announced one)."""
    before = len(ch.csms.uk_messages(ch.identity, uk_extension.RANDOM_DELAY))
    status = await send()
    return status, await outcome(ch, before, limit)


def _judge_at_once(rec: Recorder, name: str, status: str, limit: float, drawn: int | None) -> None:
    if drawn is None:
        rec.cannot(name, f"{status}; {limit:g} A neither applied nor delayed")
        return
    rec.check(
        name,
        status == "Accepted" and drawn == 0,
        f"{status}; " + (f"delayed {drawn} s" if drawn else f"{limit:g} A applied, no delay"),
    )


async def _exemptions(ctx: Context) -> None:
    r26 = ctx.rec("R26")
    ch = await ctx.charger(ChargerSpec(start=SATURDAY_NOON_UK, speed=20, random_delay_max_s=1800))
    await start_session(ch, 1)
    await uk(ch, uk_extension.SKIP_DELAY, {"connectorId": 1})
    await wait_limit(ch, 1, 32.0)
    now = charger_now(ch)

    async def response() -> str:
        event = {
            "id": "fr-1",
            "kind": "response",
            "limitA": 6,
            "start": now.isoformat(),
            "durationS": 3600,
        }
        return (await uk(ch, uk_extension.DSR_EVENT, event))[0]

    status, drawn = await _at_once(ch, 6.0, response)
    _judge_at_once(r26, "response DSR: no delay", status, 6.0, drawn)

    async def opt_out() -> str:
        return (await uk(ch, uk_extension.DSR_OPT_OUT, {"id": "fr-1"}))[0]

    # The owner's opt-out raises the rate: a relevant time; skip it to start from 32 A.
    before = len(ch.csms.uk_messages(ch.identity, uk_extension.RANDOM_DELAY))
    await opt_out()
    await outcome(ch, before, 32.0)  # its delay announced (or none): then skip it
    await uk(ch, uk_extension.SKIP_DELAY, {"connectorId": 1})
    await wait_limit(ch, 1, 32.0)

    async def randomised() -> str:
        await uk(
            ch,
            uk_extension.PROFILE_FLAGS,
            {"chargingProfileId": 31, "cause": "csms_profile", "alreadyRandomised": True},
        )
        return await set_profile(ch, 1, flat_profile(31, 12.0))

    status, drawn = await _at_once(ch, 12.0, randomised)
    _judge_at_once(
        r26, "a profile already randomised by the central system: no delay", status, 12.0, drawn
    )
    r26.done()


SCENARIOS = (
    Scenario(
        "delay_exemptions",
        "Randomised delay: exemptions",
        ("R26",),
        _exemptions,
        physical="whether a change is delayed is seen on a plugged-in car's rate",
    ),
)
