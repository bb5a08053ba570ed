"""How the suite learns the delay a charger drew at a relevant time: the charger announces each
delay (org.smartcharge.uk RandomDelay, the owner's countdown) when it draws it, before the
change applies, on the same connection. So the first of "announced" and "applied" decides:
announced N s, or applied at once (0 s); neither within the wait is no verdict at all.
"""

from __future__ import annotations

import asyncio
from typing import Any

from smartcharge.compliance.scenarios.base import (
    STARVED_REAL_S,
    connector,
    start_session,
    stop_session,
    wait_limit,
)
from smartcharge.compliance.target import Charger
from smartcharge.ocpp import uk_extension

# Generous: every wait ends as soon as the charger has done what is awaited.
OUTCOME_WAIT_S = 30.0
# A relevant time that drew 0 s (legitimate: 1 in max + 1) is made again, up to this many times:
# only 0 s every time is the evidence of a change made at once (1 in 601**3 for a fair draw).
ZERO_TRIES = 3


def announcement(ch: Charger, before: int) -> int | None:
    """The delay announced after the first `before` announcements, if one has come."""
    got = ch.csms.uk_messages(ch.identity, uk_extension.RANDOM_DELAY)
    if len(got) <= before:
        return None
    value = got[before][1].get("remainingS")
    return int(value) if isinstance(value, int | float) else None


async def announced(ch: Charger, before: int, timeout: float) -> int | None:
    """The next delay the charger announces after the first `before`, or None."""

    def count() -> int:
        return len(ch.csms.uk_messages(ch.identity, uk_extension.RANDOM_DELAY))

    if not await ch.csms.wait_for(lambda: count() > before, timeout):
        return None
    return announcement(ch, before)


async def outcome(ch: Charger, before: int, limit: float) -> int | None:
    """After a relevant time: the delay the charger announced (after the first `before`), 0 when
    it applied `limit` with none announced, None when it did neither in `OUTCOME_WAIT_S`. A
    charger announces a delay when it draws it, before the change applies, so an application
    seen first is a change made at once."""
    applied = asyncio.ensure_future(wait_limit(ch, 1, limit, timeout=OUTCOME_WAIT_S))
    told = asyncio.ensure_future(announced(ch, before, timeout=OUTCOME_WAIT_S))
    done, _ = await asyncio.wait({applied, told}, return_when=asyncio.FIRST_COMPLETED)
    if told in done and told.result() is not None:
        applied.cancel()
        await asyncio.gather(applied, return_exceptions=True)
        return told.result()
    if applied not in done:
        await asyncio.gather(applied, return_exceptions=True)
    told.cancel()
    await asyncio.gather(told, return_exceptions=True)
    if applied.exception() is None:
        return 0
    return None


def draws_in_words(drawn: list[int], most: int) -> str:
    """The draws made for one relevant time (made again after a 0 s draw), in words."""
    if len(drawn) == 1:
        return f"drawn {drawn[0]} s"
    return (
        f"drawn {', '.join(str(d) for d in drawn)} s: a 0 s draw is legitimate (1 in {most + 1}),"
        f" so the change was made again, up to {ZERO_TRIES} times"
    )


async def plug_ins(
    ch: Charger, enough: int, tries: int = ZERO_TRIES
) -> tuple[list[int | None], dict[str, Any], bool]:
    """Plug in on connector 1 (a relevant time), and again (unplugged first) while the delay
    drawn is under `enough` s, up to `tries` times: each delay drawn (see `outcome`), the
    connector's state after the last, and whether that delay may have run out before the state
    was read (on a busy machine the read can come many simulated seconds after the
    announcement: then only the announcement shows)."""
    drawn: list[int | None] = []
    while True:
        before = len(ch.csms.uk_messages(ch.identity, uk_extension.RANDOM_DELAY))
        await start_session(ch, 1)
        got = await outcome(ch, before, 32.0)
        state = await connector(ch, 1)
        drawn.append(got)
        if got is None or got >= enough or len(drawn) == tries:
            return drawn, state, got is not None and ran_out(ch, before, got)
        await stop_session(ch, 1)


def ran_out(ch: Charger, before: int, drawn: int) -> bool:
    """Whether a delay of `drawn` s announced after the first `before` may have run out by now
    (the announcement may have come late too: a starved charger sends late)."""
    told = ch.csms.uk_messages(ch.identity, uk_extension.RANDOM_DELAY)[before:]
    if not told:
        return False
    since = ch.sim_seconds(asyncio.get_running_loop().time() - told[0][0] + STARVED_REAL_S)
    return since >= drawn - 2.0  # two ticks: the rate follows on the next one
