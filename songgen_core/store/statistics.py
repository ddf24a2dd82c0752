"""Statistics of ratings: the mean and its 95% Student-t confidence interval."""

from __future__ import annotations

import math
import statistics
from functools import lru_cache

MIN_CORRELATION_COUNT = 8  # fewer pairs say next to nothing about a correlation


def correlation(xs: list[float], ys: list[float]) -> float | None:
    """Pearson's r of two equally long lists; None with fewer than MIN_CORRELATION_COUNT pairs or
    when either list does not vary."""
    if len(xs) != len(ys) or len(xs) < MIN_CORRELATION_COUNT:
        return None
    try:
        return statistics.correlation(xs, ys)
    except statistics.StatisticsError:  # a constant list
        return None


def summarize(scores: list[int | float]) -> dict:
    """`count`, `mean`, `stdev` and the 95% t-interval of the mean (see `aggregates`)."""
    n = len(scores)
    mean = statistics.fmean(scores) if n else None
    if n < 2:
        return {"count": n, "mean": mean, "stdev": None, "ci_low": None, "ci_high": None}
    stdev = statistics.stdev(scores)
    half = t_quantile_975(n - 1) * stdev / math.sqrt(n)
    return {"count": n, "mean": mean, "stdev": stdev, "ci_low": mean - half, "ci_high": mean + half}


@lru_cache(maxsize=512)
def t_quantile_975(df: int) -> float:
    """The 0.975 quantile of Student's t with `df` degrees of freedom.

    Exact (to 1e-12) for df ≤ 1000, by bisection on the closed-form t
    distribution for whole df (Abramowitz & Stegun 26.7.3-4); beyond, the
    Cornish-Fisher expansion around the normal quantile (error < 1e-10).
    """
    if df < 1:
        raise ValueError("df must be at least 1")
    if df > 1000:
        z = 1.959963984540054
        return (z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2)
                + (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * df ** 3))
    low, high = 0.0, 20.0 if df > 1 else 100.0
    while high - low > 1e-12:
        middle = (low + high) / 2
        if _t_central_probability(middle, df) < 0.95:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def _t_central_probability(t: float, df: int) -> float:
    """P(|T| < t) for Student's t with whole `df` (Abramowitz & Stegun 26.7.3-4)."""
    theta = math.atan(t / math.sqrt(df))
    sin, cos2 = math.sin(theta), math.cos(theta) ** 2
    if df % 2 == 1:
        total, term = 0.0, math.cos(theta)
        for k in range(1, (df - 1) // 2 + 1):
            total += term
            term *= cos2 * (2 * k) / (2 * k + 1)
        return 2 / math.pi * (theta + sin * total)
    total, term = 0.0, 1.0
    for k in range(1, df // 2 + 1):
        total += term
        term *= cos2 * (2 * k - 1) / (2 * k)
    return sin * total
