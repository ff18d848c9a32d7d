"""Bayesian model averaging over decomposable graphical models (Madigan & York 1997; R package dga).

Model
-----
Each of the ``2**t`` capture histories (including the unobserved all-zero one) has a probability;
a *decomposable graph* on the ``t`` lists states which lists may depend on each other (lists not
joined by an edge are conditionally independent given the others). For every decomposable graph
the cell probabilities get a hyper-Dirichlet prior (Dawid & Lauritzen 1993): the marginal table of
each clique has a Dirichlet prior with ``delta * 2**(t - |clique|)`` on every cell, i.e. the
marginals of one Dirichlet with ``delta`` on each of the ``2**t`` cells. The number of people on
no list, ``n0``, is unknown; its prior is ``p(N) ~ 1/N`` (the default of dga) or uniform, on a grid
``n0 = 0, 1, ..., max_missing``. Graphs get equal prior probability.

With the cell probabilities integrated out, the likelihood of a graph ``G`` and of ``n0`` is

    p(y, n0 | G) = N! / (n0! prod y!) * prod_C ML(C) / prod_S ML(S)

over the cliques ``C`` and separators ``S`` of ``G``, where ``ML(A)`` is the Dirichlet-multinomial
marginal likelihood of the marginal table over the lists in ``A`` (with ``n0`` added to its
all-zero cell). We compute it along a perfect elimination ordering as
``prod_v ML(fa(v)) / ML(pa(v))`` (the same product, telescoped; ``ML`` of the empty set is 1).
The joint posterior over (graph, n0) is exact on the grid - no MCMC - and the posterior of the
total ``N = n + n0`` is averaged over all decomposable graphs.

Assumptions and caveats
-----------------------
* Closed population; correct linkage; no unmodelled heterogeneity of capture (as for every
  log-linear method - heterogeneity biases the estimate downwards).
* Only decomposable graphical models: dependence among three or more lists beyond what the
  cliques allow is not represented; the saturated model (complete graph) is included and, with
  ``delta`` small, has a very wide posterior for ``n0``.
* The answer depends on ``delta`` (dga suggests ``2**-t``; Madigan & York used 0.5 or 1) and on
  the prior for ``N``; the grid must reach far enough: the posterior mass in the last tenth of the
  grid is reported and a warning raised when it is not negligible.
* Three to five lists (8, 61 and 822 decomposable graphs); more lists are refused (the number
  of graphs explodes: 18,154 for six lists).

References
----------
Madigan, D. & York, J. C. (1997). Bayesian methods for estimation of the size of a closed
population. *Biometrika* 84, 19-31.
Dawid, A. P. & Lauritzen, S. L. (1993). Hyper Markov laws in the statistical analysis of
decomposable graphical models. *Annals of Statistics* 21, 1272-1317.
Johndrow, J., Lum, K. & Ball, P. (2015). dga: Capture-recapture estimation using Bayesian model
averaging. R package (HRDAG; used for Kosovo, Syria, Guatemala).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations

import numpy as np
from scipy.special import gammaln

from lantern.errors import ValidationError

PRIORS_N = ("inverse", "uniform")


@dataclass(frozen=True)
class Graph:
    """A decomposable graph on lists ``0..t-1``: edges as bit pairs, cliques as bit masks."""

    t: int
    edges: tuple[tuple[int, int], ...]
    cliques: tuple[int, ...]          # maximal cliques, bit masks over lists
    families: tuple[tuple[int, int], ...]  # (fa(v), pa(v)) along a perfect elimination ordering

    def terms(self) -> frozenset[int]:
        """The log-linear terms of the graph's model: every non-empty subset of a clique."""
        out: set[int] = set()
        for c in self.cliques:
            sub = c
            while sub:
                out.add(sub)
                sub = (sub - 1) & c
        return frozenset(out)


def _is_clique(mask: int, adj: list[int]) -> bool:
    members = [i for i in range(len(adj)) if mask >> i & 1]
    return all(adj[a] >> b & 1 for a, b in combinations(members, 2))


def _perfect_ordering(t: int, adj: list[int]) -> list[int] | None:
    """Maximum cardinality search; returns the ordering if it is perfect (graph chordal), else None."""
    order: list[int] = []
    weight = [0] * t
    done = 0
    for _ in range(t):
        v = max((u for u in range(t) if not done >> u & 1), key=lambda u: (weight[u], -u))
        order.append(v)
        done |= 1 << v
        for u in range(t):
            if adj[v] >> u & 1 and not done >> u & 1:
                weight[u] += 1
    seen = 0
    for v in order:
        if not _is_clique(adj[v] & seen, adj):
            return None
        seen |= 1 << v
    return order


@lru_cache(maxsize=8)
def decomposable_graphs(t: int) -> tuple[Graph, ...]:
    """All decomposable (chordal) graphs on ``t`` labelled lists: 8, 61, 822 for t = 3, 4, 5."""
    pairs = list(combinations(range(t), 2))
    out = []
    for code in range(1 << len(pairs)):
        edges = tuple(p for k, p in enumerate(pairs) if code >> k & 1)
        adj = [0] * t
        for a, b in edges:
            adj[a] |= 1 << b
            adj[b] |= 1 << a
        order = _perfect_ordering(t, adj)
        if order is None:
            continue
        fam = []
        seen = 0
        for v in order:
            pa = adj[v] & seen
            fam.append((pa | 1 << v, pa))
            seen |= 1 << v
        complete = [m for m in range(1, 1 << t) if _is_clique(m, adj)]
        maximal = tuple(m for m in complete if not any(o != m and (o & m) == m for o in complete))
        out.append(Graph(t, edges, maximal, tuple(fam)))
    return tuple(out)


def _component_logml(full: np.ndarray, t: int, n0: np.ndarray, delta: float) -> np.ndarray:
    """``log ML(A)`` for every subset ``A`` (rows, bit masks 0..2**t-1) and every ``n0`` (columns).

    ``full`` holds the ``2**t`` cell counts indexed by history code, with 0 in the all-zero cell.
    ``ML(A)`` is the Dirichlet-multinomial probability of the marginal table over ``A`` with
    ``delta * 2**(t - |A|)`` on each of its cells and ``n0`` added to its all-zero cell.
    """
    codes = np.arange(1 << t)
    N = full.sum() + n0
    asum = delta * (1 << t)
    out = np.zeros((1 << t, len(n0)))
    for A in range(1 << t):
        k = bin(A).count("1")
        a = delta * (1 << (t - k))
        marg = np.bincount(codes & A, weights=full, minlength=1 << t)[[m for m in range(1 << t) if (m & A) == m]]
        # marg[0] is the marginal all-zero cell (index of submask 0 is first)
        rest = gammaln(marg[1:] + a).sum() - (len(marg) - 1) * gammaln(a)
        out[A] = (gammaln(asum) - gammaln(N + asum) + rest
                  + gammaln(marg[0] + n0 + a) - gammaln(a))
    return out


@dataclass
class DGAResult:
    """Posterior over (graph, number unobserved) on a grid.

    The joint posterior is ``exp(families[g] @ comp + base - log_total)``; it is not stored as a
    (graphs x grid) matrix (822 graphs x tens of thousands of grid points would take hundreds of
    megabytes): rows are rebuilt on demand.
    """

    graphs: tuple[Graph, ...]
    n_missing: np.ndarray            # grid of n0 values
    totals: np.ndarray               # observed + n_missing
    families: np.ndarray             # (graphs, 2**t): +1 per fa(v), -1 per pa(v)
    comp: np.ndarray                 # (2**t, grid) log ML of each marginal
    base: np.ndarray                 # (grid,) multinomial coefficient + log prior of N
    log_z: np.ndarray                # (graphs,) log of each graph's unnormalised mass
    log_total: float
    posterior_n: np.ndarray          # (grid,) model-averaged posterior of N
    delta: float
    prior_n: str
    tail_mass: float                 # posterior mass in the last tenth of the grid
    _rows: dict = field(default_factory=dict, repr=False)

    @property
    def model_probs(self) -> np.ndarray:
        return np.exp(self.log_z - self.log_total)

    def row(self, g: int) -> np.ndarray:
        """Posterior of N under graph ``g`` alone (normalised)."""
        hit = self._rows.get(g)
        if hit is not None:
            return hit
        return np.exp(self.families[g] @ self.comp + self.base - self.log_z[g])

    def cache_row(self, g: int) -> None:
        """Keep graph ``g``'s posterior (for repeated summaries of the same graph)."""
        self._rows[g] = self.row(g)

    def _w(self, row: int | None) -> np.ndarray:
        return self.posterior_n if row is None else self.row(row)

    def quantile(self, q: float, row: int | None = None) -> float:
        """dga's rule: the first N whose cumulative posterior exceeds ``q``."""
        cs = np.cumsum(self._w(row))
        return float(self.totals[min(int(np.searchsorted(cs, q, side="right")), len(cs) - 1)])

    def bayes_estimate(self, row: int | None = None) -> float:
        """Madigan & York's estimator under relative squared error loss: E[1/N] / E[1/N^2]."""
        w = self._w(row)
        return float((w / self.totals).sum() / (w / self.totals**2).sum())

    def mean(self, row: int | None = None) -> float:
        w = self._w(row)
        return float((w * self.totals).sum() / w.sum())

    def mode(self, row: int | None = None) -> float:
        return float(self.totals[int(np.argmax(self._w(row)))])


def bma_posterior(
    counts: np.ndarray, t: int, *, delta: float | None = None, prior_n: str = "inverse",
    max_missing: int | None = None, n_missing: np.ndarray | None = None, chunk: int = 64,
) -> DGAResult:
    """Posterior over decomposable graphs and the number unobserved (dga ``bma.cr``).

    Parameters
    ----------
    counts : array (2**t - 1,)
        Counts of the observable histories, row ``k`` is history code ``k + 1`` (bit ``j`` = list ``j``).
    t : int
        Number of lists, 3 to 5.
    delta : float, optional
        Hyper-Dirichlet prior weight per cell of the full table (default ``2**-t``, dga's suggestion).
    prior_n : {"inverse", "uniform"}
        Prior on the total ``N``: ``1/N`` (dga's default) or flat.
    max_missing : int, optional
        Upper end of the grid ``0..max_missing`` for the number unobserved (default
        ``max(2000, 20 * observed)``).
    n_missing : array, optional
        The grid itself (overrides ``max_missing``), e.g. ``np.arange(1, 301)`` as in dga's examples.
    """
    if not 3 <= t <= 5:
        raise ValidationError(
            f"Bayesian model averaging over decomposable graphs needs 3 to 5 lists (there are {t}); "
            "merge lists or use another method", field="method")
    if prior_n not in PRIORS_N:
        raise ValidationError(f"unknown prior on N {prior_n!r}; choose one of {', '.join(PRIORS_N)}",
                              field="prior_n")
    delta = 2.0 ** -t if delta is None else float(delta)
    if not delta > 0:
        raise ValidationError("the hyper-Dirichlet parameter delta must be positive", field="delta")
    y = np.asarray(counts, dtype=np.float64)
    if y.shape != ((1 << t) - 1,):
        raise ValidationError(f"expected {(1 << t) - 1} history counts for {t} lists, got {y.shape}",
                              field="counts")
    n = float(y.sum())
    if n_missing is None:
        top = int(max(2000, 20 * n)) if max_missing is None else int(max_missing)
        if top < 1:
            raise ValidationError("the grid for the number unobserved must reach at least 1",
                                  field="max_missing")
        n_missing = np.arange(0, top + 1, dtype=np.float64)
    n0 = np.asarray(n_missing, dtype=np.float64)
    full = np.concatenate([[0.0], y])
    comp = _component_logml(full, t, n0, delta)
    graphs = decomposable_graphs(t)
    fam = np.zeros((len(graphs), 1 << t))
    for g, graph in enumerate(graphs):
        for fa, pa in graph.families:
            fam[g, fa] += 1.0
            fam[g, pa] -= 1.0
    N = n + n0
    base = gammaln(N + 1) - gammaln(y + 1).sum() - gammaln(n0 + 1)
    if prior_n == "inverse":
        base = base - np.log(N)
    # one pass over chunks of graphs: exponentiate each chunk relative to its own maximum and keep
    # the running sum of the averaged posterior relative to the largest maximum seen so far
    log_z = np.empty(len(graphs))
    post = np.zeros(len(n0))
    ref = -np.inf
    for a in range(0, len(graphs), chunk):
        L = fam[a:a + chunk] @ comp + base
        cm = float(L.max())
        E = np.exp(L - cm)
        with np.errstate(divide="ignore"):  # a graph with no mass at all gets log 0 = -inf
            log_z[a:a + chunk] = cm + np.log(E.sum(axis=1))
        if cm > ref:
            post *= np.exp(ref - cm)
            ref = cm
        post += E.sum(axis=0) * np.exp(cm - ref)
    total = post.sum()
    log_total = float(ref + np.log(total))
    post /= total
    tail = float(post[int(0.9 * len(post)):].sum())
    return DGAResult(graphs, n0, N, fam, comp, base, log_z, log_total, post, delta, prior_n, tail)
