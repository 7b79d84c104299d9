"""Comparability statistics against hand computations and statsmodels, an independent implementation."""

from __future__ import annotations

import math
import statistics

import pytest
from statsmodels.stats.weightstats import CompareMeans, ttost_ind

from readiness.stats.comparability import quality_range, tost_equivalence

# Viability (%) of six lots before and after a medium change: same level, similar spread.
PRE = [70.1, 72.4, 68.9, 71.3, 69.8, 70.6]
SIMILAR = [70.9, 69.5, 71.8, 70.2, 70.4, 71.0]
SHIFTED = [73.4, 72.2, 74.9, 73.0, 73.7, 72.8]  # about 2.3 pre-change SDs higher


# --- quality range -------------------------------------------------------------------------------------------

def test_quality_range_by_hand_with_values_on_both_edges_inside():
    # mean = (9 + 10 + 11) / 3 = 10; SD = sqrt(((9-10)² + (10-10)² + (11-10)²) / (3-1)) = sqrt(1) = 1
    # range = 10 ± 3·1 = [7, 13]; 7.0 and 13.0 sit exactly on the edges and count as inside.
    result = quality_range([9.0, 10.0, 11.0], [7.0, 10.0, 13.0, 13.5, 6.9], k=3.0)
    assert result.sufficient
    assert (result.n_pre, result.n_post) == (3, 5)
    assert result.pre_mean == 10.0
    assert result.pre_sd == 1.0
    assert (result.low, result.high) == (7.0, 13.0)
    assert result.n_inside == 3
    assert result.share_inside == 3 / 5
    assert result.outside == (13.5, 6.9)


def test_quality_range_with_another_k_and_an_irrational_sd():
    # mean = (98 + 100 + 102 + 100) / 4 = 100; SD = sqrt((4 + 0 + 4 + 0) / 3) = sqrt(8/3) ≈ 1.63299
    # range = 100 ± 2·1.63299 = [96.734, 103.266]
    sd = math.sqrt(8 / 3)
    result = quality_range([98.0, 100.0, 102.0, 100.0], [96.7, 97.0, 103.2, 103.3], k=2.0)
    assert result.pre_mean == pytest.approx(100.0, abs=1e-12)
    assert result.pre_sd == pytest.approx(sd, abs=1e-12)
    assert result.low == pytest.approx(100 - 2 * sd, abs=1e-12)
    assert result.high == pytest.approx(100 + 2 * sd, abs=1e-12)
    assert (result.n_inside, result.share_inside, result.outside) == (2, 0.5, (96.7, 103.3))


def test_quality_range_needs_two_pre_change_lots():
    result = quality_range([10.0], [9.0, 11.0])
    assert not result.sufficient
    assert (result.n_pre, result.n_post, result.min_pre) == (1, 2, 2)
    assert result.pre_sd is None and result.low is None and result.n_inside is None


def test_quality_range_without_post_change_lots_has_no_share():
    result = quality_range([9.0, 10.0, 11.0], [])
    assert result.sufficient
    assert (result.n_inside, result.share_inside, result.outside) == (0, None, ())


def test_quality_range_rejects_missing_values():
    with pytest.raises(ValueError, match="missing"):
        quality_range([9.0, float("nan"), 11.0], [10.0])


# --- TOST equivalence of means ---------------------------------------------------------------------------------

@pytest.mark.parametrize("usevar", ["pooled", "unequal"])
@pytest.mark.parametrize("post", [SIMILAR, SHIFTED], ids=["similar", "shifted"])
def test_tost_agrees_with_statsmodels(post, usevar):
    margin = 1.5 * statistics.stdev(PRE)
    result = tost_equivalence(PRE, post, usevar=usevar)

    assert result.margin == pytest.approx(margin, abs=1e-12)
    assert result.difference == pytest.approx(statistics.fmean(post) - statistics.fmean(PRE), abs=1e-12)
    p_value, (_, p_lower, df_lower), (_, p_upper, _) = ttost_ind(post, PRE, -margin, margin, usevar=usevar)
    assert result.p_lower == pytest.approx(p_lower, abs=1e-10)
    assert result.p_upper == pytest.approx(p_upper, abs=1e-10)
    assert result.p_value == pytest.approx(p_value, abs=1e-10)
    assert result.df == pytest.approx(df_lower, abs=1e-10)
    ci_low, ci_high = CompareMeans.from_data(post, PRE).tconfint_diff(alpha=0.1, usevar=usevar)
    assert result.ci_low == pytest.approx(ci_low, abs=1e-10)
    assert result.ci_high == pytest.approx(ci_high, abs=1e-10)
    assert result.confidence == pytest.approx(0.9)


def test_similar_lots_are_equivalent():
    result = tost_equivalence(PRE, SIMILAR)
    assert result.verdict == "equivalent"
    assert -result.margin < result.ci_low < result.ci_high < result.margin
    assert result.p_value < 0.05


def test_shifted_lots_are_not_shown_equivalent():
    result = tost_equivalence(PRE, SHIFTED)
    assert result.verdict == "not shown"
    assert result.ci_high > result.margin
    assert result.p_value > 0.05


def test_explicit_margin_replaces_the_sd_multiple():
    # A margin of 4 percentage points covers the shift of 2.8 (90% CI about 1.7 to 3.95).
    result = tost_equivalence(PRE, SHIFTED, margin=4.0)
    assert (result.margin, result.margin_factor) == (4.0, None)
    assert result.verdict == "equivalent"


def test_two_post_change_lots_are_insufficient_and_carry_no_statistics():
    result = tost_equivalence(PRE, SIMILAR[:2])
    assert result.verdict == "insufficient lots"
    assert (result.n_pre, result.n_post, result.min_lots) == (6, 2, 3)
    assert (result.needed_pre, result.needed_post) == (0, 1)
    assert result.margin == pytest.approx(1.5 * statistics.stdev(PRE), abs=1e-12)
    stats_ = (result.difference, result.ci_low, result.ci_high, result.df,
              result.p_lower, result.p_upper, result.p_value)
    assert stats_ == (None,) * 7


def test_minimum_lots_is_configurable_and_counts_both_sides():
    result = tost_equivalence(PRE[:1], SIMILAR, min_lots=5)
    assert result.verdict == "insufficient lots"
    assert (result.needed_pre, result.needed_post) == (4, 0)
    assert result.margin is None  # one pre-change lot has no SD to scale


@pytest.mark.parametrize("kwargs, message", [
    ({"usevar": "welch"}, "usevar"),
    ({"margin": 0.0}, "positive"),
    ({"min_lots": 1}, "min_lots"),
])
def test_tost_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tost_equivalence(PRE, SIMILAR, **kwargs)


def test_tost_without_any_variation_is_undefined():
    # identical pre-change lots give a margin of 1.5 × 0 = 0; with an explicit margin the t statistic has SE 0
    with pytest.raises(ValueError, match="positive"):
        tost_equivalence([70.0] * 3, SIMILAR)
    with pytest.raises(ValueError, match="variation"):
        tost_equivalence([70.0] * 3, [71.0] * 3, margin=2.0)
