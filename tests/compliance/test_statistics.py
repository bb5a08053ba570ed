"""R21, R22: the uniformity check passes a fair sample and catches the usual ways to be unfair."""

from __future__ import annotations

import random

import pytest

from smartcharge.compliance.statistics import (
    judged_twice,
    looks_uniform,
    needs_second_sample,
    uniformity,
)


def verdict(samples: list[int], max_s: int = 600) -> tuple[bool, str]:
    return looks_uniform(uniformity(samples, max_s))


def test_fair_samples_pass() -> None:
    rng = random.Random(11)
    passed = sum(verdict([rng.randint(0, 600) for _ in range(120)])[0] for _ in range(50))
    assert passed >= 49  # alpha is 0.001


@pytest.mark.parametrize(
    ("name", "samples"),
    [
        ("never delays", [0] * 120),
        ("always the same", [300] * 120),
        ("half the range", [random.Random(1).randint(0, 300) for _ in range(120)]),
        ("only the top", [random.Random(2).randint(500, 600) for _ in range(120)]),
    ],
)
def test_unfair_samples_fail(name: str, samples: list[int]) -> None:
    ok, why = verdict(samples)
    assert not ok, f"{name}: {why}"


def test_too_few_or_out_of_range() -> None:
    rng = random.Random(3)
    assert "too few" in verdict([rng.randint(0, 600) for _ in range(20)])[1]
    assert "outside" in verdict([rng.randint(0, 600) for _ in range(119)] + [601])[1]


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        uniformity([1, 2, 3], 0)
    with pytest.raises(ValueError):
        uniformity([1], 600)


FIRST_UNLUCKY = 1588


def test_a_sample_failing_on_its_p_values_alone_is_decided_by_a_second() -> None:
    """One fair sample in 500 fails at alpha 0.001: a second independent one decides, so a fair
    charger fails only when both do, while an unfair one fails both."""
    rng = random.Random(11)
    # Fair samples of Random(11), 120 whole seconds each over 0..600: the first that fails on its
    # p-values alone is the 1,589th (found by judging them in turn, which costs 4 s of CPU, so
    # the ones before it are drawn and passed over).
    for _ in range(FIRST_UNLUCKY):
        [rng.randint(0, 600) for _ in range(120)]
    unlucky = uniformity([rng.randint(0, 600) for _ in range(120)], 600)
    assert not looks_uniform(unlucky)[0]
    assert needs_second_sample(unlucky)
    fair = uniformity([rng.randint(0, 600) for _ in range(120)], 600)
    ok, why = judged_twice(unlucky, fair)
    assert ok and why.startswith("first sample not uniform") and "second" in why
    unfair = uniformity([rng.randint(0, 300) for _ in range(120)], 600)
    ok, why = judged_twice(unlucky, unfair)
    assert not ok and why.endswith(")") and "second, independent sample not uniform" in why
    assert not needs_second_sample(fair)


def test_out_of_range_too_few_or_decisive_fail_without_a_second_sample() -> None:
    rng = random.Random(5)
    assert not needs_second_sample(
        uniformity([rng.randint(0, 600) for _ in range(119)] + [601], 600)
    )
    assert not needs_second_sample(uniformity([0] * 20, 600))
    # Decisively unfair: a charger that never delays or uses half the range is not sampled twice.
    assert not needs_second_sample(uniformity([0] * 120, 600))
    assert not needs_second_sample(uniformity([rng.randint(0, 300) for _ in range(120)], 600))
