"""Fleet actions: one change sent to many chargers. Which chargers a request addresses (a list
or a group), and a charging profile (a tariff step, a fleet schedule) sent to each of them in
parallel, at most `FLEET_CONCURRENCY` at once, each with its own outcome.

The platform spreads the start times over [0, spread_s] itself (drawn from the injected random
source, in the order of the targets, before anything is sent) and tells each charger, through
ProfileFlags, that the start is already randomised, so the charger adds no delay of its own
(R26). Nothing is retried: the outcome of each charger is reported as it happened."""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from smartcharge.ocpp import uk_extension
from smartcharge.ocpp.errors import OcppError
from smartcharge.ocpp.schemas import validate_request
from smartcharge.ocpp.times import format_time, parse_time
from smartcharge.platform.commands import CommandFailed
from smartcharge.platform.services.access import Caller
from smartcharge.platform.services.context import ServiceContext
from smartcharge.platform.services.errors import Invalid, NotFound

log = logging.getLogger("smartcharge.platform.services")

FLEET_CONCURRENCY = 64
"""Chargers addressed at once: enough to reach thousands in seconds when they answer, few
enough that a fleet of silent chargers does not hold thousands of calls open together."""

T = TypeVar("T")
R = TypeVar("R")


async def fan_out(
    items: Sequence[T], work: Callable[[T], Awaitable[R]], *, concurrency: int
) -> list[R]:
    """`work` on every item, at most `concurrency` at once; the results in the items' order.
    A pool of workers pulls from one iterator, so a request for 100,000 chargers holds
    `concurrency` tasks, not 100,000."""
    results: list[R | None] = [None] * len(items)
    queue = iter(enumerate(items))

    async def worker() -> None:
        for i, item in queue:  # one event loop: each item is taken by exactly one worker
            results[i] = await work(item)

    async with asyncio.TaskGroup() as tasks:
        for _ in range(min(max(1, concurrency), len(items))):
            tasks.create_task(worker())
    return results  # type: ignore[return-value]  # every slot was filled


async def resolve_targets(
    ctx: ServiceContext, who: Caller, chargers: Sequence[str] | None, group: str | None
) -> dict[str, int]:
    """identity -> charger id. An aggregator addresses only chargers in its own groups; an
    operator any. An unknown or foreign charger refuses the whole request (nothing is sent)."""
    if (chargers is None) == (group is None):
        raise Invalid("give either chargers or group")
    if group is not None:
        found = await ctx.store.dsr.group(group)
        if found is None or (who.role == "aggregator" and found["aggregator_id"] != who.account.id):
            raise NotFound(f"no group {group}")
        members = {r["identity"]: int(r["id"]) for r in await ctx.store.dsr.members(found["id"])}
        if not members:
            raise Invalid(f"group {group} is empty")
        return members
    assert chargers is not None
    if who.role == "aggregator":
        targets = await ctx.store.dsr.enrolled(who.account.id, list(chargers))
    else:
        wanted = set(chargers)
        targets = {
            r["identity"]: int(r["id"])
            for r in await ctx.store.history.chargers(who.scope)
            if r["identity"] in wanted
        }
    missing = sorted(set(chargers) - set(targets))
    if missing:
        raise NotFound(f"unknown chargers (or not yours to address): {', '.join(missing[:20])}")
    return targets


@dataclass(frozen=True)
class FleetOutcome:
    charger: str
    offset_s: float
    outcome: str  # answered, or why not: offline, timeout, call_error, bad_answer, invalid, error
    status: str | None  # the charger's answer to SetChargingProfile
    detail: str | None


def profile_start(ctx: ServiceContext, profile: dict[str, Any], connector_id: int) -> datetime:
    """The profile's start (its startSchedule, else now), once the whole SetChargingProfile has
    been checked against the OCPP schema; `Invalid` says what is wrong (nothing is sent)."""
    schedule = profile.get("chargingSchedule")
    if not isinstance(schedule, dict) or not isinstance(profile.get("chargingProfileId"), int):
        raise Invalid("charging_profile needs chargingProfileId and chargingSchedule")
    base = ctx.now()
    if isinstance(schedule.get("startSchedule"), str):
        try:
            base = parse_time(schedule["startSchedule"])
        except ValueError:
            raise Invalid("startSchedule is not an RFC 3339 time") from None
    whole = {**profile, "chargingSchedule": {**schedule, "startSchedule": format_time(base)}}
    try:  # checked once, before anything is sent (the start time is set per charger)
        validate_request(
            "SetChargingProfile", {"connectorId": connector_id, "csChargingProfiles": whole}
        )
    except OcppError as exc:
        raise Invalid(f"invalid charging_profile: {exc.description}") from None
    return base


async def send_profile(
    ctx: ServiceContext,
    who: Caller,
    targets: dict[str, int],
    profile: dict[str, Any],
    *,
    connector_id: int,
    cause: str,
    spread_s: float,
    concurrency: int = FLEET_CONCURRENCY,
) -> list[FleetOutcome]:
    """Send `profile` to every target, each start spread by its own offset; every outcome."""
    base = profile_start(ctx, profile, connector_id)
    planned = [
        (identity, charger_id, ctx.rng.uniform(0, spread_s) if spread_s else 0.0)
        for identity, charger_id in targets.items()
    ]

    async def one(target: tuple[str, int, float]) -> FleetOutcome:
        identity, charger_id, offset = target
        mine = copy.deepcopy(profile)
        mine["chargingSchedule"]["startSchedule"] = format_time(base + timedelta(seconds=offset))
        flags = {
            "chargingProfileId": mine["chargingProfileId"],
            "cause": cause,
            "alreadyRandomised": True,
        }
        user_id = who.account.id
        try:
            await ctx.commander.uk(
                identity, charger_id, uk_extension.PROFILE_FLAGS, flags, user_id=user_id
            )
            answer = await ctx.commander.send(
                identity,
                charger_id,
                "SetChargingProfile",
                {"connectorId": connector_id, "csChargingProfiles": mine},
                user_id=user_id,
            )
        except CommandFailed as exc:
            return FleetOutcome(identity, offset, exc.outcome, None, exc.message)
        except Exception:  # one charger's surprise must not cancel the others' calls
            log.exception("fleet profile failed charger=%s", identity)
            return FleetOutcome(identity, offset, "error", None, "the platform failed to send it")
        return FleetOutcome(identity, offset, "answered", answer.get("status"), None)

    return await fan_out(planned, one, concurrency=concurrency)
