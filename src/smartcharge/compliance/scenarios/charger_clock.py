"""The charger's clock as the suite knows it: from the timestamps the charger sent.

Every timing the suite judges is read off these stamps, never off its own wall clock. A stamp
only says the charger's clock had reached it when the message was made; on a busy machine its
MeterValues may queue far behind while a status goes out at once, so an estimate from stamps is a
lower bound, and a time the charger has certainly passed needs a stamp it made afterwards
(`base.stamp_now`) or, for a charger the suite launched, its launch time (`upper_bound`).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from smartcharge.compliance.target import Charger
from smartcharge.ocpp.times import parse_time

# charger_now looks at this many of the latest messages (a queue of samples is rarely longer).
RECENT = 200


def message_stamp(action: str, payload: dict[str, Any]) -> datetime | None:
    """The charger's time on a message it sent (a MeterValues' last sample), if any."""
    stamp = payload.get("timestamp")
    if action == "MeterValues":
        values = payload.get("meterValue") or []
        stamp = values[-1].get("timestamp") if values else None
    return parse_time(stamp) if isinstance(stamp, str) else None


def charger_now(ch: Charger) -> datetime:
    """The charger's clock, estimated from the timestamps it sent and its speed: never ahead of
    it. Each recent message gives a lower bound (its stamp plus the time since it arrived); the
    latest bound wins, because MeterValues may queue behind while a status goes out at once."""
    loop_now = asyncio.get_running_loop().time()
    bounds = []
    for m in ch.csms.inbound.get(ch.identity, [])[-RECENT:]:
        stamp = message_stamp(m.action, m.payload)
        if stamp is not None:
            bounds.append(stamp + timedelta(seconds=ch.sim_seconds(loop_now - m.at)))
    if bounds:
        return max(bounds)
    if ch.clock_hint is not None:
        start, launched = ch.clock_hint
        return start + timedelta(seconds=ch.sim_seconds(loop_now - launched))
    return datetime.now(UTC)


def latest_stamp(ch: Charger) -> datetime | None:
    """The latest time the charger's own clock stamped on a message it sent (None: none yet)."""
    stamps = (message_stamp(m.action, m.payload) for m in ch.csms.inbound.get(ch.identity, []))
    return max((s for s in stamps if s is not None), default=None)


def upper_bound(ch: Charger) -> datetime:
    """A time the charger's clock has not reached yet, without asking it (its launch time plus
    the time since, for a charger the suite started; else the best estimate there is)."""
    return ch.clock_upper_bound() if ch.clock_hint is not None else charger_now(ch)


def status_stamps(ch: Charger, since: int, connector_id: int = 1) -> list[tuple[datetime, str]]:
    """(charger time, status) of a connector's StatusNotifications after the first `since`."""
    out = []
    for m in ch.csms.received(ch.identity, "StatusNotification")[since:]:
        if m.payload.get("connectorId") == connector_id and isinstance(
            m.payload.get("timestamp"), str
        ):
            out.append((parse_time(m.payload["timestamp"]), str(m.payload["status"])))
    return out


def status_times(ch: Charger, n: int, status: str) -> list[datetime]:
    """When (charger time) connector `n` reported `status`."""
    return [t for t, st in status_stamps(ch, 0, n) if st == status]
