"""Existence and identifiability of the (extended) maximum likelihood estimate, model by model.

For a hierarchical model and a table of counts, interactions whose lists share nobody (sufficient
statistic zero) are set to minus infinity and every history containing them is dropped (the
extended MLE of Fienberg & Rinaldo 2012, as treated by Chan, Silverman & Vincent 2021). On the
remaining cells the estimate exists exactly when the vector of sufficient statistics ``t = A'y``
lies in the relative interior of the marginal cone, i.e. when some strictly positive table has the
same margins. That is the linear programme of SparseMSE's ``checkident``:

    maximise s  subject to  A'z = t,  z_c >= s for every cell,  z >= 0, s >= 0

and the estimate does not exist when the optimum is ``s = 0``. The parameters are identifiable
when the design restricted to the remaining cells has full column rank.

The answer depends on the data only through which cells are positive, so results are cached by
(model, support); a table with every remaining cell positive passes at once.

References
----------
Fienberg, S. E. and Rinaldo, A. (2012). Maximum likelihood estimation in log-linear models.
*Annals of Statistics* 40, 996-1023.
Chan, L., Silverman, B. W. and Vincent, K. (2021). Multiple systems estimation for sparse capture
data: inferential challenges when there are nonoverlapping lists. *JASA* 116, 1297-1306.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.optimize import linprog

from lantern.estimation.models import design_matrix

OK, NOT_EXIST, NOT_IDENTIFIABLE, BOTH = 0, 1, 2, 3

_CACHE: dict[tuple, int] = {}


@dataclass(frozen=True)
class Face:
    """How a model sits on the data: terms at minus infinity and cells dropped for them."""

    model: frozenset[int]
    terms: tuple[int, ...]          # all model terms, sorted
    fitted_terms: tuple[int, ...]   # terms estimated (finite)
    neg_inf_terms: tuple[int, ...]  # terms at minus infinity (sufficient statistic zero)
    cell_mask: np.ndarray           # (C,) bool, cells kept


def sufficient_stats(t: int, counts: np.ndarray, terms) -> np.ndarray:
    X = design_matrix(t, tuple(terms))
    return X.T @ counts


_FACES: dict[tuple, Face] = {}


def support_key(counts: np.ndarray) -> bytes:
    return np.packbits(np.asarray(counts) > 0).tobytes()


def face_of(t: int, model: frozenset[int], counts: np.ndarray, support: bytes | None = None) -> Face:
    """The face (terms at minus infinity, cells kept) of ``model`` for these counts (cached by support)."""
    key = (t, model, support if support is not None else support_key(counts))
    hit = _FACES.get(key)
    if hit is None:
        if len(_FACES) > 200_000:
            _FACES.clear()
        hit = _FACES[key] = _face_of(t, model, np.asarray(counts))
    return hit


@lru_cache(maxsize=100_000)
def _model_info(t: int, model: frozenset[int]) -> tuple[tuple[int, ...], np.ndarray]:
    terms = tuple(sorted(model, key=lambda s: (bin(s).count("1"), s)))
    return terms, design_matrix(t, terms)


def _face_of(t: int, model: frozenset[int], counts: np.ndarray) -> Face:
    terms, X = _model_info(t, model)
    stats = counts @ X
    neg_idx = [k for k in range(1, len(terms)) if stats[k] == 0]
    mask = np.asarray(~(X[:, neg_idx] > 0).any(axis=1)) if neg_idx else np.ones(X.shape[0], bool)
    neg = tuple(terms[k] for k in neg_idx)
    fitted = tuple(s for k, s in enumerate(terms) if k == 0 or stats[k] != 0)
    return Face(frozenset(model), terms, fitted, neg, mask)


def check_model(t: int, model: frozenset[int], counts: np.ndarray) -> int:
    """SparseMSE/MultipleSystemsEstimation error code: 0 ok, 1 no MLE, 2 not identifiable, 3 both."""
    counts = np.asarray(counts)
    support = np.packbits(counts > 0).tobytes()
    key = (t, model, support)
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    face = face_of(t, model, counts)
    X = design_matrix(t, face.fitted_terms)[face.cell_mask]
    y = counts[face.cell_mask].astype(float)
    rankdef = X.shape[1] - np.linalg.matrix_rank(X)
    exists = True
    if (y <= 0).any():
        exists = _lp_exists(X, y)
    code = (0 if exists else NOT_EXIST) + (NOT_IDENTIFIABLE if rankdef > 0 else 0)
    if len(_CACHE) > 200_000:
        _CACHE.clear()
    _CACHE[key] = code
    return code


def identifiability(t: int, model: frozenset[int], counts: np.ndarray,
                    support: bytes | None = None) -> tuple[int, Face]:
    """``(NOT_IDENTIFIABLE or 0, face)``; the rank depends only on the cells kept (cached)."""
    face = face_of(t, model, counts, support)
    if not face.neg_inf_terms and (1 << t) - 1 not in model:
        # every observable cell kept and no t-list term: the design is a set of columns of the
        # invertible (2**t - 1)-square matrix of the saturated-minus-top model, so full rank
        return 0, face
    key = ("rank", t, model, np.packbits(face.cell_mask).tobytes())
    hit = _CACHE.get(key)
    if hit is None:
        X = design_matrix(t, face.fitted_terms)[face.cell_mask]
        hit = NOT_IDENTIFIABLE if X.shape[1] > np.linalg.matrix_rank(X) else 0
        _CACHE[key] = hit
    return hit, face


def warm_rank_cache(t: int, faces: list[Face]) -> None:
    """Compute, in stacked SVDs grouped by model size, the ranks :func:`identifiability` will need."""
    todo: dict[tuple, Face] = {}
    for face in faces:
        if not face.neg_inf_terms and (1 << t) - 1 not in face.model:
            continue
        key = ("rank", t, face.model, np.packbits(face.cell_mask).tobytes())
        if key not in _CACHE:
            todo[key] = face
    by_k: dict[int, list[tuple]] = {}
    for key, face in todo.items():
        by_k.setdefault(len(face.fitted_terms), []).append((key, face))
    for k, items in by_k.items():
        stack = np.stack([design_matrix(t, f.fitted_terms) * f.cell_mask[:, None] for _, f in items])
        ranks = np.linalg.matrix_rank(stack)  # zeroed rows (dropped cells) do not add rank
        for (key, _), r in zip(items, ranks, strict=True):
            _CACHE[key] = NOT_IDENTIFIABLE if r < k else 0


def lp_exists_many(problems: list[tuple[np.ndarray, np.ndarray]], *, chunk: int = 2000) -> np.ndarray:
    """Solve many existence programmes at once (one block-diagonal sparse LP per chunk).

    ``problems`` holds ``(A, y)`` pairs (kept cells x fitted terms, counts on the kept cells). The
    blocks are independent, so maximising the sum of the ``s`` gives each block its own optimum;
    ``s`` is capped at 1 (only its sign matters).
    """
    from scipy import sparse

    out = np.zeros(len(problems), bool)
    for start in range(0, len(problems), chunk):
        part = problems[start:start + chunk]
        eq_r, eq_c, eq_v, ub_r, ub_c, ub_v, rhs = [], [], [], [], [], [], []
        ends: list[int] = []
        row_eq = row_ub = col = 0
        for A, y in part:
            nc, npar = A.shape
            r, c = np.nonzero(A.T)
            eq_r.append(r + row_eq)
            eq_c.append(c + col)
            eq_v.append(A.T[r, c])
            rhs.append(A.T @ y)
            idx = np.arange(nc)
            ub_r += [idx + row_ub, idx + row_ub]
            ub_c += [idx + col, np.full(nc, col + nc)]
            ub_v += [-np.ones(nc), np.ones(nc)]
            ends.append(col + nc)
            row_eq += npar
            row_ub += nc
            col += nc + 1
        a_eq = sparse.csr_matrix((np.concatenate(eq_v), (np.concatenate(eq_r), np.concatenate(eq_c))),
                                 shape=(row_eq, col))
        a_ub = sparse.csr_matrix((np.concatenate(ub_v), (np.concatenate(ub_r), np.concatenate(ub_c))),
                                 shape=(row_ub, col))
        objective = np.zeros(col)  # maximise the sum of the slack "end" variables
        objective[ends] = -1.0
        bounds = np.zeros((col, 2))
        bounds[:, 1] = np.inf
        bounds[ends, 1] = 1.0
        res = linprog(objective, A_ub=a_ub, b_ub=np.zeros(row_ub), A_eq=a_eq, b_eq=np.concatenate(rhs),
                      bounds=bounds, method="highs")
        if res.status == 0:
            out[start:start + len(part)] = res.x[ends] > 1e-9
        elif len(part) > 1:  # fall back to one programme at a time
            out[start:start + len(part)] = [bool(lp_exists_many([(A, y)])[0]) for A, y in part]
        else:  # a single programme HiGHS cannot solve: treat the estimate as not existing
            out[start] = False
    return out


def check_models(t: int, models, counts: np.ndarray, *, suspect: np.ndarray | None = None,
                 supports: list[bytes] | None = None) -> np.ndarray:
    """:func:`check_model` for many (model, table) pairs at once.

    ``counts`` is (C,) shared by all models, or (B, C) with one table per model. If ``suspect``
    (bool per pair) is given, only the suspect pairs get the linear programme and the others are
    taken to exist - used after a fit whose Newton steps have converged, which cannot happen when
    the estimate does not exist (the iterates then run off to infinity by steps that do not shrink).
    """
    counts = np.asarray(counts)
    B = len(models)
    Y = np.broadcast_to(counts, (B, counts.shape[-1])) if counts.ndim == 1 else counts
    codes = np.zeros(B, dtype=np.int64)
    todo: list[tuple[tuple, np.ndarray, np.ndarray, int]] = []
    pending: dict[tuple, list[int]] = {}
    for b, m in enumerate(models):
        yb = Y[b]
        sup = supports[b] if supports is not None else support_key(yb)
        key = (t, m, sup)
        hit = _CACHE.get(key)
        if hit is not None:
            codes[b] = hit
            continue
        if key in pending:
            pending[key].append(b)
            continue
        ident, face = identifiability(t, m, yb, sup)
        yk = yb[face.cell_mask].astype(float)
        if (yk > 0).all():
            codes[b] = _CACHE[key] = ident
        elif suspect is not None and not suspect[b]:
            codes[b] = ident
        else:
            pending[key] = [b]
            X = design_matrix(t, face.fitted_terms)[face.cell_mask]
            todo.append((key, X, yk, ident))
    if todo:
        exists = lp_exists_many([(X, yk) for _, X, yk, _ in todo])
        for (key, _, _, ident), ok in zip(todo, exists, strict=False):
            code = ident + (0 if ok else NOT_EXIST)
            _CACHE[key] = code
            for bb in pending[key]:
                codes[bb] = code
    if len(_CACHE) > 200_000:
        _CACHE.clear()
    return codes


def _lp_exists(A: np.ndarray, y: np.ndarray) -> bool:
    return bool(lp_exists_many([(A, y)])[0])


def clear_caches() -> None:
    """Forget cached faces and existence checks (for fair timings)."""
    _CACHE.clear()
    _FACES.clear()


def describe_code(code: int) -> str:
    if code == OK:
        return "the estimate exists and is identifiable"
    parts = []
    if code & NOT_EXIST:
        parts.append(
            "the maximum likelihood estimate does not exist, even allowing interactions at minus "
            "infinity (Fienberg-Rinaldo linear-programming test): the zero cells force some fitted "
            "cell to zero in a way the model cannot represent"
        )
    if code & NOT_IDENTIFIABLE:
        parts.append(
            "the parameters are not identifiable: after dropping the histories of lists that share "
            "nobody, the design has fewer independent columns than parameters"
        )
    return "; ".join(parts)


ADVICE = (
    "Use a model with fewer interactions (for example main effects, or let the stepwise or BIC "
    "search choose among models that exist), or merge lists that share nobody."
)
