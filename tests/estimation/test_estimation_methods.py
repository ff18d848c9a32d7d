"""Bootstrap, Bayesian thresholding, stratification and a small coverage check."""

import numpy as np
import pandas as pd
import pytest

from lantern.errors import LanternError
from lantern.estimation import MSE
from lantern.estimation.simulation import (
    draw_tables,
    loglinear_probabilities,
    mixture_probabilities,
)
from lantern.estimation.strata import estimate_by_stratum
from lantern.estimation.table import CaptureTable


def test_bootstrap_is_reproducible_with_a_seed(mse_data):
    a = MSE(bootstrap=100, seed=3, intervals=["bca"]).fit(mse_data("Western")).intervals_["bca"]
    b = MSE(bootstrap=100, seed=3, intervals=["bca"]).fit(mse_data("Western")).intervals_["bca"]
    assert a == b


def test_bayes_threshold_kosovo_matches_multiplesystemsestimation(mse_data):
    """MultipleSystemsEstimation user guide: estimate_population(Kosovo, method='bayesthresh',
    maxorder=3) -> median 11814.25, 2.5%-97.5% 10015-14568, retained EXH:ABA EXH:OSCE ABA:OSCE
    EXH:HRW OSCE:HRW and both eligible triples (MCMC: agreement to Monte Carlo error)."""
    fit = MSE(method="bayes", max_order=3, seed=7, mcmc=8000).fit(mse_data("Kosovo"))
    b = fit.result_.bayes
    assert fit.estimate_ == pytest.approx(11814.25, rel=0.03)
    assert b["quantiles"]["0.025"] == pytest.approx(10015, rel=0.05)
    assert b["quantiles"]["0.975"] == pytest.approx(14568, rel=0.06)
    assert {t["term"] for t in fit.model_.terms} == {
        "EXH:ABA", "EXH:OSCE", "ABA:OSCE", "EXH:HRW", "OSCE:HRW", "EXH:ABA:OSCE", "EXH:OSCE:HRW"}
    assert b["pair_ratios"]["ABA:HRW"] < 1 and b["pair_ratios"]["ABA:OSCE"] > 10
    assert b["rhat"] < 1.05
    assert set(fit.intervals_) == {"bayes"}


def test_bayes_improper_prior_needs_an_existing_start(mse_data):
    with pytest.raises(LanternError, match="flat priors"):
        MSE(method="bayes", prior="improper", mcmc=500, burnin=100).fit(mse_data("Artificial_3"))


def test_stratified_estimates_add_up():
    rng = np.random.default_rng(4)
    rows = []
    for sex, p in (("f", [0.3, 0.2, 0.25]), ("m", [0.1, 0.08, 0.12])):
        probs = loglinear_probabilities(p)
        counts = draw_tables(3000, probs, 1, rng)[0]
        t = CaptureTable(("A", "B", "C"), counts)
        for r in t.to_rows():
            rows.append({"A": r["A"], "B": r["B"], "C": r["C"], "count": r["count"], "sex": sex})
    frame = pd.DataFrame(rows)
    res = estimate_by_stratum(frame, "sex", method="main", bootstrap=100, seed=1)
    assert set(res.strata) == {"f", "m"}
    assert res.total == pytest.approx(sum(r.estimate for r in res.strata.values()))
    assert res.total == pytest.approx(6000, rel=0.1)
    lo, hi = res.interval_95
    assert lo < res.total < hi
    with pytest.raises(LanternError, match="fewer than"):
        estimate_by_stratum(frame, "sex", method="main", min_observed=10**6)


def test_coverage_smoke_when_the_model_holds():
    """A small version of the benchmark's coverage study: fixed true model, log-normal intervals."""
    rng = np.random.default_rng(2026)
    N = 2000
    probs = loglinear_probabilities([0.2, 0.15, 0.25], {0b011: 0.7})
    tables = draw_tables(N, probs, 60, rng)
    hits, ests = [], []
    for counts in tables:
        fit = MSE(method="fixed", model="[12,3]", intervals=["lognormal"], levels=(0.95,)).fit(
            CaptureTable(("A", "B", "C"), counts))
        lo, hi = fit.intervals_["lognormal"][0.95]
        hits.append(lo <= N <= hi)
        ests.append(fit.estimate_)
    assert 0.85 <= np.mean(hits) <= 1.0
    assert abs(np.mean(ests) / N - 1) < 0.03


def test_heterogeneity_biases_estimates_downwards():
    """Latent classes with different capture rates: MSE underestimates (documented in the docs)."""
    rng = np.random.default_rng(1)
    N = 3000
    probs = mixture_probabilities([(0.3, [0.5, 0.4, 0.5]), (0.7, [0.08, 0.06, 0.1])])
    ests = [MSE(method="main", intervals=[]).fit(CaptureTable(("A", "B", "C"), c)).estimate_
            for c in draw_tables(N, probs, 20, rng)]
    assert np.mean(ests) < 0.85 * N


def test_latent_class_recovers_homogeneous_population():
    rng = np.random.default_rng(12)
    N = 2000
    counts = draw_tables(N, loglinear_probabilities([0.2, 0.15, 0.25, 0.1]), 1, rng)[0]
    fit = MSE(method="latent", mcmc=3000, burnin=500, seed=1).fit(CaptureTable(("A", "B", "C", "D"), counts))
    lo, hi = fit.intervals_["latent"][0.95]
    assert lo < N < hi and fit.estimate_ == pytest.approx(N, rel=0.12)
    assert fit.model_.string.startswith("LCMCR") and fit.result_.to_dict()["intervals"]["latent"]


def test_latent_class_less_biased_than_independence_under_heterogeneity():
    rng = np.random.default_rng(3)
    N = 3000
    probs = mixture_probabilities([(0.4, [0.5, 0.4, 0.5, 0.45]), (0.6, [0.1, 0.08, 0.12, 0.1])])
    tables = [CaptureTable(("A", "B", "C", "D"), c) for c in draw_tables(N, probs, 3, rng)]
    main = np.mean([MSE(method="main", intervals=[]).fit(t).estimate_ for t in tables])
    latent = np.mean([MSE(method="latent", mcmc=3000, burnin=500, seed=k).fit(t).estimate_
                      for k, t in enumerate(tables)])
    assert abs(latent - N) < abs(main - N)
