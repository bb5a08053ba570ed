"""The balancing loop: each managed site's shares decided again (services/site_balancing.py)
and pushed to its chargers as charging profiles through the Commander.

When: at once on a change the platform hears of (a site's supply set, a charger of the site
connecting: `changed`), and every `interval_s` (2 s) for the changes it does not (a status, a
disconnection, meter values), so a change is acted on within 5 s.

Shares are per connector with a car (a two-connector charger with one car gets one share, with
two cars two); a charger's limit is the sum of its connectors' shares. What each charger holds,
on connector 0 (the whole charger):

- the **fallback**: a ChargePointMaxProfile at stack level `FALLBACK_LEVEL` at the site's
  fallback share, Recurring daily so it never ends. The supply check (services/site_supply.py)
  guarantees every charger at its fallback fits the supply.
- the **live limit**: a ChargePointMaxProfile at the higher `LIVE_LEVEL`, Absolute from now for
  `LEASE_S`, renewed every `RENEW_S`. A charger that loses the platform keeps its live limit
  until the lease runs out, then falls back to its share: the platform counts it at the larger
  of the two (`reserve_a`) until then, so the others never take what it may still draw.

Each live limit and fallback goes out after a UK-extension ProfileFlags with cause
`load_balancing`, not yet randomised: the charger applies a decrease at once (R8 over R24) and
delays an increase like any relevant time (R24), as REGULATIONS.md's load-balancing decision
says. Decreases go out first,
all of them answered before any increase is sent.

Several nodes (platform/cluster.py): a site is balanced by the one node holding its lease in the
database (`Sites.claim`, `CLAIM_S`, renewed every round), so two nodes never push different
shares to one site; when that node dies its lease runs out and the next node to claim it takes
over. The holder records what it gave each charger, and before sending an increase it records
the higher value, so the record is always at least what a charger may be drawing: the node that
takes over plans from it (decreases first) and reserves it for chargers that are away. A charger
is online when it is connected to any node; commands reach it through the cluster."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from smartcharge.ocpp.times import format_time
from smartcharge.platform.background import failed_pass
from smartcharge.platform.commands import Commander, CommandFailed
from smartcharge.platform.ocpp_server import OcppServer
from smartcharge.platform.services.site_balancing import EPSILON, PHASES, Point, Site, plan
from smartcharge.platform.services.site_meter import SiteMeters
from smartcharge.platform.store import Store
from smartcharge.platform.store.sites import Member

log = logging.getLogger("smartcharge.platform.site_balancer")

FALLBACK_ID, FALLBACK_LEVEL = 7300, 1
LIVE_ID, LIVE_LEVEL = 7301, 2
LEASE_S = 120
RENEW_S = 60.0
CLAIM_S = 10.0
"""How long a node's lease on a site lasts: renewed every round (`interval_s`), so another node
takes over within `CLAIM_S + interval_s` of the holder's death."""
METER_MARGIN_A = 1.0
"""Added to the house load a site meter shows: its reading and the chargers' samples are not
taken at the same instant."""
MEASURED_S = 300.0
"""How old a charger's latest current sample may be and still count: the headroom it shows is
shared (services/site_balancing.py `follow`); older, the charger is counted at its limit."""
WANTS = ("Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing")
"""Connector statuses in which a car is plugged in and may take current."""


def max_profile(profile_id: int, level: int, limit_a: float, start: datetime) -> dict[str, Any]:
    """A ChargePointMaxProfile on connector 0: the live limit (Absolute, `LEASE_S` long) or
    the fallback (Recurring daily, never ends)."""
    live = profile_id == LIVE_ID
    schedule: dict[str, Any] = {
        "startSchedule": format_time(start.replace(microsecond=0)),
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": math.floor(limit_a * 10) / 10}],
    }
    profile: dict[str, Any] = {
        "chargingProfileId": profile_id,
        "stackLevel": level,
        "chargingProfilePurpose": "ChargePointMaxProfile",
        "chargingProfileKind": "Absolute" if live else "Recurring",
        "chargingSchedule": schedule,
    }
    if live:
        schedule["duration"] = LEASE_S
    else:
        profile["recurrencyKind"] = "Daily"
        schedule["duration"] = 86400
    return {"connectorId": 0, "csChargingProfiles": profile}


@dataclass
class _Held:
    """What the platform last gave a charger, as far as it knows."""

    live_a: float = 0.0
    fallback_a: float | None = None
    renewed: float = float("-inf")  # monotonic


@dataclass
class SiteBalancer:
    store: Store
    ocpp: OcppServer
    commander: Commander
    now: Callable[[], datetime]
    monotonic: Callable[[], float]
    node: str = "platform"  # this node's id: the lease holder's name
    interval_s: float = 2.0
    on_round: Callable[[int], Awaitable[None]] | None = None  # tests, bench: a site decided
    rounds: int = 0  # rounds this node has run (whether or not it held a site)
    _held: dict[str, _Held] = field(default_factory=dict)
    meters: SiteMeters = field(default_factory=SiteMeters)
    _shares: dict[str, float] = field(default_factory=dict)  # "identity/connector" -> A
    _recorded: dict[int, dict[str, float]] = field(default_factory=dict)  # site -> as recorded
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def balancing(self) -> list[int]:
        """The sites this node balances (it holds their lease)."""
        return sorted(self._recorded)

    def changed(self, site_id: int) -> None:
        """Decide again now (every managed site: a round is a few queries per site)."""
        self._wake.set()

    async def charger_connected(self, conn: Any) -> None:
        site_id = await self.store.sites.site_of(conn.charger_id)
        if site_id is not None:
            held = self._held.get(conn.identity)
            if held is not None:
                # It may be on its live limit or (the lease over) its fallback: count the
                # higher, and send it all again.
                held.live_a = max(held.live_a, held.fallback_a or 0.0)
                held.fallback_a, held.renewed = None, float("-inf")
            self.changed(site_id)

    async def run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval_s)
            self._wake.clear()
            try:
                await self.balance_all()
            except Exception:
                failed_pass(log, "site balancing round failed")

    async def balance_all(self) -> None:
        now = self.now()
        mine = await self.store.sites.claim(
            self.node, now=now, until=now + timedelta(seconds=CLAIM_S)
        )
        for site_id in set(self._recorded) - set(mine):
            # Another node took the site over: what this one knew of it is stale.
            log.info("site balancing handed over site=%s node=%s", site_id, self.node)
            del self._recorded[site_id]
        for site_id in mine:
            await self.balance(site_id)
        self.rounds += 1

    async def release(self) -> None:
        """Stopping: leave this node's sites to another at once."""
        self.meters.close()
        await self.store.sites.release(self.node)

    async def balance(self, site_id: int) -> None:
        supply = await self.store.sites.supply(site_id)
        if supply is None:
            return
        members = await self.store.sites.members(site_id)
        if site_id not in self._recorded:
            await self._take_over(site_id, members)
        site = Site(supply.limit_a, supply.other_load_a, fallback_a=supply.fallback_a)
        statuses = await self.store.sites.connector_statuses(site_id)
        since = self.now() - timedelta(seconds=MEASURED_S)
        measured = await self.store.sites.currents(site_id, since)
        points: list[Point] = []
        for m in members:  # a charger never given a limit may draw all it can: cut it first
            self._held.setdefault(m.identity, _Held(live_a=m.max_a))
            points += self._points(site, m, statuses.get(m.charger_id, {}), measured)
        meter = await self.store.sites.meter(site_id)
        if meter is None:
            self.meters.forget(site_id)
        else:
            reading = await self.meters.read(meter, max(supply.limit_a))
            if reading.current_a is None:  # the house load is not known: each its fallback
                cap = supply.fallback_a
                points = [replace(p, max_a=min(p.max_a, cap), group_max_a=cap) for p in points]
            else:
                site = replace(site, other_load_a=_house(reading.current_a, points))
        before = {m.identity: self._held[m.identity].live_a for m in members}
        # A connector's last share (unknown: its charger's whole limit) for ramps and `follow`.
        previous = {p.key: self._shares.get(p.key, before[p.group]) for p in points}
        decided = plan(site, points, previous)
        targets = dict.fromkeys(before, 0.0)  # a charger's limit: its connectors' shares
        for p in points:
            targets[p.group] += decided.targets.get(p.key, 0.0)
        # Recorded before anything is sent: the higher of before and after (see above).
        if not await self._record(site_id, {k: max(before[k], targets[k]) for k in before}):
            return  # the lease was lost: the node that has it decides
        ids = {m.identity: m.charger_id for m in members}
        online = sorted({p.group for p in points if p.online})
        await self._each(online, lambda k: self._fallback(k, ids[k], supply.fallback_a))
        cuts = [k for k in online if targets[k] < before[k] - EPSILON]
        if not await self._each(cuts, lambda k: self._live(k, ids[k], targets[k])):
            # A decrease not confirmed: no increase may count on it. Decide again next round.
            self.changed(site_id)
        else:
            rest = [k for k in online if k not in cuts]
            await self._each(rest, lambda k: self._live(k, ids[k], targets[k]))
        for p in points:
            if p.online and abs(self._held[p.group].live_a - targets[p.group]) < EPSILON:
                self._shares[p.key] = decided.targets[p.key]
        await self._record(site_id, {k: self._held[k].live_a for k in before})
        if self.on_round is not None:
            await self.on_round(site_id)

    async def _take_over(self, site_id: int, members: list[Member]) -> None:
        """This node has just taken the site's lease: start from what the last holder recorded
        (at least what each charger may draw), and send every charger all of it again."""
        _, recorded = await self.store.sites.balancer(site_id)
        for m in members:
            self._held[m.identity] = _Held(live_a=recorded.get(m.identity, m.max_a))
        self._recorded[site_id] = recorded
        log.info("site balancing taken over site=%s node=%s", site_id, self.node)

    async def _record(self, site_id: int, held: dict[str, float]) -> bool:
        if self._recorded.get(site_id) == held:
            return True
        if not await self.store.sites.record_held(site_id, self.node, held):
            self._recorded.pop(site_id, None)
            return False
        self._recorded[site_id] = held
        return True

    def _points(
        self,
        site: Site,
        m: Member,
        plugged: dict[int, str],
        measured: Mapping[tuple[int, int], tuple[float, float]],
    ) -> list[Point]:
        """The charger's charging points: one per connector (a car each), all within the
        charger's maximum; offline, one holding what it may draw on its own."""
        charger = Point(
            f"{m.identity}/0",
            phases=frozenset(int(ph) - 1 for ph in m.phases),
            max_a=m.max_a,
            priority=m.priority,
            group=m.identity,
            group_max_a=m.max_a,
        )
        if m.identity not in self.ocpp.connections and m.connected_node is None:
            last = self._held[m.identity].live_a
            return [replace(charger, online=False, reserve_a=max(last, site.fallback_a))]
        out = []
        # A charger that never said how its connectors are may have a car on one: count one.
        for n, status in sorted((plugged or {1: WANTS[0]}).items()):
            drawn, offered = measured.get((m.charger_id, n), (None, None))
            wants = status in WANTS
            out.append(
                replace(
                    charger, key=f"{m.identity}/{n}", wants=wants, drawn_a=drawn, offered_a=offered
                )
            )
        return out

    async def _each(self, keys: list[str], one: Callable[[str], Awaitable[bool]]) -> bool:
        return all(await asyncio.gather(*(one(k) for k in keys)))

    async def _fallback(self, identity: str, charger_id: int, fallback_a: float) -> bool:
        held = self._held.setdefault(identity, _Held())
        if held.fallback_a == fallback_a:
            return True
        if not await self._flags(identity, charger_id, FALLBACK_ID):
            return False
        request = max_profile(FALLBACK_ID, FALLBACK_LEVEL, fallback_a, self.now())
        if not await self._send(identity, charger_id, request):
            return False
        held.fallback_a = fallback_a
        return True

    async def _live(self, identity: str, charger_id: int, target: float) -> bool:
        held = self._held.setdefault(identity, _Held())
        due = self.monotonic() - held.renewed >= RENEW_S
        if abs(target - held.live_a) < 1e-6 and not due:
            return True
        if not await self._flags(identity, charger_id, LIVE_ID):
            return False
        request = max_profile(LIVE_ID, LIVE_LEVEL, target, self.now())
        if not await self._send(identity, charger_id, request):
            return False
        held.live_a, held.renewed = target, self.monotonic()
        return True

    async def _flags(self, identity: str, charger_id: int, profile_id: int) -> bool:
        """The profile's cause (`load_balancing`, not yet randomised) ahead of it, so the
        charger cuts at once and delays a rise (R8 before R24): the fallback's too, as a
        charger falling back from its live limit is cut by it."""
        flags = {
            "chargingProfileId": profile_id,
            "cause": "load_balancing",
            "alreadyRandomised": False,
        }
        try:
            answer = await self.commander.uk(
                identity, charger_id, "ProfileFlags", flags, user_id=None
            )
        except CommandFailed as exc:
            log.warning("balancing flags not sent charger=%s outcome=%s", identity, exc.outcome)
            return False
        if answer.get("status") != "Accepted":
            # The limit still goes out (better than none), but such a charger may hold a cut
            # back for its random delay: the operator must know.
            log.warning(
                "balancing flags refused charger=%s answer=%s: its cuts may wait for its delay",
                identity,
                answer.get("status"),
            )
        return True

    async def _send(self, identity: str, charger_id: int, request: dict[str, Any]) -> bool:
        try:
            answer = await self.commander.send(
                identity, charger_id, "SetChargingProfile", request, user_id=None
            )
        except CommandFailed as exc:
            log.warning("balancing profile not sent charger=%s outcome=%s", identity, exc.outcome)
            return False
        return answer.get("status") == "Accepted"


def _house(site_a: tuple[float, float, float], points: list[Point]) -> tuple[float, float, float]:
    """The load on each phase that is not the chargers': what the site meter shows less what
    the cars are measured drawing, plus `METER_MARGIN_A`."""
    house = list(site_a)
    for p in points:
        if p.online and p.wants and p.drawn_a is not None:
            for phase in p.phases:
                house[phase] -= p.drawn_a
    return (
        max(0.0, house[PHASES[0]]) + METER_MARGIN_A,
        max(0.0, house[PHASES[1]]) + METER_MARGIN_A,
        max(0.0, house[PHASES[2]]) + METER_MARGIN_A,
    )
