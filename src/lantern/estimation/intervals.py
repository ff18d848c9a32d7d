"""Interval estimates for the total population.

* :func:`lognormal_interval` - conditional on the chosen model, the dark figure is log-normal with
  log-scale standard error taken from the Poisson fit (SparseMSE ``estimatepopulation.0``).
* :func:`bca_interval` - bias-corrected and accelerated bootstrap limits (DiCiccio & Efron 1996),
  computed exactly as SparseMSE ``bcaconfvalues``: bias from the share of replicates below the
  estimate, acceleration from the count-weighted delete-one jackknife, quantiles of type 8.
* :func:`profile_interval` - profile-likelihood interval for N under the chosen model, the
  approach of Rcapture's ``closedpCI.t``: for each candidate N the unobserved cell gets N - n and the
  multinomial log-likelihood of the complete table is maximised over the model.

Caveats: the log-normal and profile intervals condition on the chosen model and ignore the
uncertainty of choosing it; the BCa interval re-runs the model choice on every resample and is the
one to quote when the model was chosen from the data.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq
from scipy.special import gammaln
from scipy.stats import chi2, norm

from lantern.estimation.existence import face_of
from lantern.estimation.glm import fit_poisson_batch
from lantern.estimation.models import design_matrix


def lognormal_interval(observed: float, intercept: float, intercept_var: float, level: float) -> tuple[float, float]:
    """``observed + exp(q)`` with ``q`` the normal quantiles of the intercept (SparseMSE)."""
    if not np.isfinite(intercept_var) or intercept_var < 0:
        return (float("nan"), float("nan"))
    a = (1 - level) / 2
    sd = np.sqrt(intercept_var)
    lo = observed + np.exp(norm.ppf(a, intercept, sd))
    hi = observed + np.exp(norm.ppf(1 - a, intercept, sd))
    return (float(lo), float(hi))


def acceleration(counts: np.ndarray, jack: np.ndarray) -> float:
    """BCa acceleration from delete-one jackknife estimates ``jack`` (one per cell, used where count > 0)."""
    counts = np.asarray(counts, float)
    pos = counts > 0
    jr = np.zeros_like(counts)
    jmean = (counts[pos] * jack[pos]).sum() / counts[pos].sum()
    jr[pos] = jmean - jack[pos]
    denom = 6.0 * (counts * jr**2).sum() ** 1.5
    if denom <= 0 or not np.isfinite(denom):
        return 0.0
    return float((counts * jr**3).sum() / denom)


def bca_limits(boot: np.ndarray, estimate: float, ahat: float, alpha) -> np.ndarray:
    """SparseMSE ``bcaconfvalues``: BCa quantiles of the bootstrap replicates at probabilities ``alpha``."""
    boot = np.asarray(boot, float)
    boot = boot[np.isfinite(boot)]
    if len(boot) == 0:
        return np.full(len(alpha), np.nan)
    share = float(np.mean(boot < estimate))
    share = min(max(share, 0.5 / len(boot)), 1 - 0.5 / len(boot))
    z0 = norm.ppf(share)
    za = norm.ppf(np.asarray(alpha, float))
    za0 = za + z0
    zq = norm.cdf(z0 + za0 / (1 - ahat * za0))
    return np.quantile(boot, zq, method="median_unbiased")


def bca_interval(boot, estimate, ahat, level) -> tuple[float, float]:
    a = (1 - level) / 2
    lo, hi = bca_limits(boot, estimate, ahat, [a, 1 - a])
    return (float(lo), float(hi))


def profile_loglik(t: int, model: frozenset[int], counts: np.ndarray, N: np.ndarray) -> np.ndarray:
    """Profile multinomial log-likelihood of total size ``N`` (vector) under ``model``."""
    counts = np.asarray(counts, float)
    n = counts.sum()
    face = face_of(t, model, counts.astype(np.int64))
    X = design_matrix(t, face.fitted_terms)[face.cell_mask]
    y = counts[face.cell_mask]
    dark_row = np.zeros((1, X.shape[1]))
    dark_row[0, 0] = 1.0
    Xf = np.vstack([X, dark_row])
    N = np.atleast_1d(np.asarray(N, float))
    Y = np.hstack([np.repeat(y[None, :], len(N), axis=0), (N - n)[:, None]])
    f = fit_poisson_batch(Xf, Y, with_cov=False)
    mu = f.mu
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(Y > 0, Y * np.log(mu / N[:, None]), 0.0)
    return gammaln(N + 1) - gammaln(N - n + 1) + terms.sum(axis=1)


def profile_interval(t: int, model: frozenset[int], counts: np.ndarray, estimate: float, level: float) -> tuple[float, float]:
    """Profile-likelihood interval for N (Rcapture ``closedpCI.t`` style), N >= observed."""
    counts = np.asarray(counts, float)
    n = counts.sum()
    crit = chi2.ppf(level, 1) / 2.0
    # locate the maximum of the profile on a grid, then refine
    hi_guess = max(estimate * 20, n + 50)
    grid = n + np.concatenate([[0.0], np.geomspace(1e-3, hi_guess - n, 120)])
    ll = profile_loglik(t, model, counts, grid)
    k = int(np.nanargmax(ll))
    lmax = ll[k]
    peak = grid[k]

    def g(x):
        return float(profile_loglik(t, model, counts, np.array([x]))[0] - (lmax - crit))

    if ll[0] >= lmax - crit:
        lo = n
    else:
        j = np.flatnonzero(ll[:k + 1] < lmax - crit)[-1]
        lo = brentq(g, grid[j], grid[j + 1]) if j + 1 <= k else n
    above = np.flatnonzero(ll[k:] < lmax - crit)
    if len(above) == 0:
        return (float(lo), float("inf"))
    j = k + above[0]
    hi = brentq(g, grid[j - 1] if j - 1 >= k else peak, grid[j])
    return (float(lo), float(hi))
