"""Comparability of a process change: is the post-change product like the pre-change product?

Two approaches users check by hand: the quality range (pre-change mean ± k·SD, and how many post-change lots
fall inside) and equivalence of means by two one-sided t-tests (TOST) with a margin of a multiple of the
pre-change SD (FDA biosimilar tier-1 practice, ±1.5σ). Both are weak with few lots, so below a minimum lot
count the result says "insufficient lots" and carries no verdict, CI or p-value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

EQUIVALENT = "equivalent"
NOT_SHOWN = "not shown"
INSUFFICIENT = "insufficient lots"
USEVARS = ("pooled", "unequal")
MIN_PRE_FOR_RANGE = 2  # an SD needs two values


@dataclass(frozen=True)
class QualityRange:
    """Pre-change mean ± k·SD and the post-change lots inside it (inclusive).

    When ``sufficient`` is False only the counts and ``min_pre`` are set: there is no SD to build a range from.
    """

    k: float
    n_pre: int
    n_post: int
    min_pre: int
    sufficient: bool
    pre_mean: float | None = None
    pre_sd: float | None = None
    low: float | None = None
    high: float | None = None
    n_inside: int | None = None
    share_inside: float | None = None  # None when there are no post-change lots
    outside: tuple[float, ...] = ()  # post-change values outside the range, in input order


@dataclass(frozen=True)
class Equivalence:
    """TOST of the difference of means (post − pre) against ±margin.

    ``verdict`` is "equivalent" when the (1 − 2α) CI lies strictly inside (−margin, +margin), "not shown"
    otherwise, and "insufficient lots" when either side has fewer than ``min_lots`` lots; then
    ``needed_pre``/``needed_post`` say how many more lots each side needs and every statistic is None.
    """

    verdict: str
    usevar: str
    alpha: float
    min_lots: int
    n_pre: int
    n_post: int
    needed_pre: int
    needed_post: int
    margin: float | None  # None only when derived from a pre-change SD that cannot be computed
    margin_factor: float | None  # None when the margin was given explicitly
    difference: float | None = None  # mean(post) − mean(pre)
    ci_low: float | None = None
    ci_high: float | None = None
    df: float | None = None
    p_lower: float | None = None  # H0: difference ≤ −margin
    p_upper: float | None = None  # H0: difference ≥ +margin
    p_value: float | None = None  # the TOST p-value: the larger of the two

    @property
    def confidence(self) -> float:
        return 1 - 2 * self.alpha


def _values(name: str, values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Results as a 1-D float array; missing or infinite values are the caller's to drop, not ours to guess."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains missing or infinite values")
    return arr


def quality_range(pre: Sequence[float] | np.ndarray, post: Sequence[float] | np.ndarray,
                  k: float = 3.0) -> QualityRange:
    """The quality range mean ± k·SD (SD with ddof=1) of the pre-change lots and the post-change lots in it."""
    pre_a, post_a = _values("pre", pre), _values("post", post)
    n_pre, n_post = len(pre_a), len(post_a)
    if n_pre < MIN_PRE_FOR_RANGE:
        return QualityRange(k=k, n_pre=n_pre, n_post=n_post, min_pre=MIN_PRE_FOR_RANGE, sufficient=False)
    mean, sd = float(pre_a.mean()), float(pre_a.std(ddof=1))
    low, high = mean - k * sd, mean + k * sd
    inside = (post_a >= low) & (post_a <= high)
    n_inside = int(inside.sum())
    return QualityRange(
        k=k, n_pre=n_pre, n_post=n_post, min_pre=MIN_PRE_FOR_RANGE, sufficient=True,
        pre_mean=mean, pre_sd=sd, low=low, high=high, n_inside=n_inside,
        share_inside=n_inside / n_post if n_post else None,
        outside=tuple(float(v) for v in post_a[~inside]))


def tost_equivalence(pre: Sequence[float] | np.ndarray, post: Sequence[float] | np.ndarray, *,
                     margin: float | None = None, margin_factor: float = 1.5, usevar: str = "pooled",
                     alpha: float = 0.05, min_lots: int = 3) -> Equivalence:
    """Equivalence of means (post − pre) by TOST with Student (pooled) or Welch (unequal) t-tests.

    The margin is ``margin`` if given, else ``margin_factor`` × the pre-change SD (ddof=1). The defaults
    match statsmodels' ``ttost_ind(post, pre, -margin, margin)``, the reference the tests check against.
    """
    if usevar not in USEVARS:
        raise ValueError(f"usevar must be one of {USEVARS}, not {usevar!r}")
    if not 0 < alpha < 0.5:
        raise ValueError("alpha must be between 0 and 0.5")
    if min_lots < 2:
        raise ValueError("min_lots must be at least 2: a t-test needs a variance on each side")
    pre_a, post_a = _values("pre", pre), _values("post", post)
    n_pre, n_post = len(pre_a), len(post_a)
    factor = None if margin is not None else margin_factor
    if margin is None and n_pre >= 2:
        margin = margin_factor * float(pre_a.std(ddof=1))
    if margin is not None and not margin > 0:
        raise ValueError(f"the equivalence margin must be positive, got {margin}")
    needed_pre, needed_post = max(0, min_lots - n_pre), max(0, min_lots - n_post)
    common = dict(usevar=usevar, alpha=alpha, min_lots=min_lots, n_pre=n_pre, n_post=n_post,
                  needed_pre=needed_pre, needed_post=needed_post, margin=margin, margin_factor=factor)
    if needed_pre or needed_post:
        return Equivalence(verdict=INSUFFICIENT, **common)

    diff = float(post_a.mean() - pre_a.mean())
    v_pre, v_post = pre_a.var(ddof=1), post_a.var(ddof=1)
    if usevar == "pooled":
        df = n_pre + n_post - 2
        pooled = ((n_pre - 1) * v_pre + (n_post - 1) * v_post) / df
        se = math.sqrt(pooled * (1 / n_pre + 1 / n_post))
    else:
        a, b = v_pre / n_pre, v_post / n_post
        se = math.sqrt(a + b)
        df = (a + b) ** 2 / (a ** 2 / (n_pre - 1) + b ** 2 / (n_post - 1))
    if se == 0:
        raise ValueError("no lot-to-lot variation on either side: the t-tests are undefined")
    # Student's t from the special functions scipy.stats.t calls (stdtr, stdtrit): the same numbers without its
    # checks of every argument, two thirds of a TOST's time (a CDMO's portfolio has 1,700 of them). Imported here,
    # not at the top: a Portfolio read from the score store never needs scipy.
    from scipy.special import stdtr, stdtrit

    half = float(stdtrit(df, 1 - alpha)) * se
    p_lower = float(stdtr(df, -(diff + margin) / se))
    p_upper = float(stdtr(df, (diff - margin) / se))
    ci_low, ci_high = diff - half, diff + half
    verdict = EQUIVALENT if -margin < ci_low and ci_high < margin else NOT_SHOWN
    return Equivalence(verdict=verdict, difference=diff, ci_low=ci_low, ci_high=ci_high, df=float(df),
                       p_lower=p_lower, p_upper=p_upper, p_value=max(p_lower, p_upper), **common)
