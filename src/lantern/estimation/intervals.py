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
from scipy.optimize import brentq, minimize_scalar
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


def profile_maximum(t: int, model: frozenset[int], counts: np.ndarray, estimate: float) -> tuple[float, float, np.ndarray, np.ndarray]:
    """Maximum of the profile likelihood: ``(N_max, l_max, grid, l(grid))``.

    A grid from the observed count to 20 times the estimate locates the peak; a bounded scalar
    search between the grid points around it refines it (as Rcapture's ``optimize``). The peak,
    the multinomial estimate of N, lies a little below the Poisson estimate.
    """
    counts = np.asarray(counts, float)
    n = counts.sum()
    hi_guess = max(estimate * 20, n + 50)
    grid = n + np.concatenate([[0.0], np.geomspace(1e-3, hi_guess - n, 120)])
    ll = profile_loglik(t, model, counts, grid)
    k = int(np.nanargmax(ll))
    lo_b, hi_b = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
    if hi_b > lo_b:
        res = minimize_scalar(lambda x: -float(profile_loglik(t, model, counts, np.array([x]))[0]),
                              bounds=(lo_b, hi_b), method="bounded", options={"xatol": 1e-6 * max(1.0, hi_b)})
        if -res.fun > ll[k]:
            return float(res.x), float(-res.fun), grid, ll
    return float(grid[k]), float(ll[k]), grid, ll


def profile_interval(t: int, model: frozenset[int], counts: np.ndarray, estimate: float, level: float) -> tuple[float, float]:
    """Profile-likelihood interval for N (Rcapture ``closedpCI.t``), N >= observed.

    The limits are where the profile log-likelihood falls ``chi2_1(level) / 2`` below its maximum;
    the log-likelihood is Rcapture's up to a constant (its Stirling correction term is exact here).
    """
    counts = np.asarray(counts, float)
    n = counts.sum()
    crit = chi2.ppf(level, 1) / 2.0
    peak, lmax, grid, ll = profile_maximum(t, model, counts, estimate)

    def g(x):
        return float(profile_loglik(t, model, counts, np.array([x]))[0] - (lmax - crit))

    below = np.flatnonzero((grid < peak) & (ll < lmax - crit))
    if len(below) == 0:
        lo = n
    else:
        j = below[-1]
        lo = brentq(g, grid[j], min(grid[j + 1], peak), xtol=1e-6)
    above = np.flatnonzero((grid > peak) & (ll < lmax - crit))
    if len(above) == 0:
        return (float(lo), float("inf"))
    j = above[0]
    hi = brentq(g, max(grid[j - 1], peak), grid[j], xtol=1e-6)
    return (float(lo), float(hi))
