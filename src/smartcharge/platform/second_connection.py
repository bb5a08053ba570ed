"""The policy for a second connection with an identity already connected: a charger that
reconnected before its old socket timed out, or someone else holding its credentials (the
session-hijack pattern of recent advisories about charging back-ends).

The newest connection, which passed the same credential check, takes over and the older one is
closed (the caller does that); each takeover is logged at warning level with both addresses and
stored as the charger's security event `SecondConnection`, so a hijack attempt leaves a trace
an operator sees (docs/platform.md)."""

from __future__ import annotations

import logging
from datetime import datetime

from smartcharge.platform.store import Store

log = logging.getLogger("smartcharge.platform.ocpp")

SECOND_CONNECTION = "SecondConnection"


async def record_second_connection(
    store: Store,
    charger_id: int,
    identity: str,
    where: str,
    old_address: str,
    old_since: datetime,
    now: datetime,
) -> None:
    """Log and store the takeover; a failure to store it never stops the takeover."""
    info = (
        f"a new connection {where} replaced the one from {old_address} open since "
        f"{old_since.isoformat(timespec='seconds')}"
    )
    log.warning("second connection identity=%s %s", identity, info)
    try:
        await store.history.add_security_event(
            charger_id, type=SECOND_CONNECTION, tech_info=info[:255], timestamp=now, received_at=now
        )
    except Exception:
        log.exception("second connection not recorded identity=%s", identity)
