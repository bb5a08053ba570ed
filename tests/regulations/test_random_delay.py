"""R21-R26: the randomised delay: its range, its source, its distribution, when it applies."""

from __future__ import annotations

import math
import random
import secrets
from collections import Counter
from statistics import NormalDist

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcharge.regulations import (
    DEFAULT_MAX_S,
    MAX_ALLOWED_S,
    Cause,
    RandomDelay,
    RateChange,
    applies,
    delay_for,
    validate_max,
)

ALPHA = 0.001  # a deterministic seeded test: a tight alpha costs nothing and catches real bias


def chi_squared_critical(df: int, alpha: float) -> float:
    """Upper critical value of chi-squared(df) by the Wilson-Hilferty cube approximation.

    (X/df)^(1/3) is close to normal with mean 1 - 2/(9 df) and variance 2/(9 df); accurate to
    well under 1% for df in the hundreds.
    """
    z = NormalDist().inv_cdf(1 - alpha)
    v = 2 / (9 * df)
    return float(df * (1 - v + z * math.sqrt(v)) ** 3)


def chi_squared_uniform(draws: list[int], max_s: int) -> float:
    counts = Counter(draws)
    expected = len(draws) / (max_s + 1)
    return sum((counts.get(k, 0) - expected) ** 2 / expected for k in range(max_s + 1))


def test_chi_squared_critical_value_is_right() -> None:
    # Known table values: chi2(0.999; 100) = 149.45, chi2(0.95; 10) = 18.31.
    assert chi_squared_critical(100, 0.001) == pytest.approx(149.45, rel=0.005)
    assert chi_squared_critical(10, 0.05) == pytest.approx(18.31, rel=0.005)


def test_R21_R22_limits() -> None:
    assert MAX_ALLOWED_S == 1800
    assert DEFAULT_MAX_S == 600
    assert RandomDelay().max_s == 600


@pytest.mark.parametrize("value", [0, 1, 600, 1800])
def test_R23_valid_maximum_accepted(value: int) -> None:
    assert validate_max(value) == value
    assert RandomDelay(value).max_s == value


@pytest.mark.parametrize("value", [-1, 1801, 10**6, 600.0, True, "600", None])
def test_R23_invalid_maximum_rejected(value: object) -> None:
    with pytest.raises(ValueError, match="random delay maximum"):
        validate_max(value)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        RandomDelay(value)  # type: ignore[arg-type]


def test_R22_default_source_is_a_csprng() -> None:
    delay = RandomDelay(600)
    assert isinstance(delay.rng, secrets.SystemRandom)
    assert all(0 <= delay.draw() <= 600 for _ in range(200))


def test_R22_draws_never_touch_the_global_generator(monkeypatch: pytest.MonkeyPatch) -> None:
    state = random.getstate()
    for name in ("randint", "random", "randrange", "getrandbits"):
        monkeypatch.setattr(random, name, _forbidden)
    RandomDelay(600).draw()
    RandomDelay(600, random.Random(1)).draw()
    monkeypatch.undo()
    assert random.getstate() == state


def _forbidden(*args: object) -> object:
    raise AssertionError("the global random generator was used")


def test_R22_seeded_source_is_reproducible() -> None:
    a = RandomDelay(1800, random.Random(42))
    b = RandomDelay(1800, random.Random(42))
    assert [a.draw() for _ in range(50)] == [b.draw() for _ in range(50)]


@pytest.mark.parametrize("max_s", [600, 1800])
def test_R21_R22_ten_thousand_draws_are_whole_seconds_uniform(max_s: int) -> None:
    delay = RandomDelay(max_s, random.Random(20260329))
    draws = [delay.draw() for _ in range(10_000)]
    assert all(type(d) is int and 0 <= d <= max_s for d in draws)
    statistic = chi_squared_uniform(draws, max_s)
    assert statistic < chi_squared_critical(max_s, ALPHA), statistic


def test_R22_the_uniformity_check_catches_a_biased_source() -> None:
    """The check above can fail: a modulo-biased draw (a classic mistake) is rejected."""
    rng = random.Random(20260329)
    draws = [rng.getrandbits(10) % 601 for _ in range(10_000)]  # 0..422 twice as likely
    assert chi_squared_uniform(draws, 600) > chi_squared_critical(600, ALPHA)
    # An off-by-one (never drawing the max) is too small for chi-squared at 10,000 draws; the
    # both-ends test below is what catches it.
    rng = random.Random(20260329)
    draws = [rng.randint(0, 599) for _ in range(20_000)]
    assert chi_squared_uniform(draws, 600) < chi_squared_critical(600, ALPHA)
    assert 600 not in draws


@pytest.mark.parametrize(("max_s", "n"), [(600, 20_000), (1800, 60_000)])
def test_R21_both_ends_are_reached(max_s: int, n: int) -> None:
    # P(an end is never drawn) = (max/(max+1))^n < 1e-14 for both cases.
    delay = RandomDelay(max_s, random.Random(7))
    seen = {delay.draw() for _ in range(n)}
    assert 0 in seen and max_s in seen
    assert min(seen) == 0 and max(seen) == max_s


class _NeverCalled(random.Random):
    def randint(self, a: int, b: int) -> int:
        raise AssertionError("a zero maximum must not draw")


def test_R23_zero_maximum_means_no_delay() -> None:
    delay = RandomDelay(0, _NeverCalled())
    assert {delay.draw() for _ in range(1000)} == {0}
    assert {RandomDelay(0).draw() for _ in range(100)} == {0}


def test_R23_maximum_raised_to_1800_and_lowered_to_0() -> None:
    delay = RandomDelay(600, random.Random(3))
    raised = delay.with_max(1800)
    assert raised.max_s == 1800 and raised.rng is delay.rng
    assert max(raised.draw() for _ in range(20_000)) > 600
    lowered = raised.with_max(0)
    assert {lowered.draw() for _ in range(100)} == {0}
    with pytest.raises(ValueError):
        delay.with_max(1801)


def test_cause_values_are_exactly_the_design_list() -> None:
    assert {c.value for c in Cause} == {
        "owner_override",
        "end_user_override",
        "dsr",
        "default_hours",
        "user_schedule",
        "tariff",
        "csms_profile",
        "plug_in",
        "power_restore",
        "load_balancing",
    }
    assert Cause("tariff") is Cause.TARIFF and Cause.TARIFF == "tariff"


# --- applies(): R24, R25, R26 -------------------------------------------------------------------


def change(old: float, new: float, cause: str = "default_hours", **kw: object) -> RateChange:
    return RateChange(old, new, Cause(cause), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "c",
    [
        change(0, 16),  # start of flow
        change(16, 0),  # stop
        change(10, 16),  # increase
        change(16, 10),  # decrease
        change(0, 16, "plug_in"),
        change(0, 16, "power_restore"),
        change(16, 32, "user_schedule"),
        change(32, 6, "csms_profile"),
        change(32, 16, "load_balancing"),
        change(16, 16.1),
        change(0, 0.1),
    ],
)
def test_R24_relevant_times_are_delayed(c: RateChange) -> None:
    assert applies(c)
    assert delay_for(c).rule == "R24"


def test_R24_plug_in_without_charging_allowed_is_not_a_relevant_time() -> None:
    assert not applies(change(0, 0, "plug_in"))


@pytest.mark.parametrize("c", [change(16, 16.05), change(0, 0.09), change(16, 15.95, "tariff")])
def test_R24_changes_below_a_tenth_of_an_amp_are_noise(c: RateChange) -> None:
    assert not applies(c)
    assert "noise" in delay_for(c).reason


def test_R26_tariff_change_is_not_dsr_and_is_delayed() -> None:
    assert applies(change(16, 6, "tariff"))
    assert applies(change(0, 32, "tariff"))


def test_R26_scheduled_dsr_is_delayed() -> None:
    assert applies(change(32, 6, "dsr", dsr_kind="scheduled"))


def test_R26_scheduled_dsr_already_randomised_is_not_delayed() -> None:
    decision = delay_for(change(32, 6, "dsr", dsr_kind="scheduled", already_randomised=True))
    assert not decision.applies and decision.rule == "R26"


def test_R26_response_dsr_is_never_delayed() -> None:
    assert not applies(change(32, 0, "dsr", dsr_kind="response"))
    assert not applies(change(0, 32, "dsr", dsr_kind="response"))


@pytest.mark.parametrize("cause", ["owner_override", "end_user_override"])
def test_R26_owner_or_end_user_override_is_not_delayed(cause: str) -> None:
    assert not applies(change(0, 32, cause))


def test_R26_already_randomised_profile_is_not_delayed() -> None:
    assert not applies(change(0, 16, "csms_profile", already_randomised=True))


def test_R25_owner_skipped_the_delay() -> None:
    decision = delay_for(change(0, 16, "default_hours", delay_overridden=True))
    assert not decision.applies and decision.rule == "R25"


@given(
    old=st.floats(0, 80),
    new=st.floats(0, 80),
    cause=st.sampled_from(list(Cause)),
    already=st.booleans(),
    overridden=st.booleans(),
    kind=st.sampled_from(["response", "scheduled"]),
)
def test_R24_R26_applies_is_exactly_the_rule(
    old: float, new: float, cause: Cause, already: bool, overridden: bool, kind: str
) -> None:
    dsr_kind = kind if cause is Cause.DSR else None
    c = RateChange(old, new, cause, already, dsr_kind, overridden)  # type: ignore[arg-type]
    exempt = (
        cause in (Cause.OWNER_OVERRIDE, Cause.END_USER_OVERRIDE)
        or overridden
        or already
        or (cause is Cause.DSR and kind == "response")
    )
    assert applies(c) is (abs(new - old) >= 0.1 and not exempt)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"old_a": math.nan, "new_a": 6}, "finite"),
        ({"old_a": 0, "new_a": -1}, "not negative"),
        ({"old_a": 0, "new_a": math.inf}, "finite"),
        ({"old_a": "6", "new_a": 6}, "number of amps"),
        ({"old_a": 0, "new_a": 6, "cause": "weather"}, "unknown cause"),
        ({"old_a": 0, "new_a": 6, "cause": "dsr"}, "needs dsr_kind"),
        ({"old_a": 0, "new_a": 6, "cause": "dsr", "dsr_kind": "soon"}, "needs dsr_kind"),
        ({"old_a": 0, "new_a": 6, "cause": "tariff", "dsr_kind": "response"}, "only for DSR"),
    ],
)
def test_R8_bad_rate_change_is_rejected(kw: dict[str, object], message: str) -> None:
    kw.setdefault("cause", "default_hours")
    with pytest.raises(ValueError, match=message):
        RateChange(**kw)  # type: ignore[arg-type]


def test_rate_change_takes_a_cause_string() -> None:
    c = RateChange(0, 16, "plug_in")  # type: ignore[arg-type]
    assert c.cause is Cause.PLUG_IN
