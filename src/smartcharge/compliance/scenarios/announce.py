"""How the suite learns the delay a charger drew at a relevant time: the charger announces each
delay (org.smartcharge.uk RandomDelay, the owner's countdown) when it draws it, before the
change applies, on the same connection. So the first of "announced" and "applied" decides:
announced N s, or applied at once (0 s); neither within the wait is no verdict at all.
"""

from __future__ import annotations

import asyncio

from smartcharge.compliance.scenarios.base import wait_limit
from smartcharge.compliance.target import Charger

# Generous: every wait ends as soon as the charger has done what is awaited.
OUTCOME_WAIT_S = 30.0


def announcement(ch: Charger, before: int) -> int | None:
    """The delay announced after the first `before` announcements, if one has come."""
    got = ch.csms.uk_messages(ch.identity, "RandomDelay")
    if len(got) <= before:
        return None
    value = got[before][1].get("remainingS")
    return int(value) if isinstance(value, int | float) else None


async def announced(ch: Charger, before: int, timeout: float) -> int | None:
    """The next delay the charger announces after the first `before`, or None."""

    def count() -> int:
        return len(ch.csms.uk_messages(ch.identity, "RandomDelay"))

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
