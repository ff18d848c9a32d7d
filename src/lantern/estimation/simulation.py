"""Capture-history data with a known total, for coverage studies and tests.

:func:`loglinear_probabilities` gives the probability of every capture history (the all-zero one
included) under a log-linear model with given capture probabilities and interactions (log odds
ratios); :func:`mixture_probabilities` mixes such models over latent classes (heterogeneous capture,
which no log-linear model on the observed lists removes). :func:`draw_tables` draws tables of
counts for a population of known size ``N``.
"""

from __future__ import annotations

import numpy as np

from lantern.estimation.models import all_terms, design_matrix


def loglinear_probabilities(capture: list[float], interactions: dict[int, float] | None = None) -> np.ndarray:
    """Probabilities of the ``2**t`` histories (index = history code; index 0 = on no list).

    Parameters
    ----------
    capture : list of float
        Capture probability of each list when the others are absent (main effects as log odds).
    interactions : dict, optional
        ``{term bit mask: log odds ratio}``, e.g. ``{0b11: 0.8}`` for lists 1 and 2 dependent.
    """
    t = len(capture)
    terms = all_terms(t, t)
    X = np.vstack([np.r_[1.0, np.zeros(len(terms) - 1)], design_matrix(t, terms)])
    beta = np.zeros(len(terms))
    for i, p in enumerate(capture):
        beta[terms.index(1 << i)] = np.log(p / (1 - p))
    for term, v in (interactions or {}).items():
        beta[terms.index(term)] = v
    w = np.exp(X @ beta)
    return w / w.sum()


def mixture_probabilities(classes: list[tuple[float, list[float]]]) -> np.ndarray:
    """Mixture over latent classes ``[(weight, capture probabilities), ...]`` (independent lists within)."""
    total = sum(w for w, _ in classes)
    return np.sum([w / total * loglinear_probabilities(p) for w, p in classes], axis=0)


def draw_tables(N: int, probs: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` tables of observed counts (cells 1..2**t-1) for a population of exactly ``N`` people."""
    full = rng.multinomial(N, probs, size=size)
    return full[:, 1:]
