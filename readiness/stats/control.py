"""Process control of one result per lot: individuals and moving-range (I-MR) limits, Nelson's run rules, Ppk.

Limits come from a frozen baseline (the first lots), or from fixed approved limits, never from all the data:
a new lot must not move the limits it is judged against. With too few lots a result carries a plain reason
instead of a number, because an SD from a handful of lots is too unreliable to put in front of a decision.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd
from scipy import stats

D2 = 1.128  # d2 for moving ranges of two: sigma = MR-bar / d2
D4 = 3.267  # D4 for moving ranges of two: MR chart UCL = D4 · MR-bar

NELSON_RULES = (1, 2, 3, 4, 5, 6, 7, 8)
WESTERN_ELECTRIC = (1, 2, 5, 6)  # beyond 3σ; a run on one side; 2 of 3 beyond 2σ; 4 of 5 beyond 1σ

# Nelson's (1984) defaults. Western Electric's own run rule is 8 in a row on one side: params={2: {"run": 8}}.
DEFAULT_PARAMS: Mapping[int, Mapping[str, float]] = MappingProxyType({
    1: MappingProxyType({"sigmas": 3.0}),  # one point beyond
    2: MappingProxyType({"run": 9}),  # in a row on one side of the centre
    3: MappingProxyType({"run": 6}),  # in a row steadily increasing or decreasing
    4: MappingProxyType({"run": 14}),  # in a row alternating up and down
    5: MappingProxyType({"count": 2, "window": 3, "sigmas": 2.0}),  # count of window beyond, same side
    6: MappingProxyType({"count": 4, "window": 5, "sigmas": 1.0}),  # count of window beyond, same side
    7: MappingProxyType({"run": 15, "sigmas": 1.0}),  # in a row within, either side
    8: MappingProxyType({"run": 8, "sigmas": 1.0}),  # in a row beyond, either side
})
_MIN_RUN = {2: 1, 3: 2, 4: 3, 7: 1, 8: 1}  # a trend needs two points, an alternation three

BASELINE = "baseline"
FIXED = "fixed"


def _not_enough(n: int, need: int) -> str:
    return f"not enough lots (n = {n}, need {need})"


def _values(values: Sequence[float] | np.ndarray | pd.Series) -> np.ndarray:
    """Results as a 1-D float array; missing or infinite values are the caller's to drop, not ours to guess."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError("values must be one-dimensional")
    if not np.isfinite(arr).all():
        raise ValueError("values contain missing or infinite results")
    return arr


@dataclass(frozen=True)
class IMRLimits:
    """I-MR limits and where they come from.

    ``n`` is the number of lots the limits were computed from (0 for fixed limits). When ``reason`` is set
    (too few lots, or no variation) every limit is None.
    """

    source: str  # "baseline" or "fixed"
    n: int
    baseline_n: int
    min_n: int
    provisional: bool  # computed from fewer than baseline_n lots
    centre: float | None = None
    sigma: float | None = None
    lcl: float | None = None
    ucl: float | None = None
    mr_bar: float | None = None
    mr_lcl: float | None = None
    mr_ucl: float | None = None
    reason: str | None = None

    @property
    def sufficient(self) -> bool:
        return self.reason is None


def imr_limits(values: Sequence[float] | np.ndarray | pd.Series, baseline_n: int = 20, min_n: int = 5, *,
               fixed: tuple[float, float, float] | None = None) -> IMRLimits:
    """I-MR limits from the first ``baseline_n`` values only, so later lots never move them.

    Centre = baseline mean, sigma = MR-bar / 1.128, I chart centre ± 3·sigma, MR chart 0 to 3.267·MR-bar.
    Fewer than ``baseline_n`` lots give provisional limits; fewer than ``min_n`` give none. ``fixed`` =
    (centre, lower, upper) approved limits win over the data: sigma = (upper − lower) / 6 and MR-bar = 1.128·sigma.
    """
    if not 2 <= min_n <= baseline_n:
        raise ValueError("need 2 <= min_n <= baseline_n: a moving range needs two lots")
    arr = _values(values)
    if fixed is not None:
        centre, lower, upper = (float(v) for v in fixed)
        if not lower < centre < upper or not math.isclose(centre - lower, upper - centre):
            raise ValueError("fixed limits must be (centre, lower, upper) with the centre midway between them")
        sigma = (upper - lower) / 6
        return IMRLimits(source=FIXED, n=0, baseline_n=baseline_n, min_n=min_n, provisional=False,
                         centre=centre, sigma=sigma, lcl=lower, ucl=upper, mr_bar=D2 * sigma, mr_lcl=0.0,
                         mr_ucl=D4 * D2 * sigma)
    base = arr[:baseline_n]
    n = len(base)
    common = dict(source=BASELINE, n=n, baseline_n=baseline_n, min_n=min_n, provisional=n < baseline_n)
    if n < min_n:
        return IMRLimits(reason=_not_enough(n, min_n), **common)
    mr_bar = float(np.abs(np.diff(base)).mean())
    if mr_bar == 0:
        return IMRLimits(reason="no lot-to-lot variation in the baseline (every moving range is 0)", **common)
    centre, sigma = float(base.mean()), mr_bar / D2
    return IMRLimits(centre=centre, sigma=sigma, lcl=centre - 3 * sigma, ucl=centre + 3 * sigma,
                     mr_bar=mr_bar, mr_lcl=0.0, mr_ucl=D4 * mr_bar, **common)


def _params(rules: Iterable[int], params: Mapping[int, Mapping[str, float]] | None) -> dict[int, dict]:
    """Each enabled rule's parameters: Nelson's defaults with the caller's overrides, checked."""
    rules = tuple(rules)
    unknown = (set(rules) | set(params or {})) - set(NELSON_RULES)
    if unknown:
        raise ValueError(f"unknown Nelson rule(s) {sorted(unknown)}; rules are 1 to 8")
    merged = {}
    for rule in rules:
        override = dict((params or {}).get(rule, {}))
        extra = set(override) - set(DEFAULT_PARAMS[rule])
        if extra:
            raise ValueError(f"rule {rule} has no parameter(s) {sorted(extra)}; "
                             f"it takes {sorted(DEFAULT_PARAMS[rule])}")
        p = {**DEFAULT_PARAMS[rule], **override}
        counts = [p[k] for k in ("run", "count", "window") if k in p]
        if not all(isinstance(v, (int, np.integer)) for v in counts):
            raise ValueError(f"rule {rule}: run, count and window must be whole numbers, got {p}")
        if p.get("sigmas", 1) <= 0 or (rule in _MIN_RUN and p["run"] < _MIN_RUN[rule]) \
                or not 1 <= p.get("count", 1) <= p.get("window", 1):
            raise ValueError(f"rule {rule}: parameters out of range: {p}")
        merged[rule] = p
    return merged


def _runs(mask: np.ndarray, length: int, width: int, size: int) -> np.ndarray:
    """Points in runs of at least ``length`` consecutive True in ``mask``, where mask[j] spans points j..j+width."""
    marked = np.zeros(size, dtype=bool)
    start = None
    for j, flag in enumerate([*mask, False]):
        if flag and start is None:
            start = j
        elif not flag and start is not None:
            if j - start >= length:
                marked[start:j + width] = True
            start = None
    return marked


def _count_in_window(mask: np.ndarray, count: int, window: int) -> np.ndarray:
    """Points of ``mask`` that are ``count`` True values within ``window`` consecutive points."""
    marked = np.zeros(len(mask), dtype=bool)
    hits = np.flatnonzero(mask)
    for j in range(len(hits) - count + 1):
        if hits[j + count - 1] - hits[j] < window:
            marked[hits[j:j + count]] = True
    return marked


def nelson_signals(values: Sequence[float] | np.ndarray | pd.Series, centre: float, sigma: float,
                   rules: Iterable[int] = WESTERN_ELECTRIC,
                   params: Mapping[int, Mapping[str, float]] | None = None) -> list[frozenset[int]]:
    """For each point, the Nelson rules (1–8) it breaks; by default the Western Electric set 1, 2, 5, 6.

    Every point that is part of a triggering pattern is marked, not only the one completing it: all points of
    a run (rules 2, 3, 4, 7, 8) and the points beyond the zone line in a triggering window (rules 5, 6; a point
    between them that is not beyond is not part of the pattern). "Beyond" kσ is strict (a point on a zone line
    is not beyond it), "within" kσ is inclusive, so rules 7 and 8 are complementary; a point on the centre
    breaks a one-side run, and two equal values in a row break a trend or an alternation. ``params`` overrides
    the defaults per rule, e.g. ``{2: {"run": 8}}`` (see DEFAULT_PARAMS for the names).
    """
    if not (math.isfinite(centre) and math.isfinite(sigma) and sigma > 0):
        raise ValueError("centre must be finite and sigma finite and positive")
    x = _values(values)
    size, d = len(x), x - centre
    step = np.sign(np.diff(x))
    marks: dict[int, np.ndarray] = {}
    for rule, p in _params(rules, params).items():
        limit = p.get("sigmas", 0) * sigma
        if rule == 1:
            marks[rule] = np.abs(d) > limit
        elif rule == 2:
            marks[rule] = _runs(d > 0, p["run"], 0, size) | _runs(d < 0, p["run"], 0, size)
        elif rule == 3:
            marks[rule] = _runs(step > 0, p["run"] - 1, 1, size) | _runs(step < 0, p["run"] - 1, 1, size)
        elif rule == 4:
            marks[rule] = _runs(step[:-1] * step[1:] < 0, p["run"] - 2, 2, size)
        elif rule in (5, 6):
            marks[rule] = (_count_in_window(d > limit, p["count"], p["window"])
                           | _count_in_window(d < -limit, p["count"], p["window"]))
        elif rule == 7:
            marks[rule] = _runs(np.abs(d) <= limit, p["run"], 0, size)
        else:
            marks[rule] = _runs(np.abs(d) > limit, p["run"], 0, size)
    return [frozenset(rule for rule, mark in marks.items() if mark[i]) for i in range(size)]


@dataclass(frozen=True)
class Capability:
    """Ppk with a two-sided confidence interval (Bissell's approximation).

    ``ppl``/``ppu`` are the sides against the limits given (None for a missing limit). When ``reason`` is set
    (no limits, too few lots, no variation) the statistics are None.
    """

    n: int
    min_n: int
    lower: float | None
    upper: float | None
    confidence: float
    mean: float | None = None
    sd: float | None = None
    ppl: float | None = None
    ppu: float | None = None
    ppk: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    reason: str | None = None

    @property
    def sufficient(self) -> bool:
        return self.reason is None


def ppk(values: Sequence[float] | np.ndarray | pd.Series, lower: float | None = None, upper: float | None = None,
        min_n: int = 20, confidence: float = 0.95) -> Capability:
    """Ppk = min((USL − mean)/3s, (mean − LSL)/3s), s the overall SD (ddof=1); one-sided with one limit.

    The CI is Ppk ± z·sqrt(1/(9n) + Ppk²/(2(n − 1))) (Bissell 1990), z the two-sided normal quantile.
    """
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    if min_n < 2:
        raise ValueError("min_n must be at least 2: an SD needs two lots")
    if lower is not None and upper is not None and not lower < upper:
        raise ValueError("the lower specification limit must be below the upper one")
    arr = _values(values)
    n = len(arr)
    common = dict(n=n, min_n=min_n, lower=lower, upper=upper, confidence=confidence)
    if lower is None and upper is None:
        return Capability(reason="no specification limits", **common)
    if n < min_n:
        return Capability(reason=_not_enough(n, min_n), **common)
    mean, sd = float(arr.mean()), float(arr.std(ddof=1))
    if sd == 0:
        return Capability(reason="no lot-to-lot variation (SD is 0)", **common)
    ppl = None if lower is None else (mean - lower) / (3 * sd)
    ppu = None if upper is None else (upper - mean) / (3 * sd)
    value = min(v for v in (ppl, ppu) if v is not None)
    half = float(stats.norm.ppf(1 - (1 - confidence) / 2)) * math.sqrt(1 / (9 * n) + value ** 2 / (2 * (n - 1)))
    return Capability(mean=mean, sd=sd, ppl=ppl, ppu=ppu, ppk=value, ci_low=value - half, ci_high=value + half,
                      **common)


def control_chart(values: Sequence[float] | np.ndarray | pd.Series, limits: IMRLimits, *,
                  lower_spec: float | None = None, upper_spec: float | None = None,
                  rules: Iterable[int] = WESTERN_ELECTRIC,
                  params: Mapping[int, Mapping[str, float]] | None = None) -> pd.DataFrame:
    """One row per lot, ready to draw: value, moving range, the limits, the signals, out of specification.

    A Series keeps its index (e.g. lot ids). With insufficient ``limits`` the limits are NaN and no rule is
    checked; the caller shows ``limits.reason``. ``mr_beyond`` is a moving range above the MR chart's UCL;
    out of specification is strictly outside a limit.
    """
    index = values.index if isinstance(values, pd.Series) else None
    columns = control_chart_columns(values, limits, lower_spec=lower_spec, upper_spec=upper_spec, rules=rules,
                                    params=params)
    return pd.DataFrame(columns, index=index if index is not None else pd.RangeIndex(len(columns["value"])))


def control_chart_columns(values: Sequence[float] | np.ndarray | pd.Series, limits: IMRLimits, *,
                          lower_spec: float | None = None, upper_spec: float | None = None,
                          rules: Iterable[int] = WESTERN_ELECTRIC,
                          params: Mapping[int, Mapping[str, float]] | None = None) -> dict[str, np.ndarray | list]:
    """`control_chart` as plain columns: a portfolio charts thousands of attributes, and a frame each cost more
    than the statistics."""
    x = _values(values)
    if limits.sufficient:
        signals = nelson_signals(x, limits.centre, limits.sigma, rules, params)
    else:
        signals = [frozenset()] * len(x)
    nan = float("nan")
    moving_range = np.full(len(x), nan)
    moving_range[1:] = np.abs(np.diff(x))
    drawn = {name: nan if getattr(limits, name) is None else getattr(limits, name)
             for name in ("centre", "lcl", "ucl", "mr_ucl")}
    out_of_spec = np.zeros(len(x), dtype=bool)
    if lower_spec is not None:
        out_of_spec |= x < lower_spec
    if upper_spec is not None:
        out_of_spec |= x > upper_spec
    return {
        "value": x,
        "moving_range": moving_range,
        "in_baseline": np.arange(len(x)) < limits.n,
        **{name: np.full(len(x), value) for name, value in drawn.items()},
        "mr_beyond": moving_range > drawn["mr_ucl"],
        "rules": signals,
        "out_of_spec": out_of_spec,
    }
