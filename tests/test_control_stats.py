"""Process-control statistics against independent references: a published I-MR example, hand-built Nelson
rule series and hand-computed Ppk with Bissell's interval recomputed here with scipy."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from readiness.stats.control import (
    NELSON_RULES,
    WESTERN_ELECTRIC,
    control_chart,
    imr_limits,
    imr_limits_of_series,
    nelson_marks,
    nelson_signals,
    pattern_span,
    ppk,
    ppk_of_series,
    rules_of,
)

# NIST/SEMATECH e-Handbook of Statistical Methods, 6.3.2.2 "Individuals Control Charts" (10 batches of flow
# rate, https://www.itl.nist.gov/div898/handbook/pmc/section3/pmc322.htm). Published: x-bar = 50.81,
# MR-bar = 1.8778, UCL = 55.8041, LCL = 45.8159. The MR chart UCL is D4·MR-bar = 3.267 × 1.8778 = 6.1347.
FLOW = [49.6, 47.6, 49.9, 51.3, 47.8, 51.2, 52.6, 52.4, 53.6, 52.1]


# --- I-MR limits -----------------------------------------------------------------------------------------------

def test_imr_limits_match_the_nist_individuals_example():
    limits = imr_limits(FLOW, baseline_n=10)
    assert limits.sufficient and limits.source == "baseline" and limits.n == 10 and not limits.provisional
    assert limits.centre == pytest.approx(50.81, abs=1e-12)
    assert limits.mr_bar == pytest.approx(1.8778, abs=5e-5)  # published to 4 decimals
    assert limits.ucl == pytest.approx(55.8041, abs=5e-5)
    assert limits.lcl == pytest.approx(45.8159, abs=5e-5)
    assert limits.mr_ucl == pytest.approx(6.1347, abs=5e-5)
    assert limits.mr_lcl == 0.0
    # Moving ranges summed by hand: 2.0 + 2.3 + 1.4 + 3.5 + 3.4 + 1.4 + 0.2 + 1.2 + 1.5 = 16.9 over 9 ranges.
    assert limits.mr_bar == pytest.approx(16.9 / 9, rel=1e-12)
    assert limits.sigma == pytest.approx(np.mean(np.abs(np.diff(FLOW))) / 1.128, rel=1e-12)
    assert limits.ucl - limits.centre == pytest.approx(3 * limits.sigma, rel=1e-12)


def test_limits_are_frozen_after_the_baseline():
    frozen = imr_limits(FLOW, baseline_n=10)
    assert imr_limits(FLOW + [60.0, 40.0, 70.0, 55.5], baseline_n=10) == frozen


def test_limits_are_provisional_below_the_baseline_size_and_absent_below_the_minimum():
    provisional = imr_limits(FLOW)  # 10 lots, baseline of 20
    assert provisional.provisional and provisional.n == 10 and provisional.baseline_n == 20
    assert provisional.ucl == pytest.approx(55.8041, abs=5e-5)

    at_minimum = imr_limits(FLOW[:5])
    assert at_minimum.sufficient and at_minimum.provisional
    assert at_minimum.centre == pytest.approx((49.6 + 47.6 + 49.9 + 51.3 + 47.8) / 5)

    too_few = imr_limits(FLOW[:4])
    assert not too_few.sufficient
    assert too_few.reason == "not enough lots (n = 4, need 5)"
    assert too_few.centre is None and too_few.ucl is None and too_few.sigma is None


def test_no_variation_gives_a_reason_not_zero_width_limits():
    limits = imr_limits([5.0] * 8)
    assert not limits.sufficient and "no lot-to-lot variation" in limits.reason


def test_fixed_limits_win_over_the_data():
    limits = imr_limits(FLOW, fixed=(50.0, 44.0, 56.0))
    assert limits.source == "fixed" and limits.n == 0 and not limits.provisional
    assert (limits.centre, limits.lcl, limits.ucl) == (50.0, 44.0, 56.0)
    assert limits.sigma == pytest.approx((56.0 - 44.0) / 6)
    assert limits.mr_bar == pytest.approx(1.128 * 2.0)
    assert limits.mr_ucl == pytest.approx(3.267 * 1.128 * 2.0)
    assert imr_limits([], fixed=(50.0, 44.0, 56.0)).sufficient  # no lots needed for approved limits


def test_bad_limit_inputs_are_refused():
    with pytest.raises(ValueError):
        imr_limits(FLOW, fixed=(50.0, 44.0, 58.0))  # centre not midway: the zones would not match the limits
    with pytest.raises(ValueError):
        imr_limits(FLOW + [float("nan")])
    with pytest.raises(ValueError):
        imr_limits(FLOW, baseline_n=4, min_n=5)


# --- Nelson rules ------------------------------------------------------------------------------------------------
# Hand-built series in sigma units (centre 0, sigma 1). Each breaks exactly one rule with all eight enabled; the
# comment says why it breaks none of the others. The expected indices are every point of the triggering pattern.

CLEAN = [0.5, 0.3, -0.2, -0.6, 0.4, 0.2, -0.3, -0.5, 0.6, 0.1, -0.4, -0.2,
         1.2, 0.5, -0.1, -1.1, 0.2, 0.4, -0.3, 2.2, 0.3, -0.4, -0.1, 0.6]
# CLEAN: largest |x| 2.2 (one point beyond 2σ); at most 2 in a row on a side; monotone runs of at most 4 points;
# alternation over at most 5 points; beyond 1σ only at 12 (+), 15 (−), 19 (+); within-1σ runs of at most 12.

RULE_SERIES = {
    # One point beyond 3σ; 5 points are too few for any run rule.
    1: ([0.5, -0.5, 3.5, -0.5, 0.5], {2}),
    # Nine above the centre (1..9), within 1σ, no monotone run over 3 points, the tie 0.4, 0.4 cuts alternation.
    2: ([-0.5, 0.2, 0.5, 0.3, 0.6, 0.4, 0.4, 0.7, 0.3, 0.5, -0.5], set(range(1, 10))),
    # Six increasing (1..6): -0.6 < -0.4 < -0.1 < 0.1 < 0.3 < 0.6; at most 4 on one side.
    3: ([0.5, -0.6, -0.4, -0.1, 0.1, 0.3, 0.6, 0.2], set(range(1, 7))),
    # Fourteen alternating (1..14); 1.5 -> 0.3 -> -0.3 goes down twice, so the run starts at 1; 14 within 1σ.
    4: ([1.5] + [0.3, -0.3] * 7, set(range(1, 15))),
    # Two of three beyond 2σ above (1 and 3); only those two are beyond 1σ.
    5: ([0.5, 2.5, 0.5, 2.4, -0.5], {1, 3}),
    # Four of five beyond 1σ above (1, 2, 4, 5), none beyond 2σ; 0.5 at 3 cuts a run beyond 1σ.
    6: ([0.0, 1.5, 1.2, 0.5, 1.8, 1.3, -0.4], {1, 2, 4, 5}),
    # Fifteen within 1σ (1..15); 1.5, 0.5, 0.3, -0.2, -0.6 is a 5-point fall; at most 2 on one side.
    7: ([1.5, 0.5, 0.3, -0.2, -0.6, 0.4, 0.2, -0.3, -0.5, 0.6, 0.1, -0.4, -0.2, 0.3, 0.5, -0.1],
        set(range(1, 16))),
    # Eight beyond 1σ switching sides (1..8): 10 points alternate (< 14) and any 5 hold at most 3 on a side.
    8: ([0.2, 1.5, -1.5, 1.2, -1.2, 1.5, -1.4, 1.3, -1.5, 0.1], set(range(1, 9))),
}


def expected(series, rule, marked):
    return [frozenset({rule}) if i in marked else frozenset() for i in range(len(series))]


@pytest.mark.parametrize("rule", NELSON_RULES)
def test_each_rule_alone_on_its_series(rule):
    series, marked = RULE_SERIES[rule]
    assert nelson_signals(series, 0.0, 1.0, rules=NELSON_RULES) == expected(series, rule, marked)


@pytest.mark.parametrize("rule", NELSON_RULES)
def test_rules_depend_on_centre_and_sigma_only(rule):
    series, marked = RULE_SERIES[rule]
    scaled = [100.0 + 5.0 * v for v in series]
    assert nelson_signals(scaled, 100.0, 5.0, rules=NELSON_RULES) == expected(series, rule, marked)


def test_clean_series_breaks_no_rule():
    assert nelson_signals(CLEAN, 0.0, 1.0, rules=NELSON_RULES) == [frozenset()] * len(CLEAN)


def test_default_rules_are_the_western_electric_set():
    assert WESTERN_ELECTRIC == (1, 2, 5, 6)
    trend, _ = RULE_SERIES[3]
    assert nelson_signals(trend, 0.0, 1.0) == [frozenset()] * len(trend)
    series, marked = RULE_SERIES[6]
    assert nelson_signals(series, 0.0, 1.0) == expected(series, 6, marked)


def test_rule_parameters_can_be_changed():
    eight_above = [-0.5] + [0.3, 0.5, 0.2, 0.6, 0.4, 0.7, 0.3, 0.5] + [-0.5]
    assert nelson_signals(eight_above, 0.0, 1.0, rules=(2,)) == [frozenset()] * 10
    assert nelson_signals(eight_above, 0.0, 1.0, rules=(2,), params={2: {"run": 8}}) == \
        expected(eight_above, 2, set(range(1, 9)))
    assert nelson_signals([0.0, 2.5, 0.0], 0.0, 1.0, rules=(1,), params={1: {"sigmas": 2.0}})[1] == {1}


def test_every_point_of_a_longer_run_is_marked_and_the_centre_breaks_a_run():
    eleven_above = [0.3, 0.5, 0.2, 0.6, 0.4, 0.7, 0.3, 0.5, 0.2, 0.6, 0.4]
    assert nelson_signals(eleven_above, 0.0, 1.0, rules=(2,)) == [frozenset({2})] * 11
    series, _ = RULE_SERIES[2]
    on_centre = series[:5] + [0.0] + series[6:]
    assert nelson_signals(on_centre, 0.0, 1.0, rules=(2,)) == [frozenset()] * len(series)


def test_beyond_on_opposite_sides_is_not_a_zone_signal():
    assert nelson_signals([2.5, -2.5, 0.5], 0.0, 1.0, rules=(5,)) == [frozenset()] * 3
    assert nelson_signals([1.5, -1.5, 1.5, -1.5, 1.5], 0.0, 1.0, rules=(6,)) == [frozenset()] * 5


def test_many_series_end_to_end_are_judged_apart():
    """A portfolio's charts are judged in one pass: each series against its own centre and sigma, and no run,
    trend or window reaching across a series start."""
    series = [RULE_SERIES[rule][0] for rule in NELSON_RULES]
    scaled = [[centre + sigma * v for v in s] for s, centre, sigma in zip(series, range(0, 80, 10), range(1, 9))]
    centre = [c for s, c in zip(scaled, range(0, 80, 10)) for _ in s]
    sigma = [g for s, g in zip(scaled, range(1, 9)) for _ in s]
    start = [i == 0 for s in scaled for i in range(len(s))]
    marks = nelson_marks([v for s in scaled for v in s], centre, sigma, start, rules=NELSON_RULES)
    assert [rules_of(m) for m in marks.tolist()] == [
        mark for rule in NELSON_RULES for mark in expected(RULE_SERIES[rule][0], rule, RULE_SERIES[rule][1])]


def test_a_run_split_by_a_series_start_is_no_run():
    """Five above the centre at the end of one series and five at the start of the next are two short runs."""
    above = [0.3, 0.5, 0.2, 0.6, 0.4]
    marks = nelson_marks(above * 2, [0.0] * 10, [1.0] * 10, [True] + [False] * 4 + [True] + [False] * 4, rules=(2,))
    assert marks.tolist() == [0] * 10
    joined = nelson_marks(above * 2, [0.0] * 10, [1.0] * 10, [True] + [False] * 9, rules=(2,))
    assert joined.tolist() == [1 << 2] * 10


def test_bad_rule_inputs_are_refused():
    with pytest.raises(ValueError):
        nelson_signals(CLEAN, 0.0, 1.0, rules=(9,))
    with pytest.raises(ValueError):
        nelson_signals(CLEAN, 0.0, 1.0, rules=(2,), params={2: {"length": 8}})
    with pytest.raises(ValueError):
        nelson_signals(CLEAN, 0.0, 1.0, rules=(5,), params={5: {"count": 4}})  # 4 of 3
    with pytest.raises(ValueError):
        nelson_signals(CLEAN, 0.0, 0.0)


# --- Ppk -----------------------------------------------------------------------------------------------------------
# Ten lots at 9 and ten at 11: mean = 10, sum of squares = 20 × 1² = 20, s = sqrt(20 / 19) = 1.0259783520851542.
# LSL 6, USL 15: Ppl = (10 − 6) / 3s = 4 / 3.0779350562554625 = 1.2995725793078620,
#                Ppu = (15 − 10) / 3s = 5 / 3.0779350562554625 = 1.6244657241348277.
TWENTY = [9.0] * 10 + [11.0] * 10
PPL, PPU = 1.2995725793078620, 1.6244657241348277


def bissell(value, n, confidence):
    z = stats.norm.ppf(0.5 + confidence / 2)
    half = z * math.sqrt(1 / (9 * n) + value ** 2 / (2 * (n - 1)))
    return value - half, value + half


@pytest.mark.parametrize("confidence", [0.95, 0.90])
def test_ppk_two_sided_against_hand_computation(confidence):
    result = ppk(TWENTY, lower=6.0, upper=15.0, confidence=confidence)
    assert result.sufficient and result.n == 20
    assert result.mean == pytest.approx(10.0) and result.sd == pytest.approx(math.sqrt(20 / 19))
    assert result.ppl == pytest.approx(PPL, rel=1e-12)
    assert result.ppu == pytest.approx(PPU, rel=1e-12)
    assert result.ppk == pytest.approx(PPL, rel=1e-12)
    assert (result.ci_low, result.ci_high) == pytest.approx(bissell(PPL, 20, confidence), rel=1e-12)


def test_ppk_95_interval_in_numbers():
    # z = 1.959963984540054; 1/(9·20) + 1.29957²/(2·19) = 0.0055556 + 0.0444444 = 0.0500000 -> half = 0.43826.
    result = ppk(TWENTY, lower=6.0, upper=15.0)
    assert (result.ci_low, result.ci_high) == pytest.approx((0.86131, 1.73783), abs=1e-5)


def test_ppk_one_sided():
    lower_only = ppk(TWENTY, lower=6.0)
    assert lower_only.ppk == pytest.approx(PPL, rel=1e-12) and lower_only.ppu is None
    upper_only = ppk(TWENTY, upper=15.0)
    assert upper_only.ppk == pytest.approx(PPU, rel=1e-12) and upper_only.ppl is None
    assert (upper_only.ci_low, upper_only.ci_high) == pytest.approx(bissell(PPU, 20, 0.95), rel=1e-12)


def test_ppk_needs_enough_lots_and_a_limit():
    too_few = ppk(TWENTY[:19], lower=6.0, upper=15.0)
    assert not too_few.sufficient and too_few.ppk is None and too_few.ci_low is None
    assert too_few.reason == "not enough lots (n = 19, need 20)"
    assert ppk(TWENTY[5:15], lower=6.0, min_n=10).sufficient  # five 9s and five 11s
    assert "no lot-to-lot variation" in ppk(TWENTY[:10], lower=6.0, min_n=10).reason  # ten 9s
    assert ppk(TWENTY).reason == "no specification limits"
    with pytest.raises(ValueError):
        ppk(TWENTY, lower=15.0, upper=6.0)


def test_many_series_at_once_are_bit_for_bit_one_call_each():
    """Baselines and Ppk of series end to end, reduced together by length, equal a call per series exactly:
    equal lengths, lengths either side of the baseline and the minimum, no variation, no or reversed limits."""
    rng = np.random.default_rng(7)
    lengths = [0, 1, 4, 5, 6, 20, 20, 21, 37, 20, 3, 8, 8, 500, 5]
    series = [rng.normal(50, 3, n) * rng.uniform(0.01, 100) for n in lengths]
    series[9] = np.full(20, 4.5)  # no lot-to-lot variation
    values = np.concatenate(series)
    stops = np.cumsum(lengths).tolist()
    bounds = list(zip([0, *stops[:-1]], stops))
    assert imr_limits_of_series(values, bounds, 20, 5) == [imr_limits(x, 20, 5) for x in series]
    lower = [40.0, None, 30.0, None, 45.0, 10.0, None, 47.0, 40.0, 4.0, 40.0, 50.0, 50.0, 0.0, 60.0]
    upper = [60.0, None, None, 70.0, 55.0, 5000.0, 60.0, 53.0, 60.0, 5.0, 60.0, 50.0, None, 9000.0, 55.0]
    found = ppk_of_series(values, bounds, lower, upper, min_n=5, confidence=0.9)
    for x, low, high, capability in zip(series, lower, upper, found):
        if low is not None and high is not None and not low < high:
            assert capability.reason == "the lower specification limit must be below the upper one"
            assert capability.n == len(x) and capability.ppk is None
            with pytest.raises(ValueError, match="must be below"):
                ppk(x, low, high, min_n=5, confidence=0.9)
        else:
            assert capability == ppk(x, low, high, min_n=5, confidence=0.9)
    assert [c.reason for c in found[:4]] == ["not enough lots (n = 0, need 5)", "no specification limits",
                                             "not enough lots (n = 4, need 5)", None]
    assert found[9].reason == "no lot-to-lot variation (SD is 0)"


def test_a_patterns_span_is_its_run_or_window():
    """How far a point's rules can look: Nelson's defaults, a run set by the caller, one point for rule 1."""
    assert pattern_span() == 9  # Western Electric set: rule 2's run of 9 (windows of 3 and 5)
    assert pattern_span((1, 2, 5, 6), {2: {"run": 8}}) == 8
    assert pattern_span((1,)) == 1
    assert [pattern_span((r,)) for r in NELSON_RULES] == [1, 9, 6, 14, 3, 5, 15, 8]
    assert pattern_span(NELSON_RULES) == 15


# --- Control chart frame -------------------------------------------------------------------------------------------

def test_control_chart_frame():
    # NIST baseline, then 57.0 (above UCL 55.8041) and 50.0 (moving range 7.0 above MR UCL 6.1347).
    # Other rules on this series: above the centre only at 3 and 5..10 (6 in a row); beyond 2σ (54.14) only 57.0;
    # beyond +1σ (52.475) at 6, 8, 10 and beyond −1σ (49.145) at 1, 4: never 4 of 5.
    lots = pd.Series(FLOW + [57.0, 50.0], index=[f"L{i:02d}" for i in range(12)])
    frame = control_chart(lots, imr_limits(lots, baseline_n=10), lower_spec=48.0, upper_spec=56.0)
    assert list(frame.index) == list(lots.index)
    assert list(frame.columns) == ["value", "moving_range", "in_baseline", "centre", "lcl", "ucl", "mr_ucl",
                                   "mr_beyond", "rules", "out_of_spec"]
    assert math.isnan(frame["moving_range"].iloc[0]) and frame["moving_range"].iloc[1] == pytest.approx(2.0)
    assert frame["in_baseline"].tolist() == [True] * 10 + [False] * 2
    assert frame["ucl"].eq(frame["ucl"].iloc[0]).all() and frame["ucl"].iloc[0] == pytest.approx(55.8041, abs=5e-5)
    assert frame["rules"].tolist() == [frozenset()] * 10 + [frozenset({1}), frozenset()]
    assert frame.index[frame["mr_beyond"]].tolist() == ["L11"]
    assert frame.index[frame["out_of_spec"]].tolist() == ["L01", "L04", "L10"]  # 47.6, 47.8 < 48; 57.0 > 56


def test_control_chart_without_limits_draws_points_only():
    frame = control_chart(FLOW[:3], imr_limits(FLOW[:3]))
    assert frame["ucl"].isna().all() and not frame["mr_beyond"].any()
    assert frame["rules"].tolist() == [frozenset()] * 3
