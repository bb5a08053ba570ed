"""Sharing a site's supply (issue 14 item 5, the pure decision): priorities, fair shares, the
6 A minimum or a pause, phases, offline reserves, ramp-up; and the property that no phase of
the site is ever over its limit at any instant, with decreases applied at once and increases
landing after random delays (R24-R26), over sequences of load changes."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from smartcharge.platform.services.site_balancing import (
    EPSILON,
    PHASES,
    Point,
    Site,
    allocate,
    follow,
    phase_load,
    plan,
)

THREE = frozenset(PHASES)


def test_fair_shares_with_a_minimum_or_a_pause() -> None:
    site = Site(limit_a=(32.0, 32.0, 32.0))
    points = [Point(f"CP-{i}/1") for i in range(4)]
    assert allocate(site, points) == {f"CP-{i}/1": 8.0 for i in range(4)}
    # Six cars on 32 A: 5.33 A each is below the minimum, so one is paused and five get 6.4 A.
    six = [Point(f"CP-{i}/1") for i in range(6)]
    shares = allocate(site, six)
    assert sorted(shares.values()) == [0.0] + [6.4] * 5


def test_priorities_phases_and_maximums() -> None:
    site = Site(limit_a=(40.0, 20.0, 20.0), other_load_a=(4.0, 0.0, 0.0))
    points = [
        Point("FLEET/1", priority=1, max_a=16.0),  # three-phase, served first
        Point("HOME/1", phases=frozenset({0}), max_a=32.0),  # single-phase on L1
        Point("GUEST/1", max_a=32.0),
    ]
    shares = allocate(site, points)
    assert shares["FLEET/1"] == 16.0
    # L2/L3 have 4 A left after the fleet: too little for GUEST (paused); HOME takes the 20 A
    # left on L1 (40 - 4 of other load - 16 of the fleet).
    assert shares["GUEST/1"] == 0.0
    assert shares["HOME/1"] == 20.0
    load = phase_load(site, points, shares)
    assert all(load[p] <= site.limit_a[p] + EPSILON for p in PHASES)


def test_offline_points_keep_their_reserve_and_decreases_come_first() -> None:
    site = Site(limit_a=(32.0, 32.0, 32.0), ramp_step_a=4.0)
    points = [Point("A/1"), Point("B/1"), Point("C/1", online=False, reserve_a=10.0)]
    before = {"A/1": 6.0, "B/1": 16.0, "C/1": 10.0}
    step = plan(site, points, before)
    assert step.decreases == {"B/1": 11.0}  # at once
    assert step.increases == {"A/1": 10.0}  # ramped: +4 A, the rest next time
    assert step.targets["C/1"] == 10.0


def test_headroom_a_car_leaves_goes_to_the_others_with_a_margin() -> None:
    site = Site(limit_a=(32.0, 32.0, 32.0), ramp_step_a=32.0)
    before = {"A/1": 16.0, "B/1": 16.0}
    # A's car draws 6 A of the 16 offered: A is cut to 6 + 2 A (at once), B may have the rest.
    light = [Point("A/1", drawn_a=6.0, offered_a=16.0), Point("B/1")]
    step = plan(site, light, before)
    assert step.decreases == {"A/1": 8.0} and step.increases == {"B/1": 24.0}
    # Steady inside the margin: A keeps its 8 A (no swing), B its 24.
    steady = [Point("A/1", drawn_a=6.5, offered_a=8.0), Point("B/1")]
    assert plan(site, steady, step.targets).targets == {"A/1": 8.0, "B/1": 24.0}
    # A's car rises to its limit: shared for again, B cut first.
    rising = [Point("A/1", drawn_a=7.5, offered_a=8.0), Point("B/1")]
    again = plan(site, rising, step.targets)
    assert again.decreases == {"B/1": 16.0} and again.increases == {"A/1": 16.0}
    # Never below the minimum a car charges at, never above the charger's own maximum; nothing
    # measured (or no offer reported): counted at its limit as before.
    assert follow(Point("C/1", drawn_a=0.5, offered_a=16.0), 16.0).max_a == 6.0
    assert follow(Point("C/1", max_a=10.0, drawn_a=9.5, offered_a=16.0), 10.0).max_a == 10.0
    assert follow(Point("C/1", drawn_a=3.0), 16.0).max_a == 32.0


point = st.builds(
    Point,
    key=st.sampled_from([f"CP-{i}/1" for i in range(8)]),
    phases=st.sampled_from([THREE, frozenset({0}), frozenset({1}), frozenset({2})]),
    max_a=st.sampled_from([6.0, 10.0, 16.0, 32.0]),
    priority=st.integers(0, 2),
)
load = st.tuples(*(st.floats(0.0, 60.0, allow_nan=False) for _ in PHASES))
change = st.tuples(
    load,  # the site's other load from now on
    st.lists(st.booleans(), min_size=8, max_size=8),  # which points want current
    st.lists(st.booleans(), min_size=8, max_size=8),  # which are offline
    st.lists(st.floats(0.0, 250.0), min_size=8, max_size=8),  # each increase's delay (s)
    st.lists(st.none() | st.floats(0.0, 40.0), min_size=8, max_size=8),  # measured draw
)


@settings(max_examples=300, deadline=None)
@given(
    points=st.lists(point, min_size=1, max_size=8, unique_by=lambda p: p.key),
    limit=st.tuples(*(st.sampled_from([40.0, 63.0, 80.0, 100.0]) for _ in PHASES)),
    changes=st.lists(change, min_size=1, max_size=6),
    step=st.sampled_from([2.0, 4.0, 32.0]),
)
def test_no_phase_is_ever_over_its_limit_delays_included(
    points: list[Point],
    limit: tuple[float, float, float],
    changes: list[
        tuple[tuple[float, float, float], list[bool], list[bool], list[float], list[float | None]]
    ],
    step: float,
) -> None:
    """Every 100 s the site's other load changes and the platform plans again from what it last
    gave, with what each point is measured drawing (anything up to what it holds; a car rises
    to its limit at any time, so the check counts every point at its limit). Decreases apply at
    once, increases after their random delay (up to 250 s, so past the next plan; a newer change
    to a point replaces its pending one). At every instant something changes, every phase
    carries at most its limit."""
    given_a: dict[str, float] = {}  # what the platform last gave each point
    drawn: dict[str, float] = {}  # what each point draws now
    pending: dict[str, tuple[float, float]] = {}  # key -> (when, value) of a delayed increase
    now, site = 0.0, Site(limit_a=limit, ramp_step_a=step)
    for other, wants, offline, delays, measured in changes:
        # Pending increases that land before this plan is made.
        now = _advance(now, now + 100.0, pending, drawn, site, points)
        site = Site(limit_a=limit, other_load_a=other, ramp_step_a=step)
        current = [
            Point(
                p.key,
                p.phases,
                p.max_a,
                priority=p.priority,
                wants=wants[i],
                online=not offline[i],
                reserve_a=max(given_a.get(p.key, 0.0), site.fallback_a) if offline[i] else 0.0,
                drawn_a=_under(measured[i], drawn.get(p.key, 0.0)),
                offered_a=drawn.get(p.key, 0.0),
            )
            for i, p in enumerate(points)
        ]
        away = [p for p in current if not p.online]
        reserved = phase_load(site, away, {p.key: p.reserve_a for p in away})
        assume(all(reserved[ph] <= limit[ph] + EPSILON for ph in PHASES))
        new = plan(site, current, given_a)
        for key, value in new.decreases.items():  # at once, and first
            drawn[key] = value
            pending.pop(key, None)
        for i, p in enumerate(current):
            if p.key in new.increases:
                pending[p.key] = (now + delays[i], new.increases[p.key])
        given_a.update({k: v for k, v in new.targets.items() if current_online(current, k)})
        _check(site, points, drawn)
    _advance(now, now + 1000.0, pending, drawn, site, points)


def _under(measured: float | None, held: float) -> float | None:
    """A meter reading of a point holding `held`: never more than its limit."""
    return None if measured is None else min(measured, held)


def current_online(points: list[Point], key: str) -> bool:
    return next(p.online for p in points if p.key == key)


def _advance(
    now: float,
    until: float,
    pending: dict[str, tuple[float, float]],
    drawn: dict[str, float],
    site: Site,
    points: list[Point],
) -> float:
    for key, (when, value) in sorted(pending.items(), key=lambda kv: kv[1][0]):
        if when <= until:
            drawn[key] = value
            del pending[key]
            _check(site, points, drawn)
    return until


def _check(site: Site, points: list[Point], drawn: dict[str, float]) -> None:
    load = phase_load(site, points, drawn)
    for ph in PHASES:
        assert load[ph] <= site.limit_a[ph] + 1e-6, (ph, load, site, drawn)


@settings(max_examples=300, deadline=None)
@given(
    points=st.lists(point, min_size=1, max_size=8, unique_by=lambda p: p.key),
    limit=st.tuples(*(st.sampled_from([20.0, 40.0, 63.0, 100.0]) for _ in PHASES)),
    other=load,
)
def test_each_chargers_phases_priority_and_maximum_are_honoured(
    points: list[Point], limit: tuple[float, float, float], other: tuple[float, float, float]
) -> None:
    """Per charger: its share is 0 (paused) or between 6 A and its own maximum; one held below
    its maximum has a phase full to which no lower priority gets anything; two alike
    (priority, phases, maximum) that both charge get the same."""
    household = (min(other[0], limit[0]), min(other[1], limit[1]), min(other[2], limit[2]))
    site = Site(limit_a=limit, other_load_a=household)
    shares = allocate(site, points)
    load = phase_load(site, points, shares)
    for p in points:
        got = shares[p.key]
        assert got == 0.0 or p.min_a - EPSILON <= got <= p.max_a + EPSILON, (p, got)
        if 0 < got < p.max_a - 1e-6:
            full = [ph for ph in p.phases if load[ph] >= site.limit_a[ph] - 1e-6]
            below = [q for q in points if q.priority < p.priority]
            assert any(all(shares[q.key] == 0 for q in below if ph in q.phases) for ph in full), (
                p,
                shares,
                load,
            )
        for q in points:
            alike = (q.priority, q.phases, q.max_a) == (p.priority, p.phases, p.max_a)
            if alike and got > 0 and shares[q.key] > 0:
                assert abs(got - shares[q.key]) < 1e-6, (p, q, shares)
    for ph in PHASES:
        assert load[ph] <= site.limit_a[ph] + 1e-6


def test_a_chargers_connectors_share_its_maximum_a_car_each() -> None:
    def twin(connector: int, wants: bool = True) -> Point:
        return Point(f"TWIN/{connector}", wants=wants, group="TWIN", group_max_a=32.0)

    site = Site(limit_a=(48.0, 48.0, 48.0))
    one_car = [twin(1), twin(2, wants=False), Point("SOLO/1")]
    assert allocate(site, one_car) == {"TWIN/1": 24.0, "TWIN/2": 0.0, "SOLO/1": 24.0}
    two_cars = [twin(1), twin(2), Point("SOLO/1")]
    assert allocate(site, two_cars) == {"TWIN/1": 16.0, "TWIN/2": 16.0, "SOLO/1": 16.0}
    # The charger's maximum holds its connectors together: the rest goes to the others.
    roomy = Site(limit_a=(80.0, 80.0, 80.0))
    assert allocate(roomy, two_cars) == {"TWIN/1": 16.0, "TWIN/2": 16.0, "SOLO/1": 32.0}
