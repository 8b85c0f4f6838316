#!/usr/bin/env python3
"""Writes Tests/LiTSEvaluationTests/Fixtures/compare/paired_statistics.json, the reference values
PairedStatisticsTests checks `lits evaluate --compare`'s statistics against (the test itself needs
no Python).

For each pair of vectors (reference, other) the paired differences d = other - reference get:
- wilcoxon_p: scipy.stats.wilcoxon(d) with scipy's defaults (zero_method='wilcox',
  correction=False, method='auto'), and the method 'auto' picked (exact, permutation or
  asymptotic, by scipy's own rule); null where scipy gives NaN;
- mean, bootstrap_low, bootstrap_high: the mean of d and the 95% percentile-bootstrap interval
  computed as PairedStatistics.swift documents it (SplitMix64 seeded with 27, 10,000 samples,
  index = high 64 bits of next() * n, means summed in draw order, numpy.percentile 'linear').
  scipy.stats.bootstrap uses numpy's generator, which Swift does not have; this repeats the
  documented algorithm independently so a change to either side shows.

Vectors: small and larger n, with and without ties and zero differences, all zeros, n = 1.
Run: python3 scripts/make_compare_fixture.py (scipy 1.17, numpy 2).
"""
import json
import os
import warnings

import numpy as np
import scipy
import scipy.stats

MASK = (1 << 64) - 1
SEED = 27
RESAMPLES = 10_000


def splitmix64(seed):
    state = seed
    while True:
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        yield z ^ (z >> 31)


def bootstrap(d):
    rng = splitmix64(SEED)
    n = len(d)
    means = []
    for _ in range(RESAMPLES):
        s = 0.0
        for _ in range(n):
            s += d[(next(rng) * n) >> 64]
        means.append(s / n)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def wilcoxon_method(d):
    """The method scipy's 'auto' uses (mirrors scipy/stats/_wilcoxon.py, 1.17)."""
    nonzero = [abs(x) for x in d if x != 0]
    ties = len(set(nonzero)) < len(nonzero)
    zeros = len(d) - len(nonzero)
    if len(d) > 50:
        return "asymptotic"
    if not (ties or zeros):
        return "exact"
    return "permutation" if len(d) <= 13 else "asymptotic"


def case(name, reference, other):
    reference = [float(x) for x in reference]
    other = [float(x) for x in other]
    d = [o - r for r, o in zip(reference, other)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all zeros, n > 13: scipy divides 0 by 0
        p = float(scipy.stats.wilcoxon(d).pvalue)
    low, high = bootstrap(d)
    s = 0.0
    for x in d:
        s += x
    return {
        "name": name, "reference": reference, "other": other,
        "wilcoxon_p": None if np.isnan(p) else p, "method": wilcoxon_method(d),
        "mean": s / len(d), "bootstrap_low": low, "bootstrap_high": high,
    }


def main():
    rng = np.random.default_rng(20261207)

    def dice(n, shift, spread=0.05):
        a = rng.uniform(0.6, 0.95, n)
        b = np.clip(a + shift + rng.normal(0, spread, n), 0, 1)
        return a, b

    cases = []
    for n in (5, 8, 10, 20, 50):
        a, b = dice(n, 0.02)
        cases.append(case(f"no ties n={n}", a, b))
    for n in (51, 131):
        a, b = dice(n, 0.01)
        cases.append(case(f"normal approximation n={n}", a, b))
    # Exact binary fractions, so the differences tie exactly.
    cases.append(case("ties n=10", [0.5] * 10, [0.75, 0.25, 0.75, 0.625, 0.75, 0.375, 1.0, 0.75, 0.25, 0.625]))
    cases.append(case("zeros n=6", [0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [0.5, 0.625, 0.75, 0.5, 0.875, 0.4375]))
    cases.append(case("ties and zeros n=13", [0.5] * 13,
                      [0.5, 0.75, 0.75, 0.25, 0.625, 0.625, 0.5, 0.875, 1.0, 0.375, 0.75, 0.5625, 0.6875]))
    cases.append(case("ties n=14", [0.5] * 14,
                      [0.75, 0.75, 0.25, 0.625, 0.625, 0.875, 1.0, 0.375, 0.75, 0.5625, 0.6875, 0.25, 0.8125, 0.9375]))
    a, b = dice(30, 0.03)
    b[:7] = a[:7]  # seven unchanged cases
    cases.append(case("zeros n=30", a, b))
    a, b = dice(60, 0.0)
    b[::3] = np.round(b[::3] * 8) / 8
    a[::3] = np.round(a[::3] * 8) / 8
    cases.append(case("ties and zeros n=60", a, b))
    cases.append(case("all zeros n=5", [0.9] * 5, [0.9] * 5))
    cases.append(case("all zeros n=20", [0.9] * 20, [0.9] * 20))
    cases.append(case("n=1", [0.8], [0.9]))
    cases.append(case("n=2 negative", [0.8, 0.7], [0.6, 0.65]))

    out = os.path.join(os.path.dirname(__file__), "..", "Tests", "LiTSEvaluationTests", "Fixtures", "compare")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "paired_statistics.json")
    with open(path, "w") as f:
        json.dump({"scipy": scipy.__version__, "seed": SEED, "resamples": RESAMPLES, "cases": cases}, f, indent=1)
        f.write("\n")
    print(path)


if __name__ == "__main__":
    main()
