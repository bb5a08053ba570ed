"""DataTransfer from a charger in the UK extensions (vendorId org.smartcharge.uk,
docs/ocpp-extensions.md): what the platform understands of them.

- `DsrOptOut` `{"id": "<event id>"}`: the owner opted out of a DSR event at the charger (R19);
  recorded on the event's delivery, so the aggregator sees it, and `Accepted`. An event the
  charger had no part in is `Rejected`. Sent again, it keeps the first time.
- Anything else (e.g. `RandomDelay`) is stored like every DataTransfer and answered
  `UnknownMessageId`.
"""

from __future__ import annotations

import json
from typing import Any

from smartcharge.platform.handlers.context import ChargerContext

UK_VENDOR = "org.smartcharge.uk"


async def from_charger(
    ctx: ChargerContext, message_id: str | None, data: str | None
) -> dict[str, Any]:
    if message_id != "DsrOptOut":
        return {"status": "UnknownMessageId"}
    try:
        event_id = json.loads(data or "")["id"]
    except (ValueError, TypeError, KeyError):
        event_id = None
    if not isinstance(event_id, str) or not 1 <= len(event_id) <= 36:
        return {"status": "Rejected", "data": json.dumps({"error": "id: a DSR event id"})}
    if not await ctx.store.dsr.opted_out(event_id, ctx.charger_id, at=ctx.now()):
        return {"status": "Rejected", "data": json.dumps({"error": "id: no such event here"})}
    return {"status": "Accepted"}
