"""Process control of one result per lot: individuals and moving-range (I-MR) limits, Nelson's run rules, Ppk.

Limits come from a frozen baseline (the first lots), or from fixed approved limits, never from all the data:
a new lot must not move the limits it is judged against. With too few lots a result carries a plain reason
instead of a number, because an SD from a handful of lots is too unreliable to put in front of a decision.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

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
    if fixed is None:
        return imr_limits_of_series(values, [(0, len(values))], baseline_n, min_n)[0]
    _check_baseline(baseline_n, min_n)
    _values(values)
    centre, lower, upper = (float(v) for v in fixed)
    if not lower < centre < upper or not math.isclose(centre - lower, upper - centre):
        raise ValueError("fixed limits must be (centre, lower, upper) with the centre midway between them")
    sigma = (upper - lower) / 6
    return IMRLimits(source=FIXED, n=0, baseline_n=baseline_n, min_n=min_n, provisional=False,
                     centre=centre, sigma=sigma, lcl=lower, ucl=upper, mr_bar=D2 * sigma, mr_lcl=0.0,
                     mr_ucl=D4 * D2 * sigma)


def imr_limits_of_series(values: Sequence[float] | np.ndarray, bounds: Sequence[tuple[int, int]],
                         baseline_n: int = 20, min_n: int = 5) -> list[IMRLimits]:
    """`imr_limits` of many series lying end to end in ``values``, series i at ``bounds[i]`` = [start, stop).

    A portfolio has tens of thousands of process versions, and a call per version was a tenth of its process
    control. Baselines of one length are reduced together as the rows of one array, which numpy sums exactly as
    it sums each row alone: the limits are bit for bit those of one call per series.
    """
    _check_baseline(baseline_n, min_n)
    arr = _values(values)
    starts = np.array([start for start, _ in bounds], dtype=np.int64)
    lengths = np.minimum(np.array([stop - start for start, stop in bounds], dtype=np.int64), baseline_n)
    out: list[IMRLimits | None] = [None] * len(bounds)
    for n in np.unique(lengths).tolist():
        which = np.flatnonzero(lengths == n).tolist()
        common = dict(source=BASELINE, n=n, baseline_n=baseline_n, min_n=min_n, provisional=n < baseline_n)
        if n < min_n:
            for i in which:
                out[i] = IMRLimits(reason=_not_enough(n, min_n), **common)
            continue
        base = arr[starts[which][:, None] + np.arange(n)]
        mr_bars, centres = np.abs(np.diff(base, axis=1)).mean(axis=1).tolist(), base.mean(axis=1).tolist()
        for i, mr_bar, centre in zip(which, mr_bars, centres):
            if mr_bar == 0:
                out[i] = IMRLimits(reason="no lot-to-lot variation in the baseline (every moving range is 0)",
                                   **common)
                continue
            sigma = mr_bar / D2
            out[i] = IMRLimits(centre=centre, sigma=sigma, lcl=centre - 3 * sigma, ucl=centre + 3 * sigma,
                               mr_bar=mr_bar, mr_lcl=0.0, mr_ucl=D4 * mr_bar, **common)
    return out


def _check_baseline(baseline_n: int, min_n: int) -> None:
    if not 2 <= min_n <= baseline_n:
        raise ValueError("need 2 <= min_n <= baseline_n: a moving range needs two lots")


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


def _runs(mask: np.ndarray, length: int, width: int, start: np.ndarray) -> np.ndarray:
    """Points in runs of at least ``length`` consecutive True in ``mask``, where mask[j] spans points j..j+width;
    a run never continues past a segment ``start``."""
    size = len(mask)
    begins = mask & (start | ~np.r_[False, mask[:-1]])
    first = np.flatnonzero(begins)
    lengths = np.bincount(np.cumsum(begins)[mask] - 1, minlength=len(first))
    long = lengths >= length
    edges = np.bincount(first[long], minlength=size + 1) - np.bincount(
        np.minimum(first[long] + lengths[long] + width, size), minlength=size + 1)
    return np.cumsum(edges)[:size] > 0


def _count_in_window(mask: np.ndarray, count: int, window: int, segment: np.ndarray) -> np.ndarray:
    """Points of ``mask`` that are ``count`` True values within ``window`` consecutive points of one segment."""
    hits = np.flatnonzero(mask)
    marked = np.zeros(len(mask), dtype=bool)
    if len(hits) < count:
        return marked
    last = hits[count - 1:]
    found = np.flatnonzero((last - hits[:len(last)] < window) & (segment[last] == segment[hits[:len(last)]]))
    edges = np.bincount(found, minlength=len(hits) + 1) - np.bincount(found + count, minlength=len(hits) + 1)
    marked[hits[np.cumsum(edges)[:len(hits)] > 0]] = True
    return marked


def nelson_marks(values: Sequence[float] | np.ndarray, centre: Sequence[float] | np.ndarray,
                 sigma: Sequence[float] | np.ndarray, start: Sequence[bool] | np.ndarray,
                 rules: Iterable[int] = WESTERN_ELECTRIC,
                 params: Mapping[int, Mapping[str, float]] | None = None) -> np.ndarray:
    """The rules each point breaks as bits (bit r set for rule r), for many series at once.

    The series lie end to end, each point with its own series' ``centre`` and ``sigma`` (finite, sigma > 0);
    ``start`` is True at the first point of each series. Runs, trends and windows never cross a series start:
    a portfolio has thousands of charts, and a pass per chart was most of a report's time.
    """
    x, centre, sigma = (np.asarray(a, dtype=float) for a in (values, centre, sigma))
    start = np.asarray(start, dtype=bool)
    size, d = len(x), x - centre
    after = np.ones(size, dtype=bool)  # the next point starts another series (or there is none)
    after[:-1] = start[1:]
    step = np.zeros(size)
    step[:-1] = np.sign(np.diff(x))
    step[after] = 0
    segment = np.cumsum(start)
    marks = np.zeros(size, dtype=np.int64)
    for rule, p in _params(rules, params).items():
        limit = p.get("sigmas", 0) * sigma
        if rule == 1:
            mark = np.abs(d) > limit
        elif rule == 2:
            mark = _runs(d > 0, p["run"], 0, start) | _runs(d < 0, p["run"], 0, start)
        elif rule == 3:
            mark = _runs(step > 0, p["run"] - 1, 1, start) | _runs(step < 0, p["run"] - 1, 1, start)
        elif rule == 4:
            mark = _runs(step * np.r_[step[1:], 0] < 0, p["run"] - 2, 2, start)
        elif rule in (5, 6):
            mark = (_count_in_window(d > limit, p["count"], p["window"], segment)
                    | _count_in_window(d < -limit, p["count"], p["window"], segment))
        elif rule == 7:
            mark = _runs(np.abs(d) <= limit, p["run"], 0, start)
        else:
            mark = _runs(np.abs(d) > limit, p["run"], 0, start)
        marks |= mark.astype(np.int64) << rule
    return marks


def pattern_span(rules: Iterable[int] = WESTERN_ELECTRIC,
                 params: Mapping[int, Mapping[str, float]] | None = None) -> int:
    """The most consecutive points one pattern of the rules spans (a run's length, a window's size): whether a
    point breaks a rule depends on no point more than this, less one, before or after it."""
    return max((p.get("run", p.get("window", 1)) for p in _params(rules, params).values()), default=1)


def rules_of(marks: int) -> frozenset[int]:
    """The rule numbers set in one point's ``nelson_marks`` bits."""
    return frozenset(rule for rule in NELSON_RULES if marks >> rule & 1)


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
    start = np.zeros(len(x), dtype=bool)
    start[:1] = True
    marks = nelson_marks(x, np.full(len(x), centre), np.full(len(x), sigma), start, rules, params)
    return [rules_of(m) for m in marks.tolist()]


@dataclass(frozen=True)
class Capability:
    """Ppk with a two-sided confidence interval (Bissell's approximation).

    ``ppl``/``ppu`` are the sides against the limits given (None for a missing limit). When ``reason`` is set
    (no limits, limits reversed in `ppk_of_series`, too few lots, no variation) the statistics are None.
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


_REVERSED = "the lower specification limit must be below the upper one"


def ppk(values: Sequence[float] | np.ndarray | pd.Series, lower: float | None = None, upper: float | None = None,
        min_n: int = 20, confidence: float = 0.95) -> Capability:
    """Ppk = min((USL − mean)/3s, (mean − LSL)/3s), s the overall SD (ddof=1); one-sided with one limit.

    The CI is Ppk ± z·sqrt(1/(9n) + Ppk²/(2(n − 1))) (Bissell 1990), z the two-sided normal quantile.
    """
    if lower is not None and upper is not None and not lower < upper:
        raise ValueError(_REVERSED)
    return ppk_of_series(values, [(0, len(values))], [lower], [upper], min_n, confidence)[0]


def ppk_of_series(values: Sequence[float] | np.ndarray, bounds: Sequence[tuple[int, int]],
                  lower: Sequence[float | None], upper: Sequence[float | None], min_n: int = 20,
                  confidence: float = 0.95) -> list[Capability]:
    """`ppk` of many series lying end to end in ``values``, series i at ``bounds[i]`` = [start, stop) against
    ``lower[i]`` and ``upper[i]``; a series whose lower limit is not below its upper one gets that as its reason.

    A portfolio has tens of thousands of charts. Series of one length are reduced together as the rows of one
    array, which numpy sums exactly as it sums each row alone: each result is bit for bit a call of its own.
    """
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    if min_n < 2:
        raise ValueError("min_n must be at least 2: an SD needs two lots")
    arr = _values(values)
    starts = np.array([start for start, _ in bounds], dtype=np.int64)
    lengths = np.array([stop - start for start, stop in bounds], dtype=np.int64)
    out: list[Capability | None] = [None] * len(bounds)
    for n in np.unique(lengths).tolist():
        which = np.flatnonzero(lengths == n).tolist()
        if n >= min_n:
            rows = arr[starts[which][:, None] + np.arange(n)]
            means, sds = rows.mean(axis=1).tolist(), rows.std(axis=1, ddof=1).tolist()
        else:
            means = sds = [None] * len(which)
        for k, i in enumerate(which):
            low, high = lower[i], upper[i]
            common = dict(n=n, min_n=min_n, lower=low, upper=high, confidence=confidence)
            if low is None and high is None:
                out[i] = Capability(reason="no specification limits", **common)
            elif low is not None and high is not None and not low < high:
                out[i] = Capability(reason=_REVERSED, **common)
            elif n < min_n:
                out[i] = Capability(reason=_not_enough(n, min_n), **common)
            elif sds[k] == 0:
                out[i] = Capability(reason="no lot-to-lot variation (SD is 0)", **common)
            else:
                out[i] = _capability(means[k], sds[k], common)
    return out


def _capability(mean: float, sd: float, common: dict) -> Capability:
    lower, upper, n = common["lower"], common["upper"], common["n"]
    ppl = None if lower is None else (mean - lower) / (3 * sd)
    ppu = None if upper is None else (upper - mean) / (3 * sd)
    value = min(v for v in (ppl, ppu) if v is not None)
    half = _two_sided_z(common["confidence"]) * math.sqrt(1 / (9 * n) + value ** 2 / (2 * (n - 1)))
    return Capability(mean=mean, sd=sd, ppl=ppl, ppu=ppu, ppk=value, ci_low=value - half, ci_high=value + half,
                      **common)


@functools.lru_cache(maxsize=8)
def _two_sided_z(confidence: float) -> float:
    """Cached: scipy's quantile costs more than the rest of a Ppk, and a portfolio asks it per chart. scipy.stats
    is imported here, not at the top: it takes half a second, which a Portfolio read from the store never needs."""
    from scipy import stats

    return float(stats.norm.ppf(1 - (1 - confidence) / 2))


def control_chart(values: Sequence[float] | np.ndarray | pd.Series, limits: IMRLimits, *,
                  lower_spec: float | None = None, upper_spec: float | None = None,
                  rules: Iterable[int] = WESTERN_ELECTRIC,
                  params: Mapping[int, Mapping[str, float]] | None = None) -> pd.DataFrame:
    """One row per lot, ready to draw: value, moving range, the limits, the signals, out of specification.

    A Series keeps its index (e.g. lot ids). With insufficient ``limits`` the limits are NaN and no rule is
    checked; the caller shows ``limits.reason``. ``mr_beyond`` is a moving range above the MR chart's UCL;
    out of specification is strictly outside a limit.
    """
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
    return pd.DataFrame({
        "value": x,
        "moving_range": moving_range,
        "in_baseline": np.arange(len(x)) < limits.n,
        **{name: np.full(len(x), value) for name, value in drawn.items()},
        "mr_beyond": moving_range > drawn["mr_ucl"],
        "rules": signals,
        "out_of_spec": out_of_spec,
    }, index=values.index if isinstance(values, pd.Series) else pd.RangeIndex(len(x)))
