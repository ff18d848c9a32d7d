"""Bayesian thresholding (Silverman 2020, section 6) with a random-walk Metropolis sampler.

Model: Poisson log-linear on the observable cells. Priors: flat on the intercept and main effects;
independent N(0, ``prior_variance``) on interactions (``prior="proper"``, the default of
MultipleSystemsEstimation) or flat (``prior="improper"``; interactions whose lists share nobody are
then at minus infinity and their cells are dropped, and the model must pass the existence check).

Procedure (as MultipleSystemsEstimation ``estimate_population_bayesthresh``): fit the model with all
two-list interactions by MCMC; keep the interactions whose |posterior mean / posterior sd| is at
least ``threshold`` (default 2); with ``max_order=3`` consider the three-list interactions whose three
pairs were all kept, fit, threshold them the same way; refit the retained model. The posterior of the
total is ``observed + exp(intercept)``; the point estimate is its posterior median.

Sampler: several chains run in lock-step (vectorised), started at the posterior mode found by
penalised IRLS, with Gaussian proposals scaled ``2.38**2 / p`` times the inverse Hessian at the mode
(MCMCpack's ``MCMCpoisson`` uses the same kind of proposal). Convergence is reported through the
split potential scale reduction factor (R-hat) of the intercept.

References
----------
Silverman, B. W. (2020). Multiple-systems analysis for the quantification of modern slavery:
classical and Bayesian approaches. *JRSS A* 183, 691-736.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from lantern.errors import EstimationError
from lantern.estimation.existence import ADVICE, check_model, describe_code, face_of
from lantern.estimation.glm import fit_poisson_batch
from lantern.estimation.models import design_matrix, hierarchical_closure, main_effects, popcount


@dataclass
class MCMCFit:
    terms: tuple[int, ...]
    samples: np.ndarray  # (draws, P)
    rhat: float
    acceptance: float

    def ratio(self) -> dict[int, float]:
        m = self.samples.mean(axis=0)
        s = self.samples.std(axis=0, ddof=1)
        return {term: float(abs(m[k]) / s[k]) if s[k] > 0 else float("inf")
                for k, term in enumerate(self.terms) if popcount(term) >= 2}


@dataclass
class BayesResult:
    model: frozenset[int]
    total_draws: np.ndarray
    pair_ratios: dict[int, float]
    triple_ratios: dict[int, float] = field(default_factory=dict)
    neg_inf_terms: tuple[int, ...] = ()
    rhat: float = float("nan")
    acceptance: float = float("nan")


def _mcmc(t: int, counts: np.ndarray, model, prior: str, prior_variance: float, *, burnin: int,
          draws: int, chains: int, rng: np.random.Generator) -> MCMCFit:
    counts = np.asarray(counts, float)
    if prior == "improper":
        face = face_of(t, frozenset(model), counts.astype(np.int64))
        terms, mask = face.fitted_terms, face.cell_mask
    else:
        terms = tuple(sorted(model, key=lambda s: (popcount(s), s)))
        mask = np.ones(len(counts), bool)
    X = design_matrix(t, terms)[mask]
    y = counts[mask]
    P = len(terms)
    prec = np.array([1.0 / prior_variance if (prior == "proper" and popcount(s) >= 2) else 0.0 for s in terms])
    mode = fit_poisson_batch(X, y[None, :], prior_precision=prec)
    beta0 = mode.coef[0]
    assert mode.cov is not None  # fit_poisson_batch computes it by default
    cov = mode.cov[0]
    cov = (cov + cov.T) / 2 + 1e-12 * np.eye(P)
    L = np.linalg.cholesky(cov * (2.38**2 / P))

    def logpost(b):  # b: (chains, P)
        eta = b @ X.T
        return (y * eta - np.exp(np.minimum(eta, 700))).sum(axis=1) - 0.5 * (prec * b**2).sum(axis=1)

    cur = beta0 + (rng.standard_normal((chains, P)) @ L.T) * 0.5
    lp = logpost(cur)
    total = burnin + draws
    out = np.empty((draws, chains, P))
    acc = 0
    for i in range(total):
        prop = cur + rng.standard_normal((chains, P)) @ L.T
        lpp = logpost(prop)
        ok = np.log(rng.random(chains)) < lpp - lp
        cur = np.where(ok[:, None], prop, cur)
        lp = np.where(ok, lpp, lp)
        if i >= burnin:
            out[i - burnin] = cur
            acc += ok.sum()
    rhat = _split_rhat(out[:, :, 0])
    return MCMCFit(terms, out.reshape(draws * chains, P), rhat, acc / (draws * chains))


def _split_rhat(x: np.ndarray) -> float:
    """Split-chain R-hat (Gelman et al.) for draws x of shape (draws, chains)."""
    n = x.shape[0] // 2
    if n < 2:
        return float("nan")
    parts = np.concatenate([x[:n], x[n:2 * n]], axis=1)
    w = parts.var(axis=0, ddof=1).mean()
    b = n * parts.mean(axis=0).var(ddof=1)
    var = (n - 1) / n * w + b / n
    return float(np.sqrt(var / w)) if w > 0 else float("nan")


def bayes_threshold(
    t: int, counts: np.ndarray, *, prior: str = "proper", prior_variance: float = 1.0,
    threshold: float = 2.0, max_order: int = 2, burnin: int = 1000, draws: int = 10000, chains: int = 4,
    seed: int | None = None,
) -> BayesResult:
    """Run the thresholding procedure; see the module docstring."""
    if prior not in ("proper", "improper"):
        raise EstimationError(f"unknown prior {prior!r}: use 'proper' or 'improper'", field="prior")
    if max_order not in (2, 3):
        raise EstimationError("Bayesian thresholding supports max order 2 or 3", field="max_order")
    if max_order == 3 and t < 4:
        max_order = 2
    rng = np.random.default_rng(seed)
    counts = np.asarray(counts)
    base = main_effects(t)
    pairs = [(1 << i) | (1 << j) for i, j in combinations(range(t), 2)]
    full = frozenset(base | set(pairs))
    if prior == "improper":
        code = check_model(t, full, counts)
        if code:
            raise EstimationError(
                f"with flat priors the all-pairs starting model fails: {describe_code(code)}. "
                "Use the default proper prior. " + ADVICE, field="prior")
    per_chain = max(draws // chains, 100)
    f1 = _mcmc(t, counts, full, prior, prior_variance, burnin=burnin, draws=per_chain, chains=chains, rng=rng)
    neg = face_of(t, full, counts).neg_inf_terms if prior == "improper" else ()
    r1 = f1.ratio()
    for s in neg:
        r1[s] = float("inf")
    kept = [s for s in pairs if r1.get(s, 0.0) >= threshold]
    model = frozenset(base | set(kept))
    r3: dict[int, float] = {}
    if max_order == 3:
        triples = [a | b | c for a, b, c in combinations(kept, 3)
                   if popcount(a | b | c) == 3]
        triples = sorted(set(triples))
        ext = frozenset(model | set(triples))
        if triples and (prior == "proper" or check_model(t, ext, counts) & 1 == 0):
            f3 = _mcmc(t, counts, ext, prior, prior_variance, burnin=burnin, draws=per_chain, chains=chains,
                       rng=rng)
            r3 = {s: v for s, v in f3.ratio().items() if popcount(s) == 3}
            model = frozenset(model | {s for s, v in r3.items() if v >= threshold})
    model = hierarchical_closure(model)
    final = _mcmc(t, counts, model, prior, prior_variance, burnin=burnin, draws=per_chain, chains=chains, rng=rng)
    total = counts.sum() + np.exp(final.samples[:, 0])
    return BayesResult(model, total, {s: r1[s] for s in pairs}, r3, tuple(neg), final.rhat, final.acceptance)
