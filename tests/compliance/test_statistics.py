"""R21, R22: the uniformity check passes a fair sample and catches the usual ways to be unfair."""

from __future__ import annotations

import random

import pytest

from smartcharge.compliance.statistics import looks_uniform, uniformity


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
