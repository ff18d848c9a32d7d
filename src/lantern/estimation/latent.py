"""Latent-class MSE for heterogeneous capture: a Gibbs sampler for the LCMCR model.

Model (Manrique-Vallier 2016, the R package LCMCR): every person belongs to one of ``K`` latent
classes (truncated stick-breaking / Dirichlet-process prior on the class weights, concentration
``alpha ~ Gamma(0.25, 0.25)``); within a class the lists capture independently with probabilities
``lambda[j, k] ~ Beta(1, 1)``; prior ``p(N) ~ 1/N`` on the population size. Classes absorb
heterogeneity of capture (some people visible to every agency, others to none), which biases
log-linear estimates downwards.

Sampler (data augmentation, all steps conjugate): draw the number unobserved given the parameters
(negative binomial), allocate observed histories and unobserved people to classes (multinomial per
history), then update capture probabilities (beta), stick-breaking weights (beta) and ``alpha``
(gamma). Counts are handled per history, so each sweep costs O(cells x K).

Caveats: with few lists the class structure is weakly identified and the posterior for N can be
very wide; the model assumes independence within classes (list-to-list referral is not modelled).

References
----------
Manrique-Vallier, D. (2016). Bayesian population size estimation using Dirichlet process mixtures.
*Biometrics* 72, 1246-1254.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lantern.estimation.table import cell_histories


@dataclass
class LatentResult:
    total_draws: np.ndarray
    n_classes_used: np.ndarray  # classes holding at least one person, per draw


def lcmcr(
    counts: np.ndarray, t: int, *, K: int = 10, burnin: int = 2000, draws: int = 10000, thin: int = 1,
    a_alpha: float = 0.25, b_alpha: float = 0.25, seed: int | None = None,
) -> LatentResult:
    """Posterior draws of the total population under the LCMCR model."""
    rng = np.random.default_rng(seed)
    y = np.asarray(counts, dtype=np.int64)
    H = cell_histories(t).astype(np.float64)  # (C, t)
    n = int(y.sum())
    lam = rng.uniform(0.2, 0.8, size=(t, K))
    alpha = 1.0
    v = rng.beta(1, alpha, size=K)
    v[-1] = 1.0
    pi = v * np.concatenate([[1.0], np.cumprod(1 - v[:-1])])
    out_n = np.empty(draws)
    out_k = np.empty(draws, dtype=np.int64)
    total = burnin + draws * thin
    pos = y > 0
    Hp, yp = H[pos], y[pos]
    kept = 0
    for it in range(total):
        loglam, log1m = np.log(lam), np.log1p(-lam)
        q0 = np.exp(log1m.sum(axis=0))               # P(unobserved | class)
        p0 = float(np.clip((pi * q0).sum(), 1e-300, 1 - 1e-12))
        # N - n | rest ~ NegBin(n, 1 - p0) under p(N) ~ 1/N
        n0 = int(rng.negative_binomial(n, 1 - p0))
        # allocate observed histories to classes
        logp = Hp @ loglam + (1 - Hp) @ log1m + np.log(np.maximum(pi, 1e-300))[None, :]
        prob = np.exp(logp - logp.max(axis=1, keepdims=True))
        prob /= prob.sum(axis=1, keepdims=True)
        alloc = np.vstack([rng.multinomial(c, p) for c, p in zip(yp, prob, strict=True)])  # (Cp, K)
        w0 = pi * q0
        alloc0 = rng.multinomial(n0, w0 / w0.sum()) if n0 > 0 else np.zeros(K, dtype=np.int64)
        m = alloc.sum(axis=0) + alloc0                # people per class
        caught = Hp.T @ alloc                         # (t, K) captures per list and class
        lam = rng.beta(1 + caught, 1 + m[None, :] - caught)
        lam = np.clip(lam, 1e-10, 1 - 1e-10)
        tail = np.concatenate([np.cumsum(m[::-1])[::-1][1:], [0]])
        v = np.clip(rng.beta(1 + m, alpha + tail), 1e-12, 1 - 1e-12)
        v[-1] = 1.0
        pi = v * np.concatenate([[1.0], np.cumprod(1 - v[:-1])])
        alpha = max(rng.gamma(a_alpha + K - 1, 1.0 / (b_alpha - np.log1p(-v[:-1]).sum())), 1e-6)
        if it >= burnin and (it - burnin) % thin == 0:
            out_n[kept] = n + n0
            out_k[kept] = int((m > 0).sum())
            kept += 1
    return LatentResult(out_n[:kept], out_k[:kept])
