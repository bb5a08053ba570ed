"""Is a sample of random delays uniform over the whole seconds 0..max (R21, R22)?

Two tests against the discrete uniform distribution, both from SciPy: chi-squared over equal-width
bins of the integers, and Kolmogorov-Smirnov against the discrete CDF (conservative for a
discrete law, so it only fails a clearly skewed sample). A sample passes when both p-values are
at least `ALPHA`: with 0.001 a fair charger's sample fails about one time in 500, while a charger
that never delays, always draws the same value or only uses part of the range fails every time.

One in 500 is too often for a verdict the suite gives in many runs (every broken-charger run that
samples the delay): a sample that fails on the p-values alone is followed by a second,
independent sample of the same size (`needs_second_sample`), and the charger fails only when
that one fails too (`judged_twice`). A fair charger then fails about one run in 250,000; a
clearly unfair one fails both samples. A delay outside the range, too few samples, or a p-value
under `DECISIVE` (a fair charger's sample: about one in 500 million) fails at once: no second
sample could undo that, so a charger that never delays is not sampled twice.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

ALPHA = 0.001
DECISIVE = 1e-9
MIN_SAMPLES = 50
BINS = 10


def load() -> None:
    """Import SciPy's tests now. A run that judges a sample calls this before it starts any
    charger: SciPy's first import opens large shared libraries while holding the interpreter,
    and in the middle of a run on a busy machine it once held the suite's event loop for 19 s,
    so every charger's frames waited unanswered (its MeterValues timed out) and a scenario ran
    out of time. Before the chargers start, that wait costs no verdict."""
    from scipy import stats  # noqa: F401


def uniformity(samples: Sequence[float], max_s: int) -> dict[str, float]:
    """Summary and test statistics of `samples` against uniform over 0..max_s inclusive."""
    if max_s < 1:
        raise ValueError("max_s must be at least 1 for a uniformity test")
    if len(samples) < 2:
        raise ValueError("at least two samples are needed")
    # SciPy costs most of a second of CPU to import: only the suite runs that judge a sample of
    # delays pay for it (a broken-charger run of a few scenarios often does not), at their
    # start (`load`).
    from scipy import stats

    x = np.asarray(samples, dtype=float)
    k = min(BINS, max_s + 1)
    edges = np.linspace(0, max_s + 1, k + 1)
    # Integers per bin, so bins of unequal integer width get their fair share.
    width = np.diff(np.ceil(edges))
    observed, _ = np.histogram(x, bins=np.ceil(edges))
    expected = width / width.sum() * len(x)
    chi2 = stats.chisquare(observed, expected)
    ks = stats.kstest(x, stats.randint(0, max_s + 1).cdf)
    return {
        "n": float(len(x)),
        "max_s": float(max_s),
        "min": float(x.min()),
        "max": float(x.max()),
        "mean": float(x.mean()),
        "expected_mean": max_s / 2,
        "distinct": float(len(set(x.tolist()))),
        "chi2_bins": float(k),
        "chi2_statistic": float(chi2.statistic),
        "chi2_p": float(chi2.pvalue),
        "ks_statistic": float(ks.statistic),
        "ks_p": float(ks.pvalue),
    }


def looks_uniform(summary: dict[str, float]) -> tuple[bool, str]:
    """The verdict on a `uniformity` summary, with the figures that decided it."""
    text = (
        f"n={summary['n']:.0f}, mean {summary['mean']:.1f} s"
        f" (expected {summary['expected_mean']:.1f}),"
        f" chi-squared p={summary['chi2_p']:.3g}, KS p={summary['ks_p']:.3g}"
    )
    if summary["n"] < MIN_SAMPLES:
        return False, f"too few samples ({text}; at least {MIN_SAMPLES} needed)"
    if summary["min"] < 0 or summary["max"] > summary["max_s"]:
        return False, f"a delay outside 0..{summary['max_s']:.0f} s ({text})"
    if summary["chi2_p"] < ALPHA or summary["ks_p"] < ALPHA:
        return False, f"not uniform at alpha={ALPHA} ({text})"
    return True, f"uniform at alpha={ALPHA} ({text})"


def needs_second_sample(summary: dict[str, float]) -> bool:
    """Whether a sample failed on its p-values alone, and not decisively (in range, enough of
    it, no p-value under `DECISIVE`): then a second, independent sample decides (see the
    module)."""
    ok, _ = looks_uniform(summary)
    in_range = summary["min"] >= 0 and summary["max"] <= summary["max_s"]
    decisive = min(summary["chi2_p"], summary["ks_p"]) < DECISIVE
    return not ok and in_range and summary["n"] >= MIN_SAMPLES and not decisive


def judged_twice(first: dict[str, float], second: dict[str, float]) -> tuple[bool, str]:
    """The verdict when the first sample failed on its p-values and a second was drawn: it
    stands or falls with the second, and the words give both."""
    _, first_words = looks_uniform(first)
    ok, second_words = looks_uniform(second)
    return ok, f"first sample {first_words}; a second, independent sample {second_words}"
