"""BCa bootstrap limits against the published R runs, and the bootstrap against an independent
re-implementation of SparseMSE's ``stepwisefit`` (statsmodels GLM + an LP per candidate model).

Why the published limits cannot all be matched to 3%: each is ONE run of R's random stream (1000
replicates, iseed 1234). The deterministic parts (point estimate, jackknife acceleration, model choice
on a given resample) agree with R exactly (see the tests below and test_estimation_references.py);
the random part differs from run to run by more than 3% for some limits. Western's 95% lower limit
is the BCa-adjusted quantile at probability about 1e-4, i.e. the smallest of the 1000 replicates: its
seed-to-seed standard deviation is 93 (7.5%). Measured over 40 seeds (``python -m benchmarks
estimation``): Western mean [1203, 3715], sd [93, 129]; Korea mean [129.2, 362.4], sd [1.0, 12.5].
"""

import numpy as np
import pytest
from scipy.optimize import linprog
from scipy.stats import norm, poisson

from lantern.estimation import MSE
from lantern.estimation.selection import fit_models, stepwise
from lantern.estimation.table import cell_histories

# (data, method, published 95% limits, published 80% limits or None, provenance)
PUBLISHED = [
    ("Western", "stepwise", (1293, 3670), None,
     "Chan, Silverman & Vincent (2021) section 4.2, SparseMSE estimatepopulation(Western, nboot=1000, "
     "pthresh=0.02): BCa 95% (1293, 3670); MultipleSystemsEstimation vignette reproduce-2021"),
    ("Korea", "bic", (128, 349), (135, 288),
     "Silverman, Chan & Vincent (2024) Table 3, Korea, BIC, all 6 eligible models, 1000 replicates"),
]


def _limits(table, method, seeds):
    fits = [MSE(method=method, bootstrap=1000, seed=s, intervals=["bca"], levels=(0.8, 0.95)).fit(table)
            for s in seeds]
    return {lvl: np.array([f.intervals_["bca"][lvl] for f in fits]) for lvl in (0.8, 0.95)}


@pytest.mark.parametrize("name,method,ref95,ref80,source", PUBLISHED, ids=[p[0] for p in PUBLISHED])
def test_published_bca_limits_within_monte_carlo_error(mse_data, name, method, ref95, ref80, source):
    """Every published limit lies within 2.5 seed-to-seed sd of our mean over 12 seeds; the limits
    whose Monte Carlo sd is small (Western upper, Korea lower) agree within 3%."""
    table = mse_data(name)
    by_level = _limits(table, method, range(100, 112))
    for level, ref in ((0.95, ref95), (0.8, ref80)):
        if ref is None:
            continue
        lims = by_level[level]
        mean, sd = lims.mean(axis=0), lims.std(axis=0, ddof=1)
        assert np.all(np.abs(mean - np.asarray(ref)) <= 2.5 * sd + 0.01 * np.asarray(ref)), (level, mean, sd, source)
        stable = 1 if name == "Western" else 0
        assert mean[stable] == pytest.approx(ref[stable], rel=0.03), (level, mean, source)


def test_western_lower_limit_is_the_smallest_replicate(mse_data):
    """With z0 < 0 and negative acceleration the 2.5% BCa level maps to a probability below
    (2/3)/(B + 1/3), where R's type-8 quantile is the sample minimum: the limit is an extreme value."""
    fit = MSE(method="stepwise", bootstrap=1000, seed=5, intervals=["bca"]).fit(mse_data("Western"))
    boot = fit.bootstrap_estimates_
    a = fit.result_.bootstrap["acceleration"]
    assert a == pytest.approx(-0.0950103, abs=1e-6)  # jackknife: deterministic, same as R's code path
    z0 = norm.ppf(np.mean(boot < fit.estimate_))
    za0 = norm.ppf(0.025) + z0
    p = norm.cdf(z0 + za0 / (1 - a * za0))
    assert p < (2 / 3) / (len(boot) + 1 / 3)
    assert fit.intervals_["bca"][0.95][0] == pytest.approx(boot.min())
    assert len(fit.result_.bootstrap["models_chosen"]) > 3  # model choice is repeated per replicate


# ---------------------------------------------------------------- independent stepwisefit (R logic)
def _build(H, y, pairs):
    keep = np.ones(len(y), bool)
    eff = []
    for i, j in pairs:
        if (H[:, i] * H[:, j] * y).sum() == 0:  # non-overlapping pair: its cells drop out
            keep &= ~((H[:, i] == 1) & (H[:, j] == 1))
        else:
            eff.append((i, j))
    X = np.column_stack([np.ones(len(y)), H] + [H[:, i] * H[:, j] for i, j in eff])
    return X[keep], y[keep], keep


def _checkident(H, y, pairs):
    X, yk, _ = _build(H, y, pairs)
    nobs, npar = X.shape
    c = np.zeros(nobs + 1)
    c[-1] = -1
    r = linprog(c, A_ub=np.hstack([-np.eye(nobs), np.ones((nobs, 1))]), b_ub=np.zeros(nobs),
                A_eq=np.hstack([X.T, np.zeros((npar, 1))]), b_eq=X.T @ yk,
                bounds=[(0, None)] * nobs + [(0, 1)], method="highs")
    return int(-r.fun < 1e-9) + 2 * int(npar > np.linalg.matrix_rank(X))


def _fit(H, y, pairs):
    import statsmodels.api as sm

    X, yk, keep = _build(H, y, pairs)
    g = sm.GLM(yk, X, family=sm.families.Poisson()).fit(tol=1e-10)
    mu = np.zeros(len(y))
    mu[keep] = g.mu
    return y.sum() + np.exp(g.params[0]), mu


def _stepwise_ref(H, y, pthresh=0.02):
    m = H.shape[1]
    ints = [(i, j) for i in range(m) for j in range(i + 1, m)]
    nstar = np.array([(H[:, i] * H[:, j] * y).sum() for i, j in ints])
    chosen, inc = [], np.zeros(len(ints), bool)
    est, mu = _fit(H, y, chosen)
    for _ in ints:
        pv = np.ones(len(ints))
        for k, (i, j) in enumerate(ints):
            if not inc[k]:
                ps = (mu * H[:, i] * H[:, j]).sum()
                pv[k] = min(poisson.cdf(nstar[k], ps), poisson.sf(nstar[k] - 1, ps))
                if _checkident(H, y, [*chosen, ints[k]]) > 0:
                    pv[k] = 1.0
        if pv.min() >= pthresh:
            break
        k = int(np.flatnonzero(pv == pv.min())[0])
        chosen.append(ints[k])
        inc[k] = True
        est, mu = _fit(H, y, chosen)
    return est


def test_bootstrap_replicates_match_an_independent_stepwisefit(mse_data):
    """The batched, vectorised model choice gives the same estimate as a plain per-replicate
    transcription of SparseMSE's stepwisefit on the same multinomial resamples (so the bootstrap
    distribution is R's, up to the random stream)."""
    table = mse_data("Western")
    t, y = table.n_lists, table.counts
    rng = np.random.default_rng(2021)
    Y = rng.multinomial(int(y.sum()), y / y.sum(), size=20)
    models, _ = stepwise(t, Y, 0.02)
    ours = fit_models(t, Y, models, with_cov=False).estimate
    H = cell_histories(t).astype(float)
    ref = np.array([_stepwise_ref(H, row.astype(float)) for row in Y])
    np.testing.assert_allclose(ours, ref, rtol=1e-6)
    assert len({tuple(sorted(m)) for m in models}) > 2  # the resamples do choose different models
