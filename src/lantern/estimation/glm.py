"""Batched Poisson log-linear fits by iteratively reweighted least squares (IRLS).

One design matrix ``X`` (cells x terms) is shared by a whole batch; each batch member has its own
counts, its own *cell mask* (cells dropped because an interaction is at its extended-MLE value of
minus infinity) and its own *term mask* (the terms of its model). Masked terms get an identity row
in the normal equations and a zero right-hand side, so their coefficients stay at zero and the
remaining system is exactly the fit of the smaller model. This lets thousands of bootstrap
replicates and hundreds of candidate models be fitted in a few vectorised numpy calls.

The iteration starts, like R's ``glm``, from ``mu = y + 0.1`` and stops when the relative change of
the deviance is below ``tol`` for every member (R uses 1e-8; we default to 1e-10).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

ETA_MAX = 700.0


@dataclass
class BatchFit:
    """Results of a batched fit (leading axis = batch member)."""

    coef: np.ndarray        # (B, P), zero for masked terms
    mu: np.ndarray          # (B, C) fitted means (0 on masked cells)
    loglik: np.ndarray      # (B,) Poisson log-likelihood over the unmasked cells
    deviance: np.ndarray    # (B,)
    cov: np.ndarray | None  # (B, P, P) inverse information (masked terms: zero rows/cols)
    converged: np.ndarray   # (B,) bool
    iterations: int
    step: np.ndarray | None = None  # (B,) size of one more Newton step (large = estimate runs off)

    @property
    def dark(self) -> np.ndarray:
        """Fitted mean of the unobserved all-zero history: exp(intercept)."""
        return np.exp(self.coef[:, 0])


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(a, b[..., None])[..., 0]
    except np.linalg.LinAlgError:  # some member singular: minimum-norm solutions for the batch
        return np.matmul(np.linalg.pinv(a), b[..., None])[..., 0]


def fit_poisson_batch(
    X: np.ndarray,
    y: np.ndarray,
    cell_mask: np.ndarray | None = None,
    term_mask: np.ndarray | None = None,
    *,
    tol: float = 1e-10,
    max_iter: int = 100,
    with_cov: bool = True,
    prior_precision: np.ndarray | None = None,
) -> BatchFit:
    """Fit Poisson log-linear models by IRLS for a batch.

    Parameters
    ----------
    X : (C, P) array
        Shared design matrix (cells x terms).
    y : (B, C) array
        Counts, one row per batch member.
    cell_mask : (B, C) bool array, optional
        True for cells that enter the likelihood (default: all).
    term_mask : (B, P) bool array, optional
        True for the terms in each member's model (default: all).
    prior_precision : (P,) array, optional
        Adds a zero-mean Gaussian penalty ``0.5 * sum(prec * beta**2)`` (posterior mode of a
        Bayesian fit); ``None`` for maximum likelihood.

    Returns
    -------
    BatchFit
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.atleast_2d(np.asarray(y, dtype=np.float64))
    B, C = y.shape
    P = X.shape[1]
    cm = np.ones((B, C), bool) if cell_mask is None else np.broadcast_to(cell_mask, (B, C))
    tm = np.ones((B, P), bool) if term_mask is None else np.broadcast_to(term_mask, (B, P))
    cmf = cm.astype(np.float64)
    tmf = tm.astype(np.float64)
    # Terms with no unmasked cell are dropped too (their column is all zero on the kept cells).
    active_cols = (cmf @ (X != 0)) > 0
    tmf = tmf * active_cols
    eye = np.eye(P)
    free = 1.0 - tmf  # identity for masked terms
    prec = np.zeros(P) if prior_precision is None else np.asarray(prior_precision, float)

    XT = X.T
    XX = (X[:, :, None] * X[:, None, :]).reshape(X.shape[0], P * P)  # (C, P*P): one GEMM per step

    mask2 = (tmf[:, :, None] * tmf[:, None, :]).reshape(B, P * P)
    free_eye = (free[:, :, None] * eye[None]).reshape(B, P * P)
    if prior_precision is not None:
        free_eye = free_eye + mask2 * (prec[:, None] * eye).reshape(1, P * P)

    def normal_eq(w, z, idx):
        a = (w @ XX) * mask2[idx] + free_eye[idx]     # (b, P*P), masked terms -> identity
        rhs = ((w * z) @ X) * tmf[idx]                # (b, P)
        return a.reshape(-1, P, P), rhs

    # R glm's start: mu = y + 0.1
    mu = y + 0.1
    eta = np.log(mu)
    a, rhs = normal_eq(mu * cmf, eta + (y - mu) / mu, slice(None))
    beta = _solve(a, rhs)
    dev_old = np.full(B, np.inf)
    converged = np.zeros(B, bool)
    active = np.arange(B)
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 (reported after the loop)
        b_act = beta[active]
        eta = np.minimum(b_act @ XT, ETA_MAX)
        mu = np.exp(eta)
        ya, ca = y[active], cmf[active]
        dev = _deviance(ya, mu, ca) + (prec * b_act**2).sum(axis=1)
        conv = np.abs(dev - dev_old[active]) / (np.abs(dev) + 0.1) < tol
        converged[active[conv]] = True
        dev_old[active] = dev
        keep = ~conv
        if not keep.any():
            break
        active, eta, mu, ya, ca = active[keep], eta[keep], mu[keep], ya[keep], ca[keep]
        z = eta + (ya - mu) / np.maximum(mu, 1e-300)
        a, rhs = normal_eq(mu * ca, z, active)
        beta[active] = _solve(a, rhs)
    eta = np.minimum(beta @ XT, ETA_MAX)
    mu = np.exp(eta)
    a, rhs = normal_eq(mu * cmf, eta + (y - mu) / np.maximum(mu, 1e-300), slice(None))
    step = np.abs(_solve(a, rhs) - beta).max(axis=1)
    mu = mu * cmf
    ll = (np.where(cm, y * np.log(np.where(mu > 0, mu, 1.0)) - mu - gammaln(y + 1), 0.0)).sum(axis=1)
    cov = None
    if with_cov:
        a, _ = normal_eq(mu * cmf, np.zeros_like(mu), slice(None))
        try:
            cov = np.linalg.inv(a)
        except np.linalg.LinAlgError:
            cov = np.linalg.pinv(a)
        cov = cov * tmf[:, :, None] * tmf[:, None, :]
    return BatchFit(beta, mu, ll, _deviance(y, mu, cmf), cov, converged, iterations, step)


def _deviance(y: np.ndarray, mu: np.ndarray, cmf: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(y / np.maximum(mu, 1e-300)), 0.0) - (y - mu)
    return 2.0 * (term * cmf).sum(axis=1)


def fit_poisson_packed(
    Xb: np.ndarray, y: np.ndarray, cell_mask: np.ndarray, *, tol: float = 1e-10, max_iter: int = 100,
    with_cov: bool = True, start: np.ndarray | None = None,
) -> BatchFit:
    """IRLS with one small design per member: ``Xb`` is (B, C, k), every column in the model.

    Used when the members' models differ: packing each model's own terms into ``k`` columns keeps
    the normal equations ``k x k`` instead of the size of the union of all models' terms.
    """
    Xb = np.asarray(Xb, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    B, C, k = Xb.shape
    cmf = np.asarray(cell_mask, dtype=np.float64)
    XbT = np.ascontiguousarray(Xb.transpose(0, 2, 1))  # (B, k, C)

    def normal_eq(idx, w, z):
        xw = XbT[idx] * w[:, None, :]
        return np.matmul(xw, Xb[idx]), np.matmul(xw, z[:, :, None])[..., 0]

    def linpred(idx, beta):
        return np.minimum(np.matmul(Xb[idx], beta[:, :, None])[..., 0], ETA_MAX)

    all_idx = np.arange(B)
    if start is not None:  # warm start (e.g. bootstrap replicates from the original-data fit)
        beta = np.array(start, dtype=np.float64)
    else:
        mu = y + 0.1
        eta = np.log(mu)
        beta = _solve(*normal_eq(all_idx, mu * cmf, eta + (y - mu) / mu))
    dev_old = np.full(B, np.inf)
    converged = np.zeros(B, bool)
    active = all_idx
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 (reported after the loop)
        eta = linpred(active, beta[active])
        mu = np.exp(eta)
        ya, ca = y[active], cmf[active]
        dev = _deviance(ya, mu, ca)
        conv = np.abs(dev - dev_old[active]) / (np.abs(dev) + 0.1) < tol
        converged[active[conv]] = True
        dev_old[active] = dev
        keep = ~conv
        if not keep.any():
            break
        active, eta, mu, ya, ca = active[keep], eta[keep], mu[keep], ya[keep], ca[keep]
        beta[active] = _solve(*normal_eq(active, mu * ca, eta + (ya - mu) / np.maximum(mu, 1e-300)))
    if start is not None and not converged.all():  # a warm start that failed: start again from y + 0.1
        bad = np.flatnonzero(~converged)
        redo = fit_poisson_packed(Xb[bad], y[bad], cmf[bad] > 0, tol=tol, max_iter=max_iter, with_cov=False)
        beta[bad] = redo.coef
        converged[bad] = redo.converged
    eta = linpred(all_idx, beta)
    mu = np.exp(eta)
    a, rhs = normal_eq(all_idx, mu * cmf, eta + (y - mu) / np.maximum(mu, 1e-300))
    step = np.abs(_solve(a, rhs) - beta).max(axis=1)
    mu = mu * cmf
    ll = (np.where(cmf > 0, y * np.log(np.where(mu > 0, mu, 1.0)) - mu - gammaln(y + 1), 0.0)).sum(axis=1)
    cov = None
    if with_cov:
        try:
            cov = np.linalg.inv(a)
        except np.linalg.LinAlgError:
            cov = np.linalg.pinv(a)
    return BatchFit(beta, mu, ll, _deviance(y, mu, cmf), cov, converged, iterations, step)
