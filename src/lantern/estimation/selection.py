"""Model fitting and model choice, vectorised over batches of tables.

* :func:`fit_models` fits one model per batch member (extended MLE: interactions whose lists share
  nobody go to minus infinity and their cells drop out), returning population estimates.
* :func:`stepwise` is the forward stepwise method of Chan, Silverman & Vincent (2021), as
  implemented in SparseMSE's ``stepwisefit``: from main effects, repeatedly add the two-list
  interaction with the smallest Poisson p-value of its overlap count, provided the p-value is below
  ``threshold`` and the enlarged model passes the existence and identifiability checks.
* :func:`score_models` fits a set of hierarchical models and scores them by BIC or AIC as in
  MultipleSystemsEstimation's ``fit_hier_model`` (penalty counts every parameter of the model,
  including those at minus infinity; BIC uses the number of observed people as sample size).

Every function takes a batch ``y`` of shape (B, 2**t - 1) so that bootstrap and jackknife
replicates run together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import poisson

from lantern.estimation.existence import (
    check_model,
    check_models,
    face_of,
    identifiability,
    warm_rank_cache,
)
from lantern.estimation.glm import BatchFit, fit_poisson_batch, fit_poisson_packed
from lantern.estimation.models import all_terms, design_matrix, main_effects, popcount
from lantern.estimation.table import cell_histories


@dataclass
class BatchResult:
    """Population estimates (and fits) for a batch of tables."""

    models: list[frozenset[int]]
    estimate: np.ndarray       # (B,) observed + exp(intercept); NaN when no valid fit
    dark: np.ndarray           # (B,)
    intercept_var: np.ndarray  # (B,)
    loglik: np.ndarray         # (B,)
    deviance: np.ndarray       # (B,)
    codes: np.ndarray          # (B,) existence/identifiability code of the final model
    fit: BatchFit | None = None
    universe: tuple[int, ...] = ()
    cell_masks: np.ndarray | None = None


def _universe(models) -> tuple[int, ...]:
    terms: set[int] = set()
    for m in models:
        terms |= set(m)
    return tuple(sorted(terms, key=lambda s: (popcount(s), s)))


def fit_models(
    t: int, y: np.ndarray, models: list[frozenset[int]], *, check: bool = True, with_cov: bool = True,
    chunk: int = 4096, start: np.ndarray | None = None,
) -> BatchResult:
    """Fit ``models[b]`` to ``y[b]`` for every batch member (extended MLE).

    ``start`` (B, P) optionally gives starting coefficients over the union of the models' terms
    (sorted by order then bit pattern), e.g. the original-data fits when fitting bootstrap replicates.
    """
    y = np.atleast_2d(np.asarray(y, dtype=np.float64))
    B, C = y.shape
    if len(models) == 1 and B > 1:
        models = models * B
    universe = _universe(models)
    X = design_matrix(t, universe)
    col = {s: k for k, s in enumerate(universe)}
    P = len(universe)
    term_mask = np.zeros((B, P), bool)
    cell_mask = np.ones((B, C), bool)
    yi = y.astype(np.int64)
    ident = np.zeros(B, dtype=np.int64)
    faces: dict = {}
    packed = np.packbits(yi > 0, axis=1)
    supports = [r.tobytes() for r in packed]
    uniq: dict[tuple[frozenset[int], bytes], int] = {}
    for b, m in enumerate(models):
        uniq.setdefault((m, supports[b]), b)
    warm_rank_cache(t, [face_of(t, m, yi[b], sup) for (m, sup), b in uniq.items()])
    for b, m in enumerate(models):
        key = (m, supports[b])
        hit = faces.get(key)
        if hit is None:
            hit = faces[key] = identifiability(t, m, yi[b], supports[b])
        ident[b], face = hit
        for s in face.fitted_terms:
            term_mask[b, col[s]] = True
        cell_mask[b] = face.cell_mask
    coef = np.zeros((B, P))
    mu = np.zeros((B, C))
    ll = np.full(B, np.nan)
    dev = np.full(B, np.nan)
    ivar = np.full(B, np.nan)
    step = np.full(B, np.inf)
    conv = np.zeros(B, bool)
    cov_all = np.zeros((B, P, P)) if with_cov else None
    idx = np.flatnonzero(ident == 0) if check else np.arange(B)
    # Members sharing the same fitted terms (typically bootstrap replicates of one model) use one
    # shared design and a single GEMM per IRLS step; the rest pack each member's own terms into k
    # columns, grouped by k (see fit_poisson_packed).
    groups: dict[bytes, list[int]] = {}
    for b in idx.tolist():
        groups.setdefault(np.packbits(term_mask[b]).tobytes(), []).append(b)
    shared = [np.asarray(g) for g in groups.values() if len(g) >= 16]
    rest = np.asarray(sorted(b for g in groups.values() if len(g) < 16 for b in g), dtype=np.int64)

    def store(sl, cols, f):
        coef[sl[:, None], cols] = f.coef
        mu[sl], ll[sl], dev[sl] = f.mu, f.loglik, f.deviance
        step[sl], conv[sl] = f.step, f.converged
        if with_cov:
            ivar[sl] = f.cov[:, 0, 0]
            cov_all[sl[:, None, None], cols[:, :, None], cols[:, None, :]] = f.cov

    for grp in shared:
        cols1 = np.flatnonzero(term_mask[grp[0]])
        for first in range(0, len(grp), chunk):
            sl = grp[first:first + chunk]
            f = fit_poisson_batch(X[:, cols1], y[sl], cell_mask[sl], with_cov=with_cov)
            store(sl, np.broadcast_to(cols1, (len(sl), len(cols1))), f)
    kk = term_mask.sum(axis=1)
    XT = X.T
    for kv in np.unique(kk[rest]) if len(rest) else []:
        grp = rest[kk[rest] == kv]
        for first in range(0, len(grp), chunk):
            sl = grp[first:first + chunk]
            cols = np.nonzero(term_mask[sl])[1].reshape(len(sl), kv)
            Xb = XT[cols].transpose(0, 2, 1)
            st = None if start is None else start[sl[:, None], cols]
            f = fit_poisson_packed(Xb, y[sl], cell_mask[sl], with_cov=with_cov, start=st)
            store(sl, cols, f)
    if check:
        suspect = (ident == 0) & ((step > 1e-6) | ~conv)
        codes = check_models(t, models, yi, suspect=suspect, supports=supports)
    else:
        codes = np.zeros(B, dtype=np.int64)
    ok = codes == 0
    dark = np.where(ok, np.exp(coef[:, 0]), np.nan)
    est = y.sum(axis=1) + dark
    fit = BatchFit(coef, mu, ll, dev, cov_all, ok, 0)
    return BatchResult(list(models), est, dark, ivar, ll, dev, codes, fit, universe, cell_mask)


def pair_terms(t: int) -> list[int]:
    return [s for s in all_terms(t, 2) if popcount(s) == 2]


def stepwise(
    t: int, y: np.ndarray, threshold: float = 0.02, *, record_path: bool = False,
) -> tuple[list[frozenset[int]], list[list[dict]]]:
    """Chan-Silverman-Vincent stepwise choice for every table in the batch.

    Returns the chosen model per batch member and, if ``record_path``, the sequence of steps
    (term added, its p-value, and the candidate p-values) for each member.
    """
    y = np.atleast_2d(np.asarray(y, dtype=np.float64))
    B, C = y.shape
    pairs = pair_terms(t)
    base = main_effects(t)
    models = [frozenset(base) for _ in range(B)]
    paths: list[list[dict]] = [[] for _ in range(B)]
    if threshold <= 0:
        return models, paths
    if threshold >= 1:
        full = frozenset(base | set(pairs))
        out = []
        for b in range(B):
            out.append(full if check_model(t, full, y[b].astype(np.int64)) == 0 else frozenset(base))
        return out, paths
    Xp = design_matrix(t, tuple(pairs))  # (C, npairs)
    nstar = y @ Xp                        # (B, npairs) observed overlaps
    included = np.zeros((B, len(pairs)), bool)
    # A table with an empty list (a bootstrap resample can have one) keeps main effects: the list's
    # main effect is at minus infinity, so SparseMSE's checkident finds no estimate for any model
    # with a pair added, and its stepwisefit stops there.
    active = (y @ cell_histories(t) > 0).all(axis=1)
    for _ in range(len(pairs)):
        idx = np.flatnonzero(active)
        if len(idx) == 0:
            break
        members: list[int] = idx.tolist()
        res = fit_models(t, y[idx], [models[b] for b in members], check=False, with_cov=False)
        assert res.fit is not None  # fit_models always fits when check=False
        pstar = res.fit.mu @ Xp  # masked cells have mu = 0
        n = nstar[idx]
        pval = np.minimum(poisson.cdf(n, pstar), poisson.sf(n - 1, pstar))
        pval = np.where(included[idx], 1.0, pval)
        # candidates per member, best p first (ties: lowest index, as SparseMSE)
        cands: dict[int, list[int]] = {}
        for k, b in enumerate(members):
            order = np.lexsort((np.arange(len(pairs)), pval[k]))
            cands[b] = [int(j) for j in order if pval[k, j] < threshold]
        ptr = {b: 0 for b in members}
        chosen: dict[int, int] = {}
        # Try every member's next candidate together: one batched fit, then the exact LP only for
        # fits whose Newton steps did not settle (see existence.check_models).
        while True:
            trial = [b for b in members if b not in chosen and ptr[b] < len(cands[b])]
            if not trial:
                break
            tmodels = [frozenset(models[b] | {pairs[cands[b][ptr[b]]]}) for b in trial]
            res_t = fit_models(t, y[trial], tmodels, check=True, with_cov=False)
            for b, code in zip(trial, res_t.codes, strict=True):
                if code == 0:
                    chosen[b] = cands[b][ptr[b]]
                else:
                    ptr[b] += 1
        for k, b in enumerate(members):
            if b not in chosen:
                active[b] = False
                continue
            j = chosen[b]
            if record_path:
                paths[b].append({"term": pairs[j], "p_value": float(pval[k, j]),
                                 "p_values": {pairs[i]: float(pval[k, i]) for i in range(len(pairs))
                                              if not included[b, i]}})
            included[b, j] = True
            models[b] = frozenset(models[b] | {pairs[j]})
    return models, paths


def score_models(
    t: int, y: np.ndarray, models: list[frozenset[int]], *, criterion: str = "bic", check: bool = True,
    start: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit every model to one table ``y`` (C,) or to a batch (B, C).

    Returns ``(estimate, score, codes)`` each of shape (B, M) (or (M,) for a single table), with
    ``score = npars * log(n) - 2 loglik`` for BIC (``n`` = number observed) or
    ``2 npars - 2 loglik`` for AIC; NaN where the model fails the existence/identifiability check.
    """
    y = np.asarray(y, dtype=np.float64)
    single = y.ndim == 1
    yb = np.atleast_2d(y)
    B, C = yb.shape
    M = len(models)
    rep_y = np.repeat(yb, M, axis=0)
    rep_m = [m for _ in range(B) for m in models]
    st = None if start is None else np.tile(np.asarray(start), (B, 1))
    res = fit_models(t, rep_y, rep_m, check=check, with_cov=False, start=st)
    npars = np.array([len(m) for m in rep_m], float)
    nobs = rep_y.sum(axis=1)
    if criterion == "bic":
        score = npars * np.log(nobs) - 2 * res.loglik
    elif criterion == "aic":
        score = 2 * npars - 2 * res.loglik
    else:
        raise ValueError(criterion)
    score = np.where(res.codes == 0, score, np.nan)
    est = np.where(res.codes == 0, res.estimate, np.nan)
    codes = res.codes
    if single:
        return est, score, codes
    return est.reshape(B, M), score.reshape(B, M), codes.reshape(B, M)


def best_by_score(est: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the estimate of the model with the smallest finite score (first on ties)."""
    s = np.where(np.isfinite(score), score, np.inf)
    j = np.argmin(s, axis=-1)
    rows = np.arange(s.shape[0])
    best = est[rows, j]
    best = np.where(np.isfinite(s[rows, j]), best, np.nan)
    return best, j
