"""A charger's live state for its page: each connector's status, the charger's own charging
state (asked with the UK extension GetChargingState, docs/ocpp-extensions.md), the power last
reported, the grid event in force, in plain words (`plain_words`).

The data is the charger-status service's (`services/charger_status.py`, which the REST API's
/status reads too); asking the charger goes through the `Commander` as a read, not a command: it
does not go into the command log (the page asks every few seconds while it is open). A charger
that is offline or slow still gets a page, from what the platform stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from smartcharge.ocpp import uk_extension
from smartcharge.platform.services import charger_status
from smartcharge.platform.services.access import ChargerAccess
from smartcharge.platform.services.charger_status import POWER, GridEvent
from smartcharge.platform.services.context import ServiceContext
from smartcharge.platform.web import charts
from smartcharge.platform.web.plain_words import Words, describe, plan_line
from smartcharge.platform.web.session_numbers import SessionNumbers, session_numbers

__all__ = ["POWER", "ConnectorView", "LiveView", "live_view"]


@dataclass
class ConnectorView:
    id: int
    status: str | None
    words: Words
    transaction_id: int | None
    random_delay_s: float
    waiting_for_hours: bool
    power_w: float | None
    numbers: SessionNumbers | None = None  # while a session runs
    plan: str = ""  # the departure plan's promise, on the socket it is for
    delay_end: datetime | None = None  # when the random delay running ends

    @property
    def chart(self) -> Any:
        if self.numbers is None or len(self.numbers.power_points) < 2:
            return ""
        return charts.curve(self.numbers.power_points, f"Power on socket {self.id}, last 30 min")


@dataclass
class LiveView:
    identity: str
    connected: bool
    asked: bool  # the charger answered GetChargingState
    connectors: list[ConnectorView] = field(default_factory=list)
    grid_events: list[GridEvent] = field(default_factory=list)
    charger_state: dict[str, Any] = field(default_factory=dict)


async def live_view(ctx: ServiceContext, charger: ChargerAccess) -> LiveView:
    status = await charger_status.status(ctx, charger)  # as the API's /status: the same service
    now = ctx.now()
    state = (
        await charger_status.read_charger(ctx, charger.identity, uk_extension.GET_CHARGING_STATE)
        if status.connected
        else None
    )
    # The charger's own report of its grid events when it gives one (what it does), else ours.
    events = charger_status.reported_grid_events(state or {}, now)
    if events is None:
        events = await charger_status.grid_events(ctx, charger.id, now)
    view = LiveView(charger.identity, status.connected, state is not None, grid_events=events)
    following = [e for e in events if not e.opted_out]
    view.charger_state = state or {}
    per_connector = (state or {}).get("connectors") or {}
    running = {s["connector_id"]: s for s in status.running_sessions}
    departure = await ctx.store.owner_records.departure(charger.id)
    for c in status.connectors:
        connector_id, connector_status = c["connector_id"], c["status"]
        if connector_id == 0:
            continue  # the charger as a whole: shown in its header, not as a socket
        entry = per_connector.get(str(connector_id)) if isinstance(per_connector, dict) else None
        session = running.get(connector_id)
        tx = session["id"] if session else None
        power = await charger_status.last_power_w(ctx, tx) if tx is not None else None
        if entry is None:  # the charger could not be asked: its last announcement
            delay = await charger_status.last_random_delay(ctx, charger.id, connector_id, now)
            entry = {"random_delay_remaining_s": delay} if delay else None
        # A socket the charger says is not held by the event is not called reduced by it.
        held_by_event = state is None or (entry or {}).get("limit_cause") == "dsr"
        until = following[0].until if following and held_by_event else None
        held = power if connector_status == "Charging" else None
        words = describe(connector_status, entry, held, until, now)
        delay_s = float((entry or {}).get("random_delay_remaining_s") or 0)
        promise = (
            departure["promise"]
            if departure and departure["connector_id"] == connector_id
            else None
        )
        view.connectors.append(
            ConnectorView(
                id=connector_id,
                status=connector_status,
                words=words,
                transaction_id=tx,
                random_delay_s=delay_s,
                waiting_for_hours=(entry or {}).get("limit_cause")
                in ("default_hours", "user_schedule")
                and not power,
                power_w=power,
                numbers=await session_numbers(ctx, charger.id, session, now) if session else None,
                plan=plan_line(promise, words),
                delay_end=now + timedelta(seconds=delay_s) if delay_s > 0 else None,
            )
        )
    return view
