"""The random delay's generator (reg 11, R22): two delays drawn at one instant are independent.

A generator seeded from a clock (which the R22 decision forbids) gives delays that look uniform
one by one, yet two drawn in the same second of that clock agree, so chargers (or connectors)
that change together step in unison: what the delay is for. An auditor sees it through the
charger's own announcements (org.smartcharge.uk RandomDelay, per connector): with a car on each
of two connectors, one TxDefaultProfile for connector 0 is one relevant time for both, so the
charger draws two delays at one instant. Independent draws agree 1 time in max + 1; the check
fails on PAIRS_AGREEING_MOST + 1 agreeing pairs or more, which a fair generator gives about once
in two million runs.
"""

from __future__ import annotations

from smartcharge.compliance.scenarios.announce import OUTCOME_WAIT_S
from smartcharge.compliance.scenarios.base import (
    SATURDAY_NOON_UK,
    Context,
    Scenario,
    ScenarioAborted,
    cannot_here,
    connector,
    flat_profile,
    set_profile,
    start_session,
    uk,
    until,
    wait_limit,
)
from smartcharge.compliance.target import Charger, ChargerSpec
from smartcharge.ocpp import uk_extension

PAIRS = 10
PAIRS_AGREEING_MOST = 2  # at max 600: 3 of 10 agree with probability 120 / 601**3
PROFILE_ID = 23
CONNECTORS = (1, 2)


async def _skip_all(ch: Charger, drawn: dict[int, int], limit: float) -> None:
    """Skip each connector's delay (the owner's override) and wait for `limit` on both."""
    for n in CONNECTORS:
        if drawn.get(n):
            await uk(ch, uk_extension.SKIP_DELAY, {"connectorId": n})
    for n in CONNECTORS:
        await wait_limit(ch, n, limit, timeout=OUTCOME_WAIT_S)


async def _pair(ch: Charger, limit: float) -> tuple[int, int]:
    """One relevant time for both connectors (a profile for connector 0): the delay each drew.
    A connector's delay is announced before its change applies, on the same connection, so a
    change seen applied with none announced was made at once (0 s)."""
    before = len(ch.csms.uk_messages(ch.identity, uk_extension.RANDOM_DELAY))
    status = await set_profile(ch, 0, flat_profile(PROFILE_ID, limit))
    if status != "Accepted":
        raise ScenarioAborted(f"SetChargingProfile for connector 0, {limit:g} A: {status}")
    drawn: dict[int, int] = {}

    async def both() -> bool:
        for _, data in ch.csms.uk_messages(ch.identity, uk_extension.RANDOM_DELAY)[before:]:
            n, value = data.get("connectorId"), data.get("remainingS")
            if n in CONNECTORS and isinstance(value, int | float):
                drawn.setdefault(int(n), int(value))
        for n in CONNECTORS:
            if n not in drawn and abs(float((await connector(ch, n))["limit_a"]) - limit) < 0.05:
                drawn[n] = 0
        return len(drawn) == len(CONNECTORS)

    await until(f"both connectors to announce a delay or offer {limit:g} A", both, OUTCOME_WAIT_S)
    await _skip_all(ch, drawn, limit)
    return drawn[1], drawn[2]


async def _delay_pairs(ctx: Context) -> None:
    r22 = ctx.rec("R22")
    name = "two delays drawn at one instant are independent (no clock-seeded generator)"
    ch = await ctx.charger(ChargerSpec(start=SATURDAY_NOON_UK, speed=20, random_delay_max_s=600))
    try:
        for n in CONNECTORS:
            await start_session(ch, n)  # each plug-in draws a delay of its own: skipped
        await _skip_all(ch, {n: 1 for n in CONNECTORS}, 32.0)
        pairs = [await _pair(ch, 10.0 if i % 2 == 0 else 16.0) for i in range(PAIRS)]
    except ScenarioAborted as exc:
        r22.cannot(name, str(exc))
        r22.done()
        return
    agree = sum(a == b for a, b in pairs)
    r22.evidence.samples["delays drawn together on connectors 1 and 2"] = [
        float(d) for pair in pairs for d in pair
    ]
    r22.check(
        name,
        agree <= PAIRS_AGREEING_MOST,
        f"{agree} of {PAIRS} pairs agree (independent draws: 1 in 601 each); the pairs drawn"
        f" for one profile change on connectors 1 and 2: {pairs}",
    )
    r22.done()


async def _delay_pairs_ocpp(ctx: Context) -> None:
    cannot_here(
        ctx,
        ("R22",),
        "two delays drawn at one instant are independent",
        "plug a car into each of two connectors and change a profile for connector 0 many"
        " times: the delays the charger announces for the two must not agree more than chance",
    )


SCENARIOS = (
    Scenario(
        "delay_pairs",
        "Randomised delay: two drawn at one instant are independent",
        ("R22",),
        _delay_pairs,
        ocpp_only=_delay_pairs_ocpp,
        physical="two cars plugged in make one relevant time for both connectors",
    ),
)
