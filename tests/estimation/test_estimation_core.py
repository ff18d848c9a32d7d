"""The fitting engine: batched IRLS against statsmodels, existence checks, model notation, intervals."""

import numpy as np
import pytest
import statsmodels.api as sm

from lantern.errors import ValidationError
from lantern.estimation import MSE
from lantern.estimation.existence import check_model, check_models, clear_caches, lp_exists_many
from lantern.estimation.glm import fit_poisson_batch
from lantern.estimation.intervals import bca_limits, profile_loglik
from lantern.estimation.models import (
    design_matrix,
    enumerate_hierarchical,
    model_string,
    parse_model,
)
from lantern.estimation.selection import fit_models, stepwise


def test_irls_matches_statsmodels(mse_data):
    table = mse_data("Western")
    model = parse_model("[15,23,4]", table.lists)
    terms = tuple(sorted(model))
    X = design_matrix(5, terms)
    y = table.counts.astype(float)
    ref = sm.GLM(y, X, family=sm.families.Poisson()).fit(tol=1e-12)
    ours = fit_poisson_batch(X, y[None, :])
    np.testing.assert_allclose(ours.coef[0], ref.params, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ours.cov[0], ref.cov_params(), rtol=1e-6, atol=1e-10)
    assert ours.loglik[0] == pytest.approx(ref.llf, rel=1e-9)
    assert ours.deviance[0] == pytest.approx(ref.deviance, rel=1e-7)


def test_batched_fit_equals_one_at_a_time(mse_data):
    """Members with different models and cell masks in one batch give the same fits as alone."""
    table = mse_data("UKdat_5")
    rng = np.random.default_rng(3)
    Y = rng.multinomial(table.observed, table.counts / table.observed, size=6)
    models = [parse_model(s, table.lists) for s in ("[12,3,4,5]", "[12,13,24]", "[123,4,5]",
                                                     "[1,2,3,4,5]", "[12,25,34]", "[123,25,34]")]
    together = fit_models(5, Y, models)
    for b in range(6):
        alone = fit_models(5, Y[b][None, :], [models[b]])
        assert together.estimate[b] == pytest.approx(alone.estimate[0], rel=1e-9, nan_ok=True)


def test_masked_terms_do_not_change_the_fit(mse_data):
    """A model fitted inside a bigger universe (other columns masked) equals its own small fit."""
    table = mse_data("Korea")
    small = parse_model("[12,3]", table.lists)
    big = parse_model("[12,13,23]", table.lists)
    res = fit_models(3, np.vstack([table.counts, table.counts]), [small, big], check=False)
    alone = fit_models(3, table.counts[None, :], [small])
    assert res.estimate[0] == pytest.approx(alone.estimate[0], rel=1e-10)


def test_batched_lp_agrees_with_single_lps(mse_data):
    table = mse_data("UKdat_5")
    models = enumerate_hierarchical(5, 3)[::60]
    clear_caches()
    batch = check_models(5, models, table.counts)
    clear_caches()
    single = np.array([check_model(5, m, table.counts) for m in models])
    np.testing.assert_array_equal(batch, single)
    assert (batch != 0).any() and (batch == 0).any()


def test_lp_detects_non_existence_directly():
    # 2 lists, saturated-minus-one model on a table with a zero: exists; a 3-list table whose
    # margins force a zero cell: does not.
    A = design_matrix(3, (0, 1, 2, 4, 3))  # [12,3]
    y_ok = np.array([3, 4, 2, 5, 1, 6, 2], float)
    y_bad = np.array([40, 30, 6, 20, 0, 0, 0], float)  # Artificial_3: A:B only overlap
    assert list(lp_exists_many([(A, y_ok), (A, y_bad)])) == [True, False]


def test_model_notation_round_trip():
    lists = ("LA", "NG", "PF", "GO", "GP")
    m = parse_model("[12,23,45]", lists)
    assert model_string(m, lists) == "[12,23,45]"
    assert parse_model("LA:NG + NG:PF + GO:GP", lists) == m
    assert parse_model("[123]", lists) == parse_model("[12,13,23,123]", lists)
    with pytest.raises(ValidationError, match="unknown list 'XX'"):
        parse_model("LA:XX", lists)
    with pytest.raises(ValidationError, match="list number 7"):
        parse_model("[17]", lists)


def test_hierarchical_model_counts():
    assert len(enumerate_hierarchical(3, 2)) == 8
    assert len(enumerate_hierarchical(4, 3)) == 113 + 0  # every hierarchical 4-list model below saturated
    assert len(enumerate_hierarchical(5, 2)) == 1024


def test_stepwise_threshold_zero_and_one(mse_data):
    table = mse_data("Western")
    assert stepwise(5, table.counts[None, :], 0.0)[0][0] == parse_model("[1,2,3,4,5]", table.lists)
    full = stepwise(5, table.counts[None, :], 1.0)[0][0]
    assert len(full) in (16, 6)  # all pairs, or main effects if the full model fails the check


def test_bca_limits_reduce_to_percentiles_without_bias_or_acceleration():
    boot = np.linspace(0, 100, 10001)
    lo, hi = bca_limits(boot, 50.0, 0.0, [0.025, 0.975])
    assert lo == pytest.approx(2.5, abs=0.05) and hi == pytest.approx(97.5, abs=0.05)


def test_profile_likelihood_peaks_near_the_estimate(mse_data):
    table = mse_data("Korea")
    model = parse_model("[12,23]", table.lists)
    grid = np.linspace(130, 250, 241)
    ll = profile_loglik(3, model, table.counts, grid)
    # the multinomial profile peaks a little below the Poisson (conditional) estimate 157.17
    assert 140 < grid[np.argmax(ll)] < 160
    fit = MSE(method="fixed", model="[12,23]", intervals=["profile"]).fit(table)
    lo, hi = fit.intervals_["profile"][0.95]
    assert table.observed <= lo < 157.17 < hi


def test_lognormal_interval_uses_intercept_variance(mse_data):
    """SparseMSE estimatepopulation.0: observed + exp(qnorm(q, intercept, sd))."""
    from scipy.stats import norm

    table = mse_data("Western")
    fit = MSE(intervals=["lognormal"]).fit(table)
    res = fit_models(5, table.counts[None, :], [parse_model("[15,2,3,4]", table.lists)])
    sd = np.sqrt(res.intercept_var[0])
    lo = table.observed + np.exp(norm.ppf(0.025, res.fit.coef[0, 0], sd))
    assert fit.intervals_["lognormal"][0.95][0] == pytest.approx(lo, rel=1e-10)


def test_tidy_order_is_r_tidylists_order():
    """Codes (list 1 = bit 0) of the rows of SparseMSE ``tidylists`` for four lists, printed by R 4.2.2
    from that function's construction (rbind(cbind(1, zm), cbind(0, zm)), order by number of lists)."""
    from lantern.estimation.table import tidy_order

    assert (tidy_order(4) + 1).tolist() == [1, 2, 4, 8, 3, 5, 9, 6, 10, 12, 7, 11, 13, 14, 15]
    assert sorted(tidy_order(6).tolist()) == list(range(63))
