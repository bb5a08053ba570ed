"""The composite schedule: what the installed profiles allow a connector, over time (OCPP 1.6 3.13).

Everything here is a pure function of (profiles, time window, transaction start): no clock is
read. Times are handled in whole seconds (floored), the resolution of OCPP schedules.

Precedence at one instant, for connector n > 0:

1. Per purpose, among the profiles that are *active* at that instant (inside validFrom/validTo and
   inside their schedule: after its start and before its `duration` ends), the one with the
   highest stackLevel wins. A TxDefaultProfile on connector n beats one on connector 0 at the same
   stackLevel. When the winner's schedule ends, the next stackLevel down applies again.
2. The TxProfile of the running transaction, if one is active, overrides the TxDefaultProfile.
3. The result is capped by the ChargePointMaxProfile (connector 0) and by `max_limit` (the
   hardware); a single connector can never draw more than the whole charge point may.

For connector 0 only the ChargePointMaxProfile and `max_limit` count. The cap is on the SUM of
all connectors: split it with `sharing.share`.

Schedule start: Absolute at startSchedule; Relative at the transaction start (no transaction, no
Relative profile); Recurring at startSchedule and then every 24 h (Daily) or 7 * 24 h (Weekly)
of elapsed time, never before startSchedule. Recurrence is counted in elapsed real time, as
OCPP 1.6 defines schedules in seconds from their start: a Daily profile that starts at 23:00 GMT
starts at 00:00 BST after the clocks go forward (see docs/smart-charging.md).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from smartcharge.chargepoint.smart_charging.installed import CHARGE_POINT, InstalledProfile
from smartcharge.chargepoint.smart_charging.profiles import (
    RECURRENCE_S,
    ChargingProfile,
    Period,
    Unit,
)
from smartcharge.chargepoint.smart_charging.units import (
    UK_VOLTAGE,
    ceil_tenth,
    convert,
    floor_tenth,
)
from smartcharge.ocpp.times import format_time

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class CompositePeriod:
    start_period_s: int  # seconds after the schedule start
    limit: float | None  # None: no profile and no max_limit limit the connector
    number_phases: int


@dataclass(frozen=True, slots=True)
class CompositeSchedule:
    connector_id: int
    start: datetime  # UTC, whole seconds
    duration_s: int
    unit: Unit
    periods: tuple[CompositePeriod, ...]  # sorted, the first at 0, neighbours differ
    min_charging_rate: float | None = None  # of the Tx/TxDefault profile in force at `start`


def composite_schedule(
    profiles: Iterable[InstalledProfile],
    connector_id: int,
    start: datetime,
    duration_s: int,
    unit: Unit = "A",
    tx_start: datetime | None = None,
    tx_id: int | None = None,
    voltage: float = UK_VOLTAGE,
    phases: int = 3,
    *,
    max_limit: float | None = None,
) -> CompositeSchedule:
    """The limit for `connector_id` over [start, start + duration_s), as periods in `unit`.

    `tx_start`: when the transaction on the connector started (None: no transaction); `tx_id`:
    its id, matched against a TxProfile's transactionId. `voltage` and `phases` convert between
    A and W where a period does not give its numberPhases. `max_limit` (in `unit`): the hardware
    limit, which also caps every period; without it, periods no profile limits have limit None.
    Limits are rounded down to 0.1.
    """
    if duration_s <= 0:
        raise ValueError("duration_s: must be positive")
    lo = _seconds(start, "start")
    hi = lo + duration_s
    ctx = _context(profiles, connector_id, tx_start, tx_id, unit, voltage, phases, max_limit)
    changes = {t for p in ctx.all() for t in _changes(p, lo, hi, ctx.tx_start)}
    if ctx.tx and ctx.tx_start is not None:
        changes.add(ctx.tx_start)  # TxProfiles apply from the transaction's start
    points = sorted({lo} | {t for t in changes if lo < t < hi})
    periods: list[CompositePeriod] = []
    first_min: float | None = None
    for t in points:
        limit, n, min_rate = _evaluate(ctx, t)
        if t == lo:
            first_min = min_rate
        if periods and (periods[-1].limit, periods[-1].number_phases) == (limit, n):
            continue
        periods.append(CompositePeriod(t - lo, limit, n))
    return CompositeSchedule(
        connector_id=connector_id,
        start=_EPOCH + lo * _SECOND,
        duration_s=duration_s,
        unit=unit,
        periods=tuple(periods),
        min_charging_rate=first_min,
    )


def limit_at(
    profiles: Iterable[InstalledProfile],
    connector_id: int,
    when: datetime,
    tx_start: datetime | None = None,
    tx_id: int | None = None,
    *,
    unit: Unit = "A",
    voltage: float = UK_VOLTAGE,
    phases: int = 3,
    max_limit: float | None = None,
) -> float | None:
    """The limit for `connector_id` at the instant `when`: the composite schedule's value there."""
    ctx = _context(profiles, connector_id, tx_start, tx_id, unit, voltage, phases, max_limit)
    return _evaluate(ctx, _seconds(when, "when"))[0]


def charge_point_cap(
    profiles: Iterable[InstalledProfile],
    when: datetime,
    *,
    unit: Unit = "A",
    voltage: float = UK_VOLTAGE,
    phases: int = 3,
    max_limit: float | None = None,
) -> float | None:
    """What all connectors together may draw at `when` (ChargePointMaxProfile, `max_limit`)."""
    return limit_at(
        profiles,
        CHARGE_POINT,
        when,
        unit=unit,
        voltage=voltage,
        phases=phases,
        max_limit=max_limit,
    )


def charging_schedule(
    schedule: CompositeSchedule, *, no_limit: float | None = None
) -> dict[str, Any]:
    """`schedule` as GetCompositeSchedule.conf's `chargingSchedule`.

    OCPP cannot say "no limit": periods without one get `no_limit` (say the hardware maximum), and
    without it a `ValueError` says to pass one (or `max_limit` to `composite_schedule`).
    """
    periods: list[dict[str, Any]] = []
    for p in schedule.periods:
        limit = p.limit if p.limit is not None else no_limit
        if limit is None:
            raise ValueError("a period has no limit: pass no_limit (or max_limit to the schedule)")
        periods.append(
            {
                "startPeriod": p.start_period_s,
                "limit": floor_tenth(limit),
                "numberPhases": p.number_phases,
            }
        )
    d: dict[str, Any] = {
        "duration": schedule.duration_s,
        "startSchedule": format_time(schedule.start, "auto"),
        "chargingRateUnit": schedule.unit,
        "chargingSchedulePeriod": periods,
    }
    if schedule.min_charging_rate is not None:
        d["minChargingRate"] = schedule.min_charging_rate
    return d


def composite_response(
    schedule: CompositeSchedule, *, no_limit: float | None = None
) -> dict[str, Any]:
    """A whole GetCompositeSchedule.conf payload (status Accepted) for `schedule`."""
    return {
        "status": "Accepted",
        "connectorId": schedule.connector_id,
        "scheduleStart": format_time(schedule.start, "auto"),
        "chargingSchedule": charging_schedule(schedule, no_limit=no_limit),
    }


# --- the evaluation: profiles prepared as whole seconds, then one instant at a time ---


@dataclass(frozen=True, slots=True)
class _Prepared:
    profile: ChargingProfile
    specific: bool  # set on the connector itself, not on connector 0
    valid_from: int | None
    valid_to: int | None
    origin: int | None  # startSchedule (Absolute, Recurring)
    every: int | None  # recurrence length (Recurring)
    duration: int | None
    starts: tuple[int, ...]  # the periods' startPeriod


@dataclass(frozen=True, slots=True)
class _Context:
    cp_max: tuple[_Prepared, ...]
    tx_default: tuple[_Prepared, ...]
    tx: tuple[_Prepared, ...]
    tx_start: int | None
    unit: Unit
    voltage: float
    phases: int
    max_limit: float | None

    def all(self) -> Iterator[_Prepared]:
        yield from self.cp_max
        yield from self.tx_default
        yield from self.tx


def _seconds(when: datetime, name: str) -> int:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{name}: needs a timezone")
    return (when - _EPOCH) // _SECOND


def _opt_seconds(when: datetime | None) -> int | None:
    return None if when is None else (when - _EPOCH) // _SECOND


def _prepare(profile: ChargingProfile, specific: bool) -> _Prepared:
    s = profile.schedule
    return _Prepared(
        profile=profile,
        specific=specific,
        valid_from=_opt_seconds(profile.valid_from),
        valid_to=_opt_seconds(profile.valid_to),
        origin=None if profile.kind == "Relative" else _opt_seconds(s.start_schedule),
        every=RECURRENCE_S[profile.recurrency]
        if profile.kind == "Recurring" and profile.recurrency is not None
        else None,
        duration=s.duration,
        starts=tuple(p.start_period_s for p in s.periods),
    )


def _context(
    profiles: Iterable[InstalledProfile],
    connector_id: int,
    tx_start: datetime | None,
    tx_id: int | None,
    unit: Unit,
    voltage: float,
    phases: int,
    max_limit: float | None,
) -> _Context:
    cp_max: list[_Prepared] = []
    tx_default: list[_Prepared] = []
    tx: list[_Prepared] = []
    running = tx_start is not None
    for e in profiles:
        p = e.profile
        if p.purpose == "ChargePointMaxProfile":
            if e.connector_id == CHARGE_POINT:
                cp_max.append(_prepare(p, False))
        elif connector_id == CHARGE_POINT:
            continue  # the charge point as a whole: only its cap counts
        elif p.purpose == "TxDefaultProfile":
            if e.connector_id in (CHARGE_POINT, connector_id):
                tx_default.append(_prepare(p, e.connector_id == connector_id))
        elif (
            e.connector_id == connector_id
            and running
            and (p.transaction_id is None or p.transaction_id == tx_id)
        ):
            tx.append(_prepare(p, True))
    return _Context(
        tuple(cp_max),
        tuple(tx_default),
        tuple(tx),
        None if tx_start is None else _seconds(tx_start, "tx_start"),
        unit,
        voltage,
        phases,
        max_limit,
    )


def _active(p: _Prepared, t: int, tx_start: int | None) -> Period | None:
    """The period of `p` in force at `t`, or None if `p` is not active then."""
    if p.valid_from is not None and t < p.valid_from:
        return None
    if p.valid_to is not None and t >= p.valid_to:
        return None
    origin = tx_start if p.profile.kind == "Relative" else p.origin
    if origin is None or t < origin:
        return None
    elapsed = t - origin
    if p.every is not None:
        elapsed %= p.every
    if p.duration is not None and elapsed >= p.duration:
        return None
    return p.profile.schedule.periods[bisect_right(p.starts, elapsed) - 1]


def _winner(
    stack: tuple[_Prepared, ...], t: int, tx_start: int | None
) -> tuple[ChargingProfile, Period] | None:
    best: tuple[_Prepared, Period] | None = None
    for p in stack:
        period = _active(p, t, tx_start)
        if period is None:
            continue
        # Ties go to the later entry: it is the one installing would have kept.
        if best is None or (p.profile.stack_level, p.specific) >= (
            best[0].profile.stack_level,
            best[0].specific,
        ):
            best = (p, period)
    return None if best is None else (best[0].profile, best[1])


def _evaluate(ctx: _Context, t: int) -> tuple[float | None, int, float | None]:
    """(limit, number_phases, min_charging_rate) at `t`, in ctx.unit, rounded to 0.1."""
    candidates: list[tuple[float, int]] = []
    min_rate: float | None = None
    running = ctx.tx_start is not None and t >= ctx.tx_start
    tx = _winner(ctx.tx, t, ctx.tx_start) if running else None
    tx = tx or _winner(ctx.tx_default, t, ctx.tx_start)
    cap = _winner(ctx.cp_max, t, ctx.tx_start)
    for won, is_tx in ((tx, True), (cap, False)):
        if won is None:
            continue
        profile, period = won
        n = period.number_phases or ctx.phases
        unit = profile.schedule.unit
        candidates.append((convert(period.limit, unit, ctx.unit, voltage=ctx.voltage, phases=n), n))
        mcr = profile.schedule.min_charging_rate
        if is_tx and mcr is not None:
            min_rate = ceil_tenth(convert(mcr, unit, ctx.unit, voltage=ctx.voltage, phases=n))
    if ctx.max_limit is not None:
        candidates.append((ctx.max_limit, ctx.phases))
    if not candidates:
        return None, ctx.phases, min_rate
    limit, n = min(candidates, key=lambda c: c[0])  # the first of equals: the transaction's
    return floor_tenth(limit), n, min_rate


def _changes(p: _Prepared, lo: int, hi: int, tx_start: int | None) -> Iterator[int]:
    """Every instant at which `p` may start, stop or change period (some may lie outside)."""
    if p.valid_from is not None:
        yield p.valid_from
    if p.valid_to is not None:
        yield p.valid_to
    origins: Iterable[int]
    if p.profile.kind == "Relative":
        origins = () if tx_start is None else (tx_start,)
    elif p.origin is None:
        origins = ()
    elif p.every is not None:
        first = p.origin + max(0, (lo - p.origin) // p.every) * p.every
        origins = range(first, hi, p.every)
    else:
        origins = (p.origin,)
    for o in origins:
        for s in p.starts:
            yield o + s
        if p.duration is not None:
            yield o + p.duration
