"""Properties of the composite schedule and of sharing, over generated profile sets.

The composite schedule is checked against a deliberately naive oracle written from the rules in
docs/smart-charging.md: it walks recurrences one day or week at a time with datetimes, where the
implementation uses integer seconds and modulo arithmetic.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartcharge.chargepoint.smart_charging import (
    ChargingProfile,
    Installed,
    InstalledProfile,
    Period,
    charge_point_cap,
    composite_response,
    composite_schedule,
    limit_at,
    parse_profile,
    share,
    to_ocpp,
)
from smartcharge.ocpp.schemas import validate_response

BASE = datetime(2026, 3, 28, tzinfo=UTC)  # the weekend the clocks go forward
DAY = 86400
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

offsets = st.one_of(
    st.integers(-3 * DAY, 3 * DAY),
    st.integers(-3 * 96, 3 * 96).map(lambda q: q * 900),  # quarter hours: coinciding edges
)


@st.composite
def profile_entries(draw: st.DrawFn) -> InstalledProfile:
    purpose = draw(st.sampled_from(["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"]))
    if purpose == "ChargePointMaxProfile":
        connector, kinds = 0, ["Absolute", "Recurring"]
    else:
        connector = draw(st.sampled_from([0, 1, 2] if purpose == "TxDefaultProfile" else [1, 2]))
        kinds = ["Absolute", "Recurring", "Relative"]
    kind = draw(st.sampled_from(kinds))
    recurrency = draw(st.sampled_from(["Daily", "Weekly"])) if kind == "Recurring" else None
    span = (DAY if recurrency == "Daily" else 7 * DAY) if recurrency else 2 * DAY
    n = draw(st.integers(1, 4))
    later = draw(st.sets(st.integers(1, span - 1), min_size=n - 1, max_size=n - 1))
    unit = draw(st.sampled_from(["A", "W"]))
    top = 640 if unit == "A" else 300_000  # tenths
    periods = []
    for start in [0, *sorted(later)]:
        period: dict[str, Any] = {"startPeriod": start, "limit": draw(st.integers(0, top)) / 10}
        phases = draw(st.sampled_from([None, 1, 3]))
        if phases is not None:
            period["numberPhases"] = phases
        periods.append(period)
    schedule: dict[str, Any] = {"chargingRateUnit": unit, "chargingSchedulePeriod": periods}
    if kind != "Relative":
        schedule["startSchedule"] = (BASE + timedelta(seconds=draw(offsets))).isoformat()
    if draw(st.booleans()):
        schedule["duration"] = draw(st.integers(1, span))
    if draw(st.booleans()):
        schedule["minChargingRate"] = draw(st.integers(0, 100)) / 10
    d: dict[str, Any] = {
        "chargingProfileId": draw(st.integers(1, 1000)),
        "stackLevel": draw(st.integers(0, 3)),
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": kind,
        "chargingSchedule": schedule,
    }
    if recurrency:
        d["recurrencyKind"] = recurrency
    valid_from = draw(st.one_of(st.none(), offsets))
    valid_to = draw(st.one_of(st.none(), offsets))
    if valid_from is not None and valid_to is not None and valid_to <= valid_from:
        valid_to = valid_from + 1
    if valid_from is not None:
        d["validFrom"] = (BASE + timedelta(seconds=valid_from)).isoformat()
    if valid_to is not None:
        d["validTo"] = (BASE + timedelta(seconds=valid_to)).isoformat()
    if purpose == "TxProfile":
        tx = draw(st.sampled_from([None, 7, 8]))
        if tx is not None:
            d["transactionId"] = tx
    return InstalledProfile(connector, parse_profile(d))


profile_sets = st.lists(profile_entries(), max_size=6)
transactions = st.one_of(
    st.none(),
    st.tuples(offsets.map(lambda s: BASE + timedelta(seconds=s)), st.sampled_from([7, 8])),
)


# --- the oracle ---


def naive_period(p: ChargingProfile, t: datetime, tx_start: datetime | None) -> Period | None:
    if p.valid_from is not None and t < p.valid_from:
        return None
    if p.valid_to is not None and t >= p.valid_to:
        return None
    s = p.schedule
    if p.kind == "Relative":
        origin = tx_start
    else:
        origin = s.start_schedule
        if p.kind == "Recurring" and origin is not None:
            step = timedelta(days=1 if p.recurrency == "Daily" else 7)
            while origin + step <= t:
                origin += step
    if origin is None or t < origin:
        return None
    elapsed = (t - origin).total_seconds()
    if s.duration is not None and elapsed >= s.duration:
        return None
    return [q for q in s.periods if q.start_period_s <= elapsed][-1]


def naive_limit(
    entries: list[InstalledProfile],
    connector: int,
    t: datetime,
    tx: tuple[datetime, int] | None,
) -> float | None:
    tx_start, tx_id = tx if tx else (None, None)

    def best(purpose: str, where: set[int], ok: Any = lambda p: True) -> tuple[Any, ...] | None:
        found = []
        for i, e in enumerate(entries):
            p = e.profile
            if p.purpose != purpose or e.connector_id not in where or not ok(p):
                continue
            period = naive_period(p, t, tx_start)
            if period is not None:
                found.append((p.stack_level, e.connector_id == connector, i, p, period))
        return max(found, key=lambda f: f[:3]) if found else None

    candidates = []
    tx_won = None
    if connector != 0:
        if tx_start is not None and t >= tx_start:
            tx_won = best(
                "TxProfile",
                {connector},
                lambda p: p.transaction_id is None or p.transaction_id == tx_id,
            )
        tx_won = tx_won or best("TxDefaultProfile", {0, connector})
    for won in (tx_won, best("ChargePointMaxProfile", {0})):
        if won:
            p, period = won[3], won[4]
            value = period.limit
            if p.schedule.unit == "W":
                value /= 230.0 * (period.number_phases or 3)
            candidates.append(value)
    if not candidates:
        return None
    return int(min(candidates) * 10 + 1e-6) / 10


# --- properties ---


@SETTINGS
@given(
    entries=profile_sets,
    connector=st.integers(0, 2),
    start=offsets,
    duration=st.integers(1, 3 * DAY),
    tx=transactions,
    samples=st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=8),
)
def test_composite_schedule_is_well_formed_and_agrees_with_limit_at_and_the_oracle(
    entries: list[InstalledProfile],
    connector: int,
    start: int,
    duration: int,
    tx: tuple[datetime, int] | None,
    samples: list[float],
) -> None:
    tx_start, tx_id = tx if tx else (None, None)
    begin = BASE + timedelta(seconds=start)
    s = composite_schedule(entries, connector, begin, duration, "A", tx_start, tx_id)
    starts = [p.start_period_s for p in s.periods]
    assert starts[0] == 0
    assert starts == sorted(set(starts))
    assert starts[-1] < duration
    for a, b in zip(s.periods, s.periods[1:], strict=False):
        assert (a.limit, a.number_phases) != (b.limit, b.number_phases)
    # Sample inside periods and at their edges (the first and last second of each).
    ends = [*starts[1:], duration]
    offsets_ = {int(f * duration) for f in samples} | set(starts) | {e - 1 for e in ends}
    for offset in sorted(offsets_):
        i = max(k for k, st_ in enumerate(starts) if st_ <= offset)
        when = begin + timedelta(seconds=offset)
        got = limit_at(entries, connector, when, tx_start, tx_id)
        assert got == s.periods[i].limit, offset
        assert got == naive_limit(entries, connector, when, tx), offset


@SETTINGS
@given(
    entries=profile_sets,
    connector=st.integers(0, 2),
    when=offsets,
    tx=transactions,
    cap=st.integers(0, 640).map(lambda c: c / 10),
    max_limit=st.one_of(st.none(), st.integers(60, 800).map(lambda c: c / 10)),
)
def test_never_above_a_higher_priority_cap(
    entries: list[InstalledProfile],
    connector: int,
    when: int,
    tx: tuple[datetime, int] | None,
    cap: float,
    max_limit: float | None,
) -> None:
    tx_start, tx_id = tx if tx else (None, None)
    t = BASE + timedelta(seconds=when)
    got = limit_at(entries, connector, t, tx_start, tx_id, max_limit=max_limit)
    whole = charge_point_cap(entries, t, max_limit=max_limit)
    if whole is not None:
        assert got is not None and got <= whole
    if max_limit is not None:
        assert got is not None and got <= max_limit
    # A ChargePointMaxProfile above every other stack level caps every connector at every
    # instant. (It may raise a limit: within a purpose the highest stackLevel wins outright.)
    top = parse_profile(
        {
            "chargingProfileId": 9999,
            "stackLevel": 99,
            "chargingProfilePurpose": "ChargePointMaxProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "startSchedule": "2020-01-01T00:00:00Z",
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": cap}],
            },
        }
    )
    with_top = [*entries, InstalledProfile(0, top)]
    capped = limit_at(with_top, connector, t, tx_start, tx_id, max_limit=max_limit)
    assert capped is not None and capped <= cap
    if max_limit is not None:
        assert capped <= max_limit


@settings(max_examples=60, deadline=None)
@given(entries=profile_sets, connector=st.integers(0, 2), start=offsets, unit=st.sampled_from("AW"))
def test_get_composite_schedule_responses_are_schema_valid(
    entries: list[InstalledProfile], connector: int, start: int, unit: Any
) -> None:
    s = composite_schedule(entries, connector, BASE + timedelta(seconds=start), DAY, unit)
    validate_response("GetCompositeSchedule", composite_response(s, no_limit=22080.0))


@settings(max_examples=60, deadline=None)
@given(entries=profile_sets)
def test_profiles_and_collections_round_trip(entries: list[InstalledProfile]) -> None:
    for e in entries:
        assert parse_profile(to_ocpp(e.profile)) == e.profile
    installed = Installed(entries=entries)
    assert list(Installed.loads(installed.dumps())) == entries


demands = st.dictionaries(
    st.integers(1, 6), st.integers(0, 800).map(lambda d: d / 10), min_size=1, max_size=6
)


@settings(max_examples=300, deadline=None)
@given(
    cap=st.integers(0, 1000).map(lambda c: c / 10),
    demands=demands,
    min_rates=st.dictionaries(st.integers(1, 6), st.integers(0, 400).map(lambda d: d / 10)),
)
def test_share_respects_the_cap_the_demands_and_the_pilot_minimum(
    cap: float, demands: dict[int, float], min_rates: dict[int, float]
) -> None:
    out = share(cap, demands, min_rates=min_rates)
    assert out.keys() == demands.keys()
    assert sum(out.values()) <= cap + 1e-9
    for c, got in out.items():
        assert got <= demands[c]
        assert got == 0 or got >= 6
        assert round(got * 10) == got * 10 or abs(round(got * 10) - got * 10) < 1e-6
    # Nothing wasted: if the cap gives every connector that could charge (demand >= 6 A) its
    # 6 A, one still short of its demand is short because the cap is used up (to within the
    # 0.1 A rounding of each share).
    could = [c for c in demands if demands[c] >= 6]
    short = [c for c in could if out[c] < demands[c]]
    if short and len(could) * 6 <= cap:
        assert cap - sum(out.values()) < 0.1 * len(demands) + 1e-9


@settings(max_examples=300, deadline=None)
@given(cap=st.integers(60, 1000).map(lambda c: c / 10), demands=demands)
def test_share_is_max_min_fair(cap: float, demands: dict[int, float]) -> None:
    # Without minimum rates: whoever gets less than another connector gets all it asked for
    # (to within rounding), or was left out because the cap cannot give everyone 6 A.
    out = share(cap, demands)
    served = [c for c, got in out.items() if got > 0]
    for a in served:
        for b in served:
            if out[a] < out[b] - 0.1 - 1e-9:
                assert out[a] >= demands[a] - 0.1 - 1e-9
