"""Hierarchical log-linear models over capture histories.

A term is a bit mask over the lists (``0`` = intercept, ``1 << i`` = main effect of list ``i``,
``(1 << i) | (1 << j)`` = the two-list interaction ``i:j`` ...). A model is the set of its terms and
is hierarchical: with every term it contains all the term's subsets. The design matrix has a 1 in
cell ``c`` and term ``s`` when the history of ``c`` contains every list of ``s``.

Model strings follow the hierarchy notation of the R package MultipleSystemsEstimation: the maximal
terms, list numbers 1-based, e.g. ``"[12,23]"`` for lists 1-2 and 2-3 interacting. Names work too:
``"[A:B,B:C]"`` (and are required beyond nine lists).
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

import numpy as np

from lantern.errors import ValidationError


def popcount(x: int) -> int:
    return bin(x).count("1")


def term_lists(term: int, t: int) -> list[int]:
    return [i for i in range(t) if term >> i & 1]


def term_name(term: int, lists: tuple[str, ...] | list[str]) -> str:
    if term == 0:
        return "(intercept)"
    return ":".join(lists[i] for i in term_lists(term, len(lists)))


@lru_cache(maxsize=64)
def design_matrix(t: int, terms: tuple[int, ...]) -> np.ndarray:
    """Cells x terms 0/1 design (float64) for the given term masks."""
    codes = np.arange(1, 2 ** t, dtype=np.int64)
    tm = np.asarray(terms, dtype=np.int64)
    return ((codes[:, None] & tm[None, :]) == tm[None, :]).astype(np.float64)


def all_terms(t: int, max_order: int) -> tuple[int, ...]:
    """Intercept, main effects, then interactions by order then bit order, up to ``max_order``."""
    out = [0] + [1 << i for i in range(t)]
    for k in range(2, max_order + 1):
        for combo in itertools.combinations(range(t), k):
            out.append(sum(1 << i for i in combo))
    return tuple(out)


def hierarchical_closure(terms) -> frozenset[int]:
    """All subsets of the given terms (so the model is hierarchical), including the intercept."""
    out: set[int] = set()
    for term in terms:
        sub = term
        while True:
            out.add(sub)
            if sub == 0:
                break
            sub = (sub - 1) & term
    return frozenset(out)


def main_effects(t: int) -> frozenset[int]:
    return frozenset([0] + [1 << i for i in range(t)])


def interactions(model) -> list[int]:
    """The interaction terms (order >= 2) of a model, sorted by order then bit pattern."""
    return sorted((s for s in model if popcount(s) >= 2), key=lambda s: (popcount(s), _lex(s)))


def _lex(term: int) -> tuple[int, ...]:
    return tuple(i for i in range(term.bit_length()) if term >> i & 1)


def maximal_terms(model) -> list[int]:
    model = set(model)
    maxi = [s for s in model if s and not any(o != s and (o & s) == s for o in model)]
    return sorted(maxi, key=lambda s: (-popcount(s), _lex(s)))


def model_string(model, lists: tuple[str, ...] | list[str]) -> str:
    """Hierarchy notation, e.g. ``[12,23]`` (list numbers) or ``[A:B,B:C]`` beyond nine lists."""
    t = len(lists)
    parts = []
    for s in maximal_terms(model):
        if t <= 9:
            parts.append("".join(str(i + 1) for i in term_lists(s, t)))
        else:
            parts.append(term_name(s, lists))
    return "[" + ",".join(parts) + "]"


def model_label(model, lists) -> str:
    """Readable list of interactions, e.g. ``A:B + C:D`` or ``main effects only``."""
    inter = interactions(model)
    if not inter:
        return "main effects only"
    return " + ".join(term_name(s, lists) for s in inter)


def parse_model(text: str, lists: tuple[str, ...] | list[str]) -> frozenset[int]:
    """Parse ``"[12,23]"``, ``"12,23"``, ``"[A:B,C:D]"`` or ``"A:B + C:D"`` into a hierarchical model.

    Raises
    ------
    ValidationError
        For an unknown list name or number, naming the offending part.
    """
    t = len(lists)
    raw = text.strip()
    if raw.startswith("[") and raw.endswith("]"):
        raw = raw[1:-1]
    name_index = {name: i for i, name in enumerate(lists)}
    lower_index = {name.lower(): i for i, name in enumerate(lists)}
    terms = []
    items = [p.strip() for p in re.split(r"[,+;]", raw) if p.strip()]
    if raw.strip().lower() in ("", "main", "main effects", "independence"):
        items = []
    for item in items:
        if ":" in item or "*" in item:
            names = [p.strip() for p in re.split(r"[:*]", item)]
        elif item in name_index or item.lower() in lower_index:
            names = [item]
        elif item.isdigit() and t <= 9:
            names = []
            for ch in item:
                k = int(ch)
                if not 1 <= k <= t:
                    raise ValidationError(
                        f"list number {k} in model term {item!r} does not exist: lists are numbered "
                        f"1 to {t} ({', '.join(f'{i + 1}={n}' for i, n in enumerate(lists))})",
                        field="model",
                    )
                names.append(lists[k - 1])
        else:
            raise ValidationError(
                f"unknown list {item!r} in the model; the lists are {', '.join(lists)}", field="model"
            )
        term = 0
        for nm in names:
            idx = name_index.get(nm, lower_index.get(nm.lower()))
            if idx is None:
                raise ValidationError(
                    f"unknown list {nm!r} in the model; the lists are {', '.join(lists)}", field="model"
                )
            if term >> idx & 1:
                raise ValidationError(f"list {nm!r} appears twice in term {item!r}", field="model")
            term |= 1 << idx
        if popcount(term) == t and t > 1:
            raise ValidationError(
                f"the {t}-list interaction {item!r} involves every list and cannot be estimated "
                "(it is confounded with the unobserved cell)", field="model",
            )
        terms.append(term)
    return hierarchical_closure(list(main_effects(t)) + terms)


def enumerate_hierarchical(t: int, max_order: int) -> list[frozenset[int]]:
    """Every hierarchical model containing all main effects, with interactions up to ``max_order``.

    Enumerated by depth-first search over the interaction terms in order of increasing size; a term
    may be added only when all its subsets of size ``>= 2`` are present. For ``t = 5`` and
    ``max_order = 4`` this gives every hierarchical model below the saturated one.
    """
    max_order = min(max_order, t - 1)
    cands = [s for s in all_terms(t, max_order) if popcount(s) >= 2]
    base = main_effects(t)
    out: list[frozenset[int]] = []

    def facets_present(term: int, chosen: set[int]) -> bool:
        if popcount(term) == 2:
            return True
        return all((term & ~(1 << i)) in chosen for i in term_lists(term, t))

    def rec(k: int, chosen: set[int]) -> None:
        if k == len(cands):
            out.append(frozenset(base | chosen))
            return
        term = cands[k]
        rec(k + 1, chosen)
        if facets_present(term, chosen):
            chosen.add(term)
            rec(k + 1, chosen)
            chosen.discard(term)

    rec(0, set())
    return out


def default_max_order(t: int) -> int:
    """MultipleSystemsEstimation's automatic choice: 1, 2, 3, 3, 2 for 2..6 lists (2 beyond)."""
    return {2: 1, 3: 2, 4: 3, 5: 3, 6: 2}.get(t, 2)
