"""OCPP 1.6 charging profiles as typed, validated values (OCPP 1.6 sections 3.13 and 7.7-7.9).

`parse_profile` turns the camelCase dict of SetChargingProfile's `csChargingProfiles` (or
RemoteStartTransaction's `chargingProfile`) into a frozen `ChargingProfile`, and `to_ocpp` turns
it back. The JSON schema already checks types and enums; this module refuses what the schema
cannot see: periods that do not start at 0 or do not strictly increase, a Recurring profile
without its recurrencyKind or startSchedule, validTo not after validFrom, negative limits, and so
on. Each refusal is a `ProfileError` whose `reason` names the field, so the station can log it and
answer Rejected without changing anything.

Datetimes are kept aware and in UTC; the profile is otherwise exactly what the central system
sent, so `to_ocpp(parse_profile(d))` says the same thing as `d`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar, get_args

from smartcharge.ocpp.times import format_time, parse_time

Purpose = Literal["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"]
Kind = Literal["Absolute", "Recurring", "Relative"]
Recurrency = Literal["Daily", "Weekly"]
Unit = Literal["A", "W"]
_T = TypeVar("_T", bound=str)

PURPOSES: tuple[Purpose, ...] = get_args(Purpose)
KINDS: tuple[Kind, ...] = get_args(Kind)
RECURRENCIES: tuple[Recurrency, ...] = get_args(Recurrency)
UNITS: tuple[Unit, ...] = get_args(Unit)

DAY_S = 24 * 3600
WEEK_S = 7 * DAY_S
RECURRENCE_S: dict[Recurrency, int] = {"Daily": DAY_S, "Weekly": WEEK_S}
"""Length of one recurrence, in elapsed seconds (see docs/smart-charging.md: not clock time)."""


class ProfileError(ValueError):
    """A charging profile that cannot be accepted; `reason` says why and names the field."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Period:
    """One chargingSchedulePeriod: from `start_period_s` (after the schedule start) on, `limit`."""

    start_period_s: int
    limit: float
    number_phases: int | None = None


@dataclass(frozen=True, slots=True)
class ChargingSchedule:
    unit: Unit
    periods: tuple[Period, ...]
    duration: int | None = None  # seconds; None: the last period lasts until the profile ends
    start_schedule: datetime | None = None
    min_charging_rate: float | None = None


@dataclass(frozen=True, slots=True)
class ChargingProfile:
    id: int
    stack_level: int
    purpose: Purpose
    kind: Kind
    schedule: ChargingSchedule
    recurrency: Recurrency | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    transaction_id: int | None = None


def parse_profile(
    d: Mapping[str, Any], *, remote_start: bool = False, require_transaction_id: bool = False
) -> ChargingProfile:
    """The profile `d` (OCPP camelCase), checked; raise `ProfileError` if it makes no sense.

    `remote_start`: `d` came in RemoteStartTransaction, so it must be a TxProfile and must not
    name a transaction (the transaction does not exist yet). `require_transaction_id`: a
    TxProfile must name its transaction (OCPP 1.6 section 3.13.4 asks the central system to);
    by default a TxProfile without one applies to whatever transaction runs on its connector.
    """
    if not isinstance(d, Mapping):
        raise ProfileError("chargingProfile: must be an object")
    purpose = _choice(d, "chargingProfilePurpose", PURPOSES)
    kind = _choice(d, "chargingProfileKind", KINDS)
    recurrency = _opt_choice(d, "recurrencyKind", RECURRENCIES)
    stack_level = _int(d, "stackLevel")
    if stack_level < 0:
        raise ProfileError("stackLevel: must not be negative")
    transaction_id = _opt_int(d, "transactionId")
    valid_from = _time(d, "validFrom")
    valid_to = _time(d, "validTo")
    schedule = _schedule(d.get("chargingSchedule"))

    if valid_from is not None and valid_to is not None and valid_to <= valid_from:
        raise ProfileError("validTo: must be after validFrom")
    if transaction_id is not None and purpose != "TxProfile":
        raise ProfileError("transactionId: only a TxProfile may name a transaction")
    if remote_start:
        if purpose != "TxProfile":
            raise ProfileError("chargingProfilePurpose: RemoteStartTransaction needs a TxProfile")
        if transaction_id is not None:
            raise ProfileError("transactionId: must not be set in RemoteStartTransaction")
    elif require_transaction_id and purpose == "TxProfile" and transaction_id is None:
        raise ProfileError("transactionId: a TxProfile must name its transaction")
    if purpose == "ChargePointMaxProfile" and kind == "Relative":
        # Relative to what? The cap is for the whole charge point, not for one transaction.
        raise ProfileError("chargingProfileKind: a ChargePointMaxProfile cannot be Relative")
    if kind == "Absolute" and schedule.start_schedule is None:
        raise ProfileError("chargingSchedule.startSchedule: required for an Absolute profile")
    if kind == "Recurring":
        if recurrency is None:
            raise ProfileError("recurrencyKind: required for a Recurring profile")
        if schedule.start_schedule is None:
            raise ProfileError("chargingSchedule.startSchedule: required for a Recurring profile")
        length = RECURRENCE_S[recurrency]
        if schedule.duration is not None and schedule.duration > length:
            raise ProfileError(
                f"chargingSchedule.duration: longer than one {recurrency} recurrence ({length} s)"
            )
        if schedule.periods[-1].start_period_s >= length:
            raise ProfileError(
                "chargingSchedule.chargingSchedulePeriod: a period starts after one "
                f"{recurrency} recurrence ({length} s)"
            )
    return ChargingProfile(
        id=_int(d, "chargingProfileId"),
        stack_level=stack_level,
        purpose=purpose,
        kind=kind,
        schedule=schedule,
        recurrency=recurrency,
        valid_from=valid_from,
        valid_to=valid_to,
        transaction_id=transaction_id,
    )


def to_ocpp(profile: ChargingProfile) -> dict[str, Any]:
    """The profile as OCPP camelCase (the shape of SetChargingProfile's `csChargingProfiles`)."""
    s = profile.schedule
    periods: list[dict[str, Any]] = []
    for p in s.periods:
        period: dict[str, Any] = {"startPeriod": p.start_period_s, "limit": p.limit}
        if p.number_phases is not None:
            period["numberPhases"] = p.number_phases
        periods.append(period)
    schedule: dict[str, Any] = {"chargingRateUnit": s.unit, "chargingSchedulePeriod": periods}
    if s.duration is not None:
        schedule["duration"] = s.duration
    if s.start_schedule is not None:
        schedule["startSchedule"] = format_time(s.start_schedule, "auto")
    if s.min_charging_rate is not None:
        schedule["minChargingRate"] = s.min_charging_rate
    d: dict[str, Any] = {
        "chargingProfileId": profile.id,
        "stackLevel": profile.stack_level,
        "chargingProfilePurpose": profile.purpose,
        "chargingProfileKind": profile.kind,
    }
    if profile.transaction_id is not None:
        d["transactionId"] = profile.transaction_id
    if profile.recurrency is not None:
        d["recurrencyKind"] = profile.recurrency
    if profile.valid_from is not None:
        d["validFrom"] = format_time(profile.valid_from, "auto")
    if profile.valid_to is not None:
        d["validTo"] = format_time(profile.valid_to, "auto")
    d["chargingSchedule"] = schedule
    return d


# --- field readers: each names the field it refuses ---


def _schedule(d: object) -> ChargingSchedule:
    where = "chargingSchedule"
    if not isinstance(d, Mapping):
        raise ProfileError(f"{where}: required, and must be an object")
    unit = _choice(d, "chargingRateUnit", UNITS, where=where)
    duration = _opt_int(d, "duration", where=where)
    if duration is not None and duration <= 0:
        raise ProfileError(f"{where}.duration: must be positive")
    min_rate = _opt_number(d, "minChargingRate", where=where)
    if min_rate is not None and min_rate < 0:
        raise ProfileError(f"{where}.minChargingRate: must not be negative")
    raw = d.get("chargingSchedulePeriod")
    where_p = f"{where}.chargingSchedulePeriod"
    if not isinstance(raw, list | tuple) or not raw:
        raise ProfileError(f"{where_p}: needs at least one period")
    periods: list[Period] = []
    for i, item in enumerate(raw):
        at = f"{where_p}[{i}]"
        if not isinstance(item, Mapping):
            raise ProfileError(f"{at}: must be an object")
        start = _int(item, "startPeriod", where=at)
        limit = _number(item, "limit", where=at)
        phases = _opt_int(item, "numberPhases", where=at)
        if i == 0 and start != 0:
            raise ProfileError(f"{at}.startPeriod: the first period must start at 0")
        if periods and start <= periods[-1].start_period_s:
            raise ProfileError(f"{at}.startPeriod: periods must start in strictly increasing order")
        if limit < 0:
            raise ProfileError(f"{at}.limit: must not be negative")
        if phases is not None and not 1 <= phases <= 3:
            raise ProfileError(f"{at}.numberPhases: must be 1, 2 or 3")
        periods.append(Period(start, limit, phases))
    return ChargingSchedule(
        unit=unit,
        periods=tuple(periods),
        duration=duration,
        start_schedule=_time(d, "startSchedule", where=where),
        min_charging_rate=min_rate,
    )


def _name(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _int(d: Mapping[str, Any], key: str, *, where: str = "") -> int:
    v = _opt_int(d, key, where=where)
    if v is None:
        raise ProfileError(f"{_name(where, key)}: required")
    return v


def _opt_int(d: Mapping[str, Any], key: str, *, where: str = "") -> int | None:
    v = d.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int):
        raise ProfileError(f"{_name(where, key)}: must be an integer")
    return v


def _number(d: Mapping[str, Any], key: str, *, where: str = "") -> float:
    v = _opt_number(d, key, where=where)
    if v is None:
        raise ProfileError(f"{_name(where, key)}: required")
    return v


def _opt_number(d: Mapping[str, Any], key: str, *, where: str = "") -> float | None:
    v = d.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise ProfileError(f"{_name(where, key)}: must be a finite number")
    return float(v)


def _time(d: Mapping[str, Any], key: str, *, where: str = "") -> datetime | None:
    v = d.get(key)
    if v is None:
        return None
    if isinstance(v, datetime):
        when = v
    elif isinstance(v, str):
        try:
            return parse_time(v)
        except ValueError as exc:  # says which: no offset, or not a date-time at all
            raise ProfileError(f"{_name(where, key)}: {exc}") from None
    else:
        raise ProfileError(f"{_name(where, key)}: must be a date-time string")
    if when.tzinfo is None or when.utcoffset() is None:
        raise ProfileError(f"{_name(where, key)}: needs a UTC offset")
    return when.astimezone(UTC)


def _choice(d: Mapping[str, Any], key: str, allowed: tuple[_T, ...], *, where: str = "") -> _T:
    v = _opt_choice(d, key, allowed, where=where)
    if v is None:
        raise ProfileError(f"{_name(where, key)}: required")
    return v


def _opt_choice(
    d: Mapping[str, Any], key: str, allowed: tuple[_T, ...], *, where: str = ""
) -> _T | None:
    v = d.get(key)
    if v is None:
        return None
    for a in allowed:
        if v == a:
            return a
    raise ProfileError(f"{_name(where, key)}: must be one of {', '.join(allowed)}")
