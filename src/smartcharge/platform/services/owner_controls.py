"""The owner's controls on one charger (R15-R19, R25): default charging hours, the owner's own
schedule, charge now, skip the random delay, opt out of a grid event, start and stop. Each is a
UK extension (docs/ocpp-extensions.md) or an OCPP command sent through the `Commander` on the
caller's behalf (so it is in the command log); the answer is the charger's own, `data` decoded.
The charger is the one source of truth: nothing is kept here that it did not accept."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from smartcharge.ocpp import uk_extension
from smartcharge.platform.services.access import ChargerAccess
from smartcharge.platform.services.context import ServiceContext
from smartcharge.platform.services.errors import Invalid, NotFound

Answer = dict[str, Any]  # {"status": ..., "data": ...} as the charger answered
HOURS_MODES = ("default", "custom", "removed")
MAX_WINDOWS = 100
MAX_LIMIT_A = 1000.0
REMOTE_TAG_PREFIX = "WEB-"
"""RemoteStartTransaction needs an idTag: the user's own (WEB-<user id>), in the platform's
id-tag store so the charger's Authorize is answered Accepted, and deleted with the account."""
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


async def ask_charger(
    ctx: ServiceContext, charger: ChargerAccess, message: str, data: dict[str, Any]
) -> Answer:
    """Ask the charger one UK-extension message on the caller's behalf; its answer."""
    return await ctx.commander.uk(
        charger.identity, charger.id, message, data, user_id=charger.user_id
    )


def requester(charger: ChargerAccess) -> str:
    """Who the charger is told a change comes from (docs/ocpp-extensions.md)."""
    role = charger.caller.role
    if role == "owner":
        return "owner"
    return "end_user" if role == "workplace_user" else "administrator"


def check_windows(windows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Weekly windows {weekday 0-6 (Monday 0), start "HH:MM", end "HH:MM"}, or `Invalid`."""
    if len(windows) > MAX_WINDOWS:
        raise Invalid(f"at most {MAX_WINDOWS} windows")
    out = []
    for w in windows:
        weekday, start, end = w.get("weekday"), w.get("start"), w.get("end")
        if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
            raise Invalid("a window's weekday is 0 (Monday) to 6 (Sunday)")
        if not (isinstance(start, str) and _HHMM.match(start)) or not (
            isinstance(end, str) and _HHMM.match(end)
        ):
            raise Invalid("a window's start and end are times like 07:30")
        out.append({"weekday": weekday, "start": start, "end": end})
    return out


async def default_hours(ctx: ServiceContext, charger: ChargerAccess) -> Answer:
    """The charger's default charging hours, whether and when they were answered, and its
    random-delay maximum (asked from the charger: it is the one source of truth)."""
    return await ask_charger(ctx, charger, uk_extension.GET_DEFAULT_HOURS, {})


async def set_default_hours(
    ctx: ServiceContext, charger: ChargerAccess, mode: str, windows: Sequence[dict[str, Any]]
) -> Answer:
    """Accept the defaults, set custom windows (UK clock time) or remove them (R15, R16).
    A workplace charger takes this from an administrator only."""
    charger.require_admin()
    if mode not in HOURS_MODES:
        raise Invalid(f"mode is one of {', '.join(HOURS_MODES)}")
    if mode != "custom" and windows:
        raise Invalid("windows only with mode custom")
    data: dict[str, Any] = {"mode": mode, "by": requester(charger)}
    if mode == "custom":
        data["windows"] = check_windows(windows)
    return await ask_charger(ctx, charger, uk_extension.SET_DEFAULT_HOURS, data)


async def user_schedule(ctx: ServiceContext, charger: ChargerAccess) -> Answer:
    """The owner's own plan as the charger holds it (null: none)."""
    return await ask_charger(ctx, charger, uk_extension.GET_USER_SCHEDULE, {})


async def set_user_schedule(
    ctx: ServiceContext,
    charger: ChargerAccess,
    windows: Sequence[dict[str, Any]],
    limit_a: float | None,
) -> Answer:
    """The owner's own plan: charge only inside these weekly windows (UK clock time), at most
    `limit_a` there; it only narrows what the default hours allow. No windows: removed."""
    charger.require_admin()
    if limit_a is not None and not 0 <= limit_a <= MAX_LIMIT_A:
        raise Invalid(f"the limit is 0 to {MAX_LIMIT_A:g} A, or none")
    data = {"windows": check_windows(windows), "limitA": limit_a, "by": requester(charger)}
    return await ask_charger(ctx, charger, uk_extension.SET_USER_SCHEDULE, data)


async def charge_now(ctx: ServiceContext, charger: ChargerAccess, connector_id: int) -> Answer:
    """Charge now, outside the default hours and the owner's plan, for the session on this
    connector (R18). A workplace charger takes it from an administrator only."""
    data = {"connectorId": connector_id, "by": requester(charger)}
    return await ask_charger(ctx, charger, uk_extension.CHARGE_NOW, data)


async def skip_delay(
    ctx: ServiceContext, charger: ChargerAccess, connector_id: int, *, session: bool = False
) -> Answer:
    """Skip the random delay running now, or for the rest of the session (R25)."""
    data = {"connectorId": connector_id, "session": session}
    return await ask_charger(ctx, charger, uk_extension.SKIP_DELAY, data)


async def opt_out(ctx: ServiceContext, charger: ChargerAccess, event_id: str) -> Answer:
    """The owner opts this charger out of a DSR event (R19): the charger is told (DsrOptOut),
    and once it accepts, the opt-out is recorded and reported to the aggregator."""
    charger.require_admin()
    mine = [e for e in await ctx.store.dsr.of_charger(charger.id) if e["id"] == event_id]
    if not mine:
        raise NotFound(f"no DSR event {event_id} here")
    answer = await ask_charger(ctx, charger, uk_extension.DSR_OPT_OUT, {"id": event_id})
    if answer.get("status") == "Accepted":
        await ctx.store.dsr.opted_out(event_id, charger.id, at=ctx.now())
    return answer


async def start_charging(ctx: ServiceContext, charger: ChargerAccess, connector_id: int) -> Answer:
    """RemoteStartTransaction with the caller's own idTag (registered first, so the charger's
    Authorize is answered Accepted)."""
    tag = f"{REMOTE_TAG_PREFIX}{charger.user_id}"
    await ctx.store.id_tags.put(tag, at=ctx.now(), owner_id=charger.user_id)
    payload = {"connectorId": connector_id, "idTag": tag}
    return await ctx.commander.send(
        charger.identity, charger.id, "RemoteStartTransaction", payload, user_id=charger.user_id
    )


async def stop_charging(ctx: ServiceContext, charger: ChargerAccess, transaction_id: int) -> Answer:
    """RemoteStopTransaction for a session of this charger that is still running."""
    running = await ctx.store.history.session(charger.caller.scope, transaction_id)
    if running is None or running["charger"] != charger.identity or not running["running"]:
        raise NotFound("That session is not running any more.")
    payload = {"transactionId": transaction_id}
    return await ctx.commander.send(
        charger.identity, charger.id, "RemoteStopTransaction", payload, user_id=charger.user_id
    )
