"""Statistical disclosure control for published count tables.

Three rules, applied to every published table (see ``docs/statistics.md``):

1. **Threshold (primary suppression).** A cell counting 1 .. ``threshold - 1`` people is not
   released; it is shown as ``"<threshold>"`` (``"<11"`` by default). Zeros are released as 0.
2. **Secondary suppression.** Wherever margins (totals) are published, a single suppressed cell in a
   row, column or any other line of the table could be recovered by subtraction. Further cells are
   suppressed (shown as ``"x"``) until an attacker who knows every published cell and every margin,
   and that a primary cell lies in 1 .. ``threshold - 1``, can only bound each suppressed cell to an
   interval at least ``protection`` wide (or, where the threshold display alone bounds a cell more
   tightly, as wide as with every cell suppressed: :func:`required_widths`). This is checked by linear
   programming (:func:`audit_suppression`: for each suppressed cell, minimise and maximise its value
   subject to the table's additivity constraints, with the HiGHS solver) and the suppression is
   extended until the audit passes. Linked tables (sharing margins) are audited together with
   :func:`audit_joint` (see :func:`lantern.statistics.tables.harmonise_linked`).
3. **Rounding.** Released cells are rounded to a multiple of ``rounding`` (5 by default); a non-zero
   cell never rounds to a value below the threshold (it goes to the first multiple at or above it), so
   no released figure lies in 1 .. ``threshold - 1``.

Assumptions and caveats
-----------------------
* A table is a full cross-classification of flat variables with *every* margin (the cube): for each
  variable, the categories sum to its ``TOTAL`` category. Tables of one release that count the same
  persons are linked: shared margins are equal, and nested classifications (a table by region and one
  by country; finer age bands within coarser ones) add up — "the regions of country c sum to the cell
  of country c" — as :data:`Relation` rows of :func:`audit_joint`, with non-negative hidden parts for a
  child value found under several parents. :func:`lantern.statistics.tables.harmonise_linked`
  extends the suppression until that joint audit passes.
* The audit assumes the attacker knows the *unrounded* published values, which is stricter than
  what is released.
* The default secondary suppression is a greedy heuristic (cheapest cell in an exposed line, cost =
  the cell's count), verified by the exact LP audit. ``method="optimal"`` solves the minimum-loss
  problem as a mixed-integer programme (:func:`optimal_pattern`, after Fischetti & Salazar-González
  2001) bounded by the greedy loss and keeps it only where it loses less; it is verified by the same
  audit.
* Across periods: with ``consistent_axis`` the same pattern of suppressed categories is used in every
  period (the union of the periods' patterns), so a series never reveals a cell by changing pattern.

References
----------
Hundepool, A. et al. (2012). *Statistical Disclosure Control*. Wiley, ch. 4 (magnitude and frequency
tables; secondary suppression; the LP "attacker" audit).
de Wolf, P.-P. (2002). HiTaS: a heuristic approach to cell suppression in hierarchical tables.
Kelly, J. P., Golden, B. L. & Assad, A. A. (1992). Cell suppression: disclosure protection for
sensitive tabular data. *Networks* 22, 397–417.
Fischetti, M. & Salazar-González, J.-J. (2001). Solving the cell suppression problem on tabular data
with linear constraints. *Management Science* 47(7), 1008–1027.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lantern.errors import LanternError, Problem

TOTAL = "TOTAL"
METHODS = ("greedy", "optimal")
COSTS = ("value", "cells")

PUBLISHED = "published"
PRIMARY = "primary"
SECONDARY = "secondary"


@dataclass(frozen=True)
class SDCRules:
    """Parameters of the disclosure control.

    Parameters
    ----------
    threshold : int
        Cells counting 1 .. ``threshold - 1`` are suppressed (CTDC and PCORnet use 11; default 11).
    rounding : int
        Released cells are rounded to a multiple of this base (1 = no rounding; default 5).
    protection : int
        Minimum width of the interval an attacker can infer for any suppressed cell (default 5).
        Must be at most ``threshold - 2`` (a primary cell is known to lie in 1 .. threshold-1).
    enabled : bool
        ``False`` releases exact counts (``--sdc none``: for internal use only, never for publication).
    method : {"greedy", "optimal"}
        Secondary suppression: the greedy heuristic (default), or a minimum-loss pattern chosen by a
        mixed-integer programme (:func:`optimal_pattern`), kept only where it loses less than the greedy
        one; both are verified by the same LP audit.
    cost : {"value", "cells"}
        What ``optimal`` minimises: the suppressed total (each secondary cell costs its count plus 1, so
        a zero is not free) or the number of secondary cells.
    time_limit : float
        Seconds the MILP may run per table (then the best pattern found so far, or the greedy one).
    """

    threshold: int = 11
    rounding: int = 5
    protection: int = 5
    enabled: bool = True
    method: str = "greedy"
    cost: str = "value"
    time_limit: float = 10.0

    def __post_init__(self) -> None:
        problems = []
        if self.threshold < 1:
            problems.append(Problem("must be at least 1", field="threshold"))
        if self.rounding < 1:
            problems.append(Problem("must be at least 1", field="rounding"))
        if self.protection < 0:
            problems.append(Problem("must be zero or more", field="protection"))
        if self.method not in METHODS:
            problems.append(Problem(f"unknown method {self.method!r}; known: {', '.join(METHODS)}", field="method"))
        if self.cost not in COSTS:
            problems.append(Problem(f"unknown cost {self.cost!r}; known: {', '.join(COSTS)}", field="cost"))
        if not self.time_limit > 0:
            problems.append(Problem("must be a positive number of seconds", field="time_limit"))
        if self.threshold >= 3 and self.protection > self.threshold - 2:
            problems.append(
                Problem(
                    f"must be at most threshold - 2 = {self.threshold - 2}: a suppressed cell is already "
                    "known to lie in 1 .. threshold-1",
                    field="protection",
                )
            )
        if problems:
            raise LanternError(problems)

    @classmethod
    def none(cls) -> SDCRules:
        """No disclosure control (internal use)."""
        return cls(threshold=1, rounding=1, protection=0, enabled=False)

    @classmethod
    def from_dict(cls, data: dict | None) -> SDCRules:
        """Build from a spec's ``sdc:`` block (unknown keys are refused)."""
        data = dict(data or {})
        known = {"threshold", "rounding", "protection", "enabled", "method", "cost", "time_limit"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise LanternError(
                [Problem(f"unknown disclosure-control setting; known: {', '.join(sorted(known))}", field=k) for k in unknown]
            )
        convert: dict[str, Any] = {"enabled": bool, "method": str, "cost": str, "time_limit": float}
        try:
            values: dict[str, Any] = {k: convert.get(k, int)(v) for k, v in data.items()}
        except (TypeError, ValueError) as exc:
            raise LanternError(f"threshold, rounding and protection must be integers, time_limit a number: {exc}", field="sdc") from exc
        return cls(**values)


@dataclass
class ProtectedArray:
    """Result of :func:`protect_array`.

    Attributes
    ----------
    counts : ndarray of int
        The true counts (cube with totals at the last index of every axis).
    status : ndarray of str
        ``published``, ``primary`` or ``secondary`` per cell.
    released : ndarray of float
        The released (rounded) value, NaN where suppressed.
    intervals : ndarray, shape (n_suppressed, 2)
        The attacker's feasible interval for each suppressed cell (flat order of ``np.flatnonzero``).
    """

    counts: np.ndarray
    status: np.ndarray
    released: np.ndarray
    intervals: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    rules: SDCRules = field(default_factory=SDCRules)
    #: which secondary suppression produced the pattern, and what the MILP did (for the report)
    method: str = "greedy"
    note: str = ""

    def loss(self, cost: str | None = None) -> float:
        """Information lost to secondary suppression (:func:`suppression_loss`)."""
        return suppression_loss(self.counts, self.status, cost or self.rules.cost)

    @property
    def suppressed(self) -> np.ndarray:
        return self.status != PUBLISHED

    def display(self) -> np.ndarray:
        """Strings as published: a number, ``"<threshold>"`` or ``"x"``."""
        out = np.empty(self.counts.shape, dtype=object)
        for idx in np.ndindex(self.counts.shape):
            s = self.status[idx]
            if s == PRIMARY:
                out[idx] = f"<{self.rules.threshold}"
            elif s == SECONDARY:
                out[idx] = "x"
            else:
                out[idx] = str(int(self.released[idx]))
        return out


def cube_lines(shape: tuple[int, ...]) -> list[np.ndarray]:
    """Additivity constraints of a cube whose last index on every axis is the total.

    Each line is an array of flat indices: the members first, the total last.
    """
    lines = []
    for axis, n in enumerate(shape):
        others = [range(s) for i, s in enumerate(shape) if i != axis]
        for rest in itertools.product(*others):
            idx = []
            for k in range(n):
                full = list(rest)
                full.insert(axis, k)
                idx.append(np.ravel_multi_index(tuple(full), shape))
            lines.append(np.array(idx, dtype=np.int64))
    return lines


def check_additive(counts: np.ndarray) -> None:
    """Refuse a cube whose totals are not the sums of their members."""
    for axis in range(counts.ndim):
        members = np.take(counts, range(counts.shape[axis] - 1), axis=axis).sum(axis=axis)
        total = np.take(counts, counts.shape[axis] - 1, axis=axis)
        if not np.array_equal(members, total):
            raise LanternError(
                "the table's totals are not the sums of their categories", field=f"axis {axis}", record="table"
            )


def round_released(values: np.ndarray, rules: SDCRules) -> np.ndarray:
    """Round to a multiple of ``rules.rounding`` (half up), never into 1 .. threshold-1."""
    base = rules.rounding
    out = np.floor(values / base + 0.5) * base
    if rules.enabled and rules.threshold > 1:
        floor_value = math.ceil(rules.threshold / base) * base
        out = np.where((values > 0) & (out < floor_value), floor_value, out)
    return out


def audit_suppression(
    counts: np.ndarray,
    suppressed: np.ndarray,
    primary: np.ndarray,
    rules: SDCRules,
    *,
    only: np.ndarray | None = None,
) -> np.ndarray:
    """The attacker's feasible interval for every suppressed cell.

    For each suppressed cell the value is minimised and maximised subject to: every line of the cube
    adds up, published cells take their true values, primary cells lie in ``1 .. threshold-1`` and
    secondary cells are non-negative (scipy ``linprog``, HiGHS).

    ``only`` (a boolean mask like ``suppressed``) limits the LPs to those cells; the others get NaN.

    Returns
    -------
    ndarray, shape (n_suppressed, 2)
        ``[lo, hi]`` per suppressed cell in ``np.flatnonzero(suppressed)`` order (``hi`` may be inf).
    """
    from scipy.sparse import coo_matrix

    flat_counts = counts.ravel().astype(float)
    supp_flat = np.flatnonzero(suppressed.ravel())
    if supp_flat.size == 0:
        return np.zeros((0, 2))
    var_of = {c: i for i, c in enumerate(supp_flat)}
    rows, cols, vals, rhs = [], [], [], []
    r = 0
    for line in cube_lines(counts.shape):
        coef = np.ones(line.size)
        coef[-1] = -1.0  # members - total = 0
        in_supp = [k for k, c in enumerate(line) if c in var_of]
        if not in_supp:
            continue
        b = 0.0
        for k, c in enumerate(line):
            if c in var_of:
                rows.append(r)
                cols.append(var_of[c])
                vals.append(coef[k])
            else:
                b -= coef[k] * flat_counts[c]
        rhs.append(b)
        r += 1
    a_eq = coo_matrix((vals, (rows, cols)), shape=(r, supp_flat.size)).tocsr()
    b_eq = np.asarray(rhs, dtype=float)
    prim_flat = primary.ravel()[supp_flat]
    upper = max(rules.threshold - 1, 1)
    bounds = [(1.0, float(upper)) if p else (0.0, None) for p in prim_flat]
    out = np.full((supp_flat.size, 2), np.nan)
    todo = np.arange(supp_flat.size) if only is None else np.flatnonzero(only.ravel()[supp_flat])
    if todo.size == 0:
        return out
    # suppressed cells that share no constraint are independent: solve each connected group apart
    from scipy.sparse.csgraph import connected_components

    incidence = abs(a_eq)
    _, comp = connected_components(incidence.T @ incidence, directed=False)
    for label in np.unique(comp[todo]):
        members = np.flatnonzero(comp == label)
        sub_rows = np.flatnonzero(np.asarray(incidence[:, members].sum(axis=1)).ravel() > 0)
        sub = a_eq[sub_rows][:, members]
        sub_b = b_eq[sub_rows]
        sub_bounds = [bounds[m] for m in members]
        position = {int(m): k for k, m in enumerate(members)}
        cells = todo[comp[todo] == label]
        if sub_rows.size == 0:  # bound only by what the display says
            for i in cells:
                lo_b, hi_b = sub_bounds[position[int(i)]]
                out[i] = (lo_b, np.inf if hi_b is None else hi_b)
            continue
        out[cells] = _lp_ranges(sub, sub_b, sub_bounds, [position[int(i)] for i in cells])
    return out


def _lp_ranges(a_eq: Any, b_eq: np.ndarray, bounds: Sequence[tuple[float, float | None]], targets: list[int]) -> np.ndarray:
    """Min and max of each target variable subject to ``a_eq x = b_eq`` and the bounds.

    Uses one HiGHS model (``highspy``) and only changes the objective between solves, so each solve
    starts from the previous basis; falls back to scipy's ``linprog`` (same solver, rebuilt each time)
    when highspy is not installed. Returns ``[lo, hi]`` per target (``-inf``/``inf`` if unbounded).
    """
    n = len(bounds)
    out = np.full((len(targets), 2), np.nan)
    try:
        import highspy
    except ImportError:  # pragma: no cover - highspy is a declared dependency
        highspy = None  # type: ignore[assignment]
    if highspy is None:
        from scipy.optimize import linprog

        for j, k in enumerate(targets):
            objective = np.zeros(n)
            objective[k] = 1.0
            lo = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
            hi = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
            out[j] = (lo.fun if lo.status == 0 else -np.inf, -hi.fun if hi.status == 0 else np.inf)
        return out
    inf = highspy.kHighsInf
    csc = a_eq.tocsc()
    model = highspy.HighsLp()
    model.num_col_ = n
    model.num_row_ = csc.shape[0]
    model.col_cost_ = np.zeros(n)
    model.col_lower_ = np.array([b[0] for b in bounds], dtype=float)
    model.col_upper_ = np.array([inf if b[1] is None else b[1] for b in bounds], dtype=float)
    model.row_lower_ = np.asarray(b_eq, dtype=float)
    model.row_upper_ = np.asarray(b_eq, dtype=float)
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = csc.indptr.astype(np.int32)
    model.a_matrix_.index_ = csc.indices.astype(np.int32)
    model.a_matrix_.value_ = csc.data.astype(float)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(model)
    optimal = highspy.HighsModelStatus.kOptimal
    # the true table is always feasible, so "unbounded or infeasible" means unbounded
    unbounded = {highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible}
    previous = None
    for j, k in enumerate(targets):
        if previous is not None:
            h.changeColCost(previous, 0.0)
        h.changeColCost(int(k), 1.0)
        previous = int(k)
        for col, sense in ((0, highspy.ObjSense.kMinimize), (1, highspy.ObjSense.kMaximize)):
            h.changeObjectiveSense(sense)
            h.run()
            status = h.getModelStatus()
            if status == optimal:
                out[j, col] = h.getInfo().objective_function_value
            elif status in unbounded:
                out[j, col] = -np.inf if col == 0 else np.inf
            else:  # the solver stopped for another reason: solve this one again from scratch with scipy
                from scipy.optimize import linprog

                objective = np.zeros(n)
                objective[k] = 1.0 if col == 0 else -1.0
                res = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
                out[j, col] = (res.fun if col == 0 else -res.fun) if res.status == 0 else (-np.inf if col == 0 else np.inf)
    return out


def required_widths(
    counts: np.ndarray, primary: np.ndarray, rules: SDCRules, cells: np.ndarray, *, cache: dict[int, float] | None = None
) -> np.ndarray:
    """Width each cell's interval must reach: ``min(protection, width if every cell were suppressed)``.

    When many small cells meet in a small total, the threshold display alone bounds them (six cells
    shown ``<11`` whose total is ``<11`` are each at most 5); no suppression can do better, so the
    requirement is capped at what a fully suppressed table leaves.
    """
    cache = {} if cache is None else cache
    cells = np.asarray(cells, dtype=np.int64)
    todo = [int(c) for c in cells if int(c) not in cache]
    if todo:
        everything = np.ones(counts.shape, dtype=bool)
        only = np.zeros(counts.size, dtype=bool)
        only[todo] = True
        iv = audit_suppression(counts, everything, primary, rules, only=only.reshape(counts.shape))
        for c in todo:
            lo, hi = iv[c]
            cache[c] = float(hi - lo)
    return np.array([min(float(rules.protection), cache[int(c)]) for c in cells])


def _pick(line: np.ndarray, supp: np.ndarray, flat_counts: np.ndarray) -> int | None:
    """Cheapest unsuppressed member of a line to suppress next (positive cells first, total last)."""
    members = line[:-1]
    free = members[~supp[members]]
    if free.size:
        positive = free[flat_counts[free] > 0]
        pool = positive if positive.size else free
        return int(pool[np.lexsort((pool, flat_counts[pool]))][0])
    total = line[-1]
    return None if supp[total] else int(total)


def suppression_loss(counts: np.ndarray, status: np.ndarray, cost: str = "value") -> float:
    """Loss of a pattern: per secondary cell its count + 1 (``value``) or 1 (``cells``)."""
    secondary = np.asarray(status) == SECONDARY
    if cost == "cells":
        return float(secondary.sum())
    return float((np.asarray(counts)[secondary] + 1).sum())


def protect_array(
    counts: np.ndarray,
    rules: SDCRules | None = None,
    *,
    consistent_axis: int | None = None,
    audit: bool = True,
    force: np.ndarray | None = None,
) -> ProtectedArray:
    """Apply threshold, secondary suppression (LP-audited) and rounding to a cube.

    With ``rules.method == "optimal"`` the greedy pattern is computed first, then a minimum-loss one by
    :func:`optimal_pattern` (a MILP bounded by the greedy loss, with ``rules.time_limit``), completed by
    the same line rule and LP audit; the one with the smaller loss is kept, so "optimal" never loses
    more than greedy. See :func:`_protect_greedy` for the parameters.
    """
    rules = rules or SDCRules()
    greedy = _protect_greedy(counts, rules, consistent_axis=consistent_axis, audit=audit, force=force)
    if rules.method != "optimal" or not rules.enabled or not audit:
        return greedy
    flat = greedy.counts.ravel()
    primary = (flat > 0) & (flat < rules.threshold)
    forced = np.zeros(flat.size, dtype=bool) if force is None else np.asarray(force, dtype=bool).ravel()
    budget = greedy.loss()
    if budget == 0:
        greedy.note = "greedy needs no secondary suppression"
        return greedy
    pattern, note = optimal_pattern(greedy.counts, primary | forced, primary, rules, consistent_axis=consistent_axis, budget=budget)
    if pattern is None:
        greedy.note = note
        return greedy
    candidate = _protect_greedy(counts, rules, consistent_axis=consistent_axis, audit=audit, force=pattern.reshape(greedy.counts.shape))
    if candidate.loss() < budget - 1e-9:
        candidate.method = "optimal"
        candidate.note = f"{note}; loss {candidate.loss():g} (greedy {budget:g})"
        return candidate
    greedy.note = f"{note}; the completed pattern was not cheaper than greedy"
    return greedy


def optimal_pattern(
    counts: np.ndarray,
    fixed: np.ndarray,
    primary: np.ndarray,
    rules: SDCRules,
    *,
    consistent_axis: int | None = None,
    budget: float | None = None,
) -> tuple[np.ndarray | None, str]:
    """Minimum-loss secondary suppression of one table by mixed-integer programming (HiGHS).

    The classical cell-suppression model (Kelly, Golden & Assad 1992; Fischetti & Salazar-González
    2001) in its compact form: a binary ``y_i`` per cell (1 = suppressed; fixed at 1 for ``fixed``:
    primary and forced cells) and, for every protected cell ``k``, two deviation vectors ``f+``, ``f-``
    that keep every line of the cube adding up (``A f = 0``), move only suppressed cells
    (``-x_i y_i <= f_i <= M y_i``; a primary cell stays within 1..threshold-1) and move cell ``k`` up by
    ``u_k`` and down by ``d_k`` with ``u_k + d_k >=`` the width the audit requires
    (:func:`required_widths`). Such vectors exist exactly when the attacker's LP interval for ``k`` is
    that wide, so every feasible ``y`` protects every fixed cell; the objective is the loss
    (:func:`suppression_loss`). With ``consistent_axis`` the pattern is the same in every period.
    ``budget`` adds "loss < budget" (the greedy loss), which prunes the search.

    ``M`` (the largest move of a cell) is the required width times ``2**(ndim-1)``: enough for 1- and
    2-way tables (their constraint matrix is totally unimodular, so a deviation never needs to move a
    cell more than it moves ``k``); for larger tables it may exclude some patterns, which can only make
    the result less than optimal, never unsafe — the pattern is completed and verified by the LP audit
    in :func:`protect_array`.

    Returns
    -------
    (ndarray of bool or None, str)
        The suppressed cells (flat), or None (infeasible under the budget — greedy is optimal for this
        model —, no solution within ``rules.time_limit``, or solver failure), and a note saying which.
    """
    from scipy import sparse
    from scipy.optimize import Bounds, LinearConstraint, milp

    shape = counts.shape
    x = np.asarray(counts, dtype=float).ravel()
    n = x.size
    fixed = np.asarray(fixed, dtype=bool).ravel()
    primary = np.asarray(primary, dtype=bool).ravel()
    sens = np.flatnonzero(fixed)
    if sens.size == 0:
        return fixed.copy(), "nothing to protect"
    need = required_widths(counts, primary.reshape(shape), rules, sens)
    weight = np.ones(n) if rules.cost == "cells" else x + 1.0
    weight[fixed] = 0.0
    t_hi = float(max(rules.threshold - 1, 1))
    big = max(float(need.max()), 1.0) * 2.0 ** max(len(shape) - 1, 0)
    lines = cube_lines(shape)
    a_rows = np.concatenate([np.full(line.size, li) for li, line in enumerate(lines)])
    a_cols = np.concatenate(lines)
    a_vals = np.concatenate([np.r_[np.ones(line.size - 1), -1.0] for line in lines])
    n_lines = len(lines)
    block = 2 + 2 * n
    nv = n + sens.size * block
    lb, ub = np.zeros(nv), np.zeros(nv)
    lb[:n], ub[:n] = fixed.astype(float), 1.0
    integrality = np.zeros(nv)
    integrality[:n] = 1
    f_lb = np.where(primary, 1.0 - x, -x)
    f_ub = np.where(primary, t_hi - x, big)
    free = np.flatnonzero(~primary)
    pos = free[x[free] > 0]
    rows, cols, vals, lo, hi = [], [], [], [], []
    r = 0
    for j, k in enumerate(sens):
        base = n + j * block
        iu, idn, fp, fm = base, base + 1, base + 2, base + 2 + n
        lb[iu], ub[iu], lb[idn], ub[idn] = 0.0, need[j], 0.0, need[j]
        for off in (fp, fm):
            lb[off:off + n], ub[off:off + n] = f_lb, f_ub
            rows.append(a_rows + r)
            cols.append(a_cols + off)
            vals.append(a_vals)
            lo.append(np.zeros(n_lines))
            hi.append(np.zeros(n_lines))
            r += n_lines
            # f_i <= M y_i and -f_i <= x_i y_i for cells that may move only when suppressed
            m = free.size
            rows.append(np.repeat(np.arange(r, r + m), 2))
            cols.append(np.column_stack([off + free, free]).ravel())
            vals.append(np.column_stack([np.ones(m), np.full(m, -big)]).ravel())
            lo.append(np.full(m, -np.inf))
            hi.append(np.zeros(m))
            r += m
            q = pos.size
            rows.append(np.repeat(np.arange(r, r + q), 2))
            cols.append(np.column_stack([off + pos, pos]).ravel())
            vals.append(np.column_stack([-np.ones(q), -x[pos]]).ravel())
            lo.append(np.full(q, -np.inf))
            hi.append(np.zeros(q))
            r += q
        # f+_k = u_k, f-_k = -d_k, u_k + d_k >= need
        rows.append(np.array([r, r, r + 1, r + 1, r + 2, r + 2]))
        cols.append(np.array([fp + k, iu, fm + k, idn, iu, idn]))
        vals.append(np.array([1.0, -1.0, 1.0, 1.0, 1.0, 1.0]))
        lo.append(np.array([0.0, 0.0, need[j]]))
        hi.append(np.array([0.0, 0.0, np.inf]))
        r += 3
    if consistent_axis is not None and shape[consistent_axis] > 2:
        grid = np.arange(n).reshape(shape)
        periods = np.moveaxis(grid, consistent_axis, 0)[:-1]  # the TOTAL period is free
        first = periods[0].ravel()
        for other in periods[1:]:
            m = first.size
            rows.append(np.repeat(np.arange(r, r + m), 2))
            cols.append(np.column_stack([other.ravel(), first]).ravel())
            vals.append(np.tile([1.0, -1.0], m))
            lo.append(np.zeros(m))
            hi.append(np.zeros(m))
            r += m
    if budget is not None:
        rows.append(np.full(n, r))
        cols.append(np.arange(n))
        vals.append(weight)
        lo.append(np.array([-np.inf]))
        hi.append(np.array([budget - 0.5]))  # losses are integers: strictly cheaper than the budget
        r += 1
    matrix = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(r, nv))
    objective = np.zeros(nv)
    objective[:n] = weight
    res = milp(
        objective, integrality=integrality, bounds=Bounds(lb, ub),
        constraints=LinearConstraint(matrix, np.concatenate(lo), np.concatenate(hi)),
        options={"time_limit": float(rules.time_limit), "disp": False},
    )
    if res.x is None:
        if res.status == 2:
            return None, "MILP: no pattern cheaper than greedy (greedy is optimal for this table)"
        return None, f"MILP: no solution ({res.message.strip()}); greedy kept"
    proven = "optimal" if res.status == 0 else "best found within the time limit"
    return res.x[:n] > 0.5, f"MILP {proven} ({n} cells, {sens.size} protected)"


def _protect_greedy(
    counts: np.ndarray,
    rules: SDCRules | None = None,
    *,
    consistent_axis: int | None = None,
    audit: bool = True,
    force: np.ndarray | None = None,
) -> ProtectedArray:
    """Apply threshold, greedy secondary suppression (LP-audited) and rounding to a cube.

    Parameters
    ----------
    counts : ndarray of int
        Cube of counts; the last index of every axis is that axis' total.
    rules : SDCRules
    consistent_axis : int, optional
        Axis of the period: the suppression pattern of the other axes is kept the same in every period.
    force : ndarray of bool, optional
        Cells that must be suppressed whatever their value (e.g. because a linked table suppressed the
        same margin); they are secondary unless under the threshold.
    audit : bool
        Run the LP audit and extend suppression until it passes (default True). ``False`` keeps only the
        line rule (at least two suppressed cells in every line), which is not always sufficient.

    Notes
    -----
    If the audit cannot be satisfied even with every cell suppressed (tiny tables where the threshold
    display alone bounds the total, e.g. six cells of 1), the table is released fully suppressed.
    """
    rules = rules or SDCRules()
    counts = np.asarray(counts, dtype=np.int64)
    if (counts < 0).any():
        raise LanternError("counts must be non-negative", record="table")
    check_additive(counts)
    status = np.full(counts.shape, PUBLISHED, dtype=object)
    if not rules.enabled:
        return ProtectedArray(counts, status, counts.astype(float), rules=rules)
    flat = counts.ravel()
    primary = (flat > 0) & (flat < rules.threshold)
    supp = primary.copy()
    if force is not None:
        supp |= np.asarray(force, dtype=bool).ravel()
    lines = cube_lines(counts.shape)
    lines_of: dict[int, list[np.ndarray]] = {}
    for line in lines:
        for c in line:
            lines_of.setdefault(int(c), []).append(line)
    intervals = np.zeros((0, 2))
    passed = np.zeros(flat.size, dtype=bool)
    interval_of: dict[int, np.ndarray] = {}
    baseline: dict[int, float] = {}
    for _round in range(10_000):
        changed = True
        while changed:
            changed = False
            for line in lines:
                if supp[line].sum() == 1:
                    pick = _pick(line, supp, flat)
                    if pick is not None:
                        supp[pick] = True
                        changed = True
            if consistent_axis is not None:
                cube = supp.reshape(counts.shape)
                n = counts.shape[consistent_axis]
                body = np.take(cube, range(n - 1), axis=consistent_axis)
                union = body.any(axis=consistent_axis, keepdims=True)
                new_body = np.broadcast_to(union, body.shape)
                if not np.array_equal(new_body, body):
                    index = [slice(None)] * counts.ndim
                    index[consistent_axis] = slice(0, n - 1)
                    cube[tuple(index)] = new_body
                    supp = cube.ravel()
                    changed = True
        if not audit or not supp.any():
            break
        # adding suppression only widens intervals, so a cell that passed stays passed
        todo = supp & ~passed
        new = audit_suppression(
            counts, supp.reshape(counts.shape), primary.reshape(counts.shape), rules, only=todo.reshape(counts.shape)
        )
        supp_idx = np.flatnonzero(supp)
        known_new = ~np.isnan(new[:, 0])
        interval_of.update({int(c): new[k] for k, c in enumerate(supp_idx) if known_new[k]})
        width = new[:, 1] - new[:, 0]
        ok = known_new & (width >= rules.protection - 1e-9)
        short = supp_idx[known_new & ~ok]
        if short.size:
            # a cell can never be protected beyond what the display alone implies (all suppressed)
            need = required_widths(counts, primary.reshape(counts.shape), rules, short, cache=baseline)
            fine = (width[known_new & ~ok] >= need - 1e-9)
            ok[np.flatnonzero(known_new & ~ok)[fine]] = True
        passed[supp_idx[ok]] = True
        failing = supp_idx[known_new & ~ok]
        if failing.size == 0:
            intervals = np.array([interval_of[int(c)] for c in supp_idx]).reshape(-1, 2)
            break
        added = False
        for cell in failing:
            # extend the cheapest line through the failing cell
            best = None
            for line in lines_of[int(cell)]:
                pick = _pick(line, supp, flat)
                if pick is not None and (best is None or (flat[pick], pick) < (flat[best], best)):
                    best = pick
            if best is None:
                # every line through the cell is suppressed: the cell is pinned through its
                # neighbours, so open the cheapest line through any suppressed neighbour
                neighbours = {int(c) for line in lines_of[int(cell)] for c in line if supp[c]}
                for nb in sorted(neighbours):
                    for line in lines_of[nb]:
                        pick = _pick(line, supp, flat)
                        if pick is not None and (best is None or (flat[pick], pick) < (flat[best], best)):
                            best = pick
            if best is None:
                free = np.flatnonzero(~supp)
                if free.size:
                    best = int(free[np.lexsort((free, flat[free]))][0])
            if best is not None and not supp[best]:
                supp[best] = True
                added = True
        if not added:
            # every cell is suppressed: nothing but "<threshold" and "x" is released, and what the
            # attacker can still infer comes only from the threshold display itself
            intervals = np.array([interval_of.get(int(c), (np.nan, np.nan)) for c in np.flatnonzero(supp)]).reshape(-1, 2)
            break
    status_flat = status.ravel()
    status_flat[supp & ~primary] = SECONDARY
    status_flat[primary] = PRIMARY
    status = status_flat.reshape(counts.shape)
    released = np.where(supp.reshape(counts.shape), np.nan, round_released(counts.astype(float), rules))
    return ProtectedArray(counts, status, released, intervals, rules)


#: A linear relation between cells of linked tables: ``sum(coef * cell) + sum(coef * hidden) = 0``.
#: ``terms`` are ``(table, flat cell, coef)``, ``hidden`` are ``(hidden variable, coef)``; hidden
#: variables are non-negative unknowns (e.g. the count of a region found under several countries, per
#: country), never reported.
Relation = tuple[list[tuple[int, int, float]], list[tuple[int, float]]]


def audit_joint(
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    links: list[tuple[int, int, np.ndarray, np.ndarray]],
    rules: SDCRules,
    *,
    only_linked: bool = False,
    only: list[np.ndarray] | None = None,
    relations: Sequence[Relation] = (),
    n_hidden: int = 0,
) -> list[np.ndarray]:
    """The attacker's intervals when several linked tables are read **together**.

    ``parts`` holds ``(counts, suppressed, primary)`` per table; ``links`` holds
    ``(table x, table y, flat cells of x, flat cells of y)`` that are the same number (a shared margin).
    ``relations`` adds further equalities (:data:`Relation`), e.g. for nested classifications "the
    regions of country c add up to the cell of country c in the other table", with ``n_hidden``
    non-negative unknowns they may use. Every table's lines add up, published cells are fixed at their
    true values, primary cells lie in 1..threshold-1, and the links and relations hold. Returns, per
    table, ``[lo, hi]`` for its suppressed cells in ``np.flatnonzero(suppressed)`` order. With
    ``only_linked``, groups of cells that no link or relation touches (whose intervals are those of the
    single-table audit) are skipped and left NaN. ``only`` (one boolean mask per table) limits the LPs
    to those cells.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    offsets: list[int] = []
    var_of: dict[tuple[int, int], int] = {}
    bounds: list[tuple[float, float | None]] = []
    upper = float(max(rules.threshold - 1, 1))
    for t, (_counts, supp, prim) in enumerate(parts):
        offsets.append(len(bounds))
        for c in np.flatnonzero(supp.ravel()):
            var_of[(t, int(c))] = len(bounds)
            bounds.append((1.0, upper) if prim.ravel()[c] else (0.0, None))
    n_cells = len(bounds)
    out = [np.full((int(p[1].sum()), 2), np.nan) for p in parts]
    if n_cells == 0:
        return out
    hidden_base = n_cells
    bounds += [(0.0, None)] * n_hidden
    n = len(bounds)
    rows, cols, vals, rhs = [], [], [], []
    r = 0
    for t, (counts, _supp, _prim) in enumerate(parts):
        flat = counts.ravel().astype(float)
        for line in cube_lines(counts.shape):
            coef = np.ones(line.size)
            coef[-1] = -1.0
            if not any((t, int(c)) in var_of for c in line):
                continue
            b = 0.0
            for k, c in enumerate(line):
                v = var_of.get((t, int(c)))
                if v is None:
                    b -= coef[k] * flat[c]
                else:
                    rows.append(r)
                    cols.append(v)
                    vals.append(coef[k])
            rhs.append(b)
            r += 1
    first_link_row = r
    flats = [p[0].ravel().astype(float) for p in parts]
    for x, y, ia, ib in links:
        for ca, cb in zip(ia, ib, strict=True):
            va, vb = var_of.get((x, int(ca))), var_of.get((y, int(cb)))
            if va is None and vb is None:
                continue
            # a cell suppressed in one table and published in the other is pinned by it
            b = 0.0
            for var, w, tab, cell in ((va, 1.0, x, int(ca)), (vb, -1.0, y, int(cb))):
                if var is None:
                    b -= w * flats[tab][cell]
                else:
                    rows.append(r)
                    cols.append(var)
                    vals.append(w)
            rhs.append(b)
            r += 1
    for terms, hidden in relations:
        b = 0.0
        entries: list[tuple[int, float]] = []
        for tab, cell, w in terms:
            var = var_of.get((tab, int(cell)))
            if var is None:
                b -= w * flats[tab][int(cell)]
            else:
                entries.append((var, float(w)))
        entries += [(hidden_base + int(h), float(w)) for h, w in hidden]
        if not entries:
            continue  # only published cells: nothing to learn
        for var, w in entries:
            rows.append(r)
            cols.append(var)
            vals.append(w)
        rhs.append(b)
        r += 1
    a_eq = coo_matrix((vals, (rows, cols)), shape=(r, n)).tocsr()
    b_eq = np.asarray(rhs, dtype=float)
    incidence = abs(a_eq)
    _, comp = connected_components(incidence.T @ incidence, directed=False)
    result = np.full((n, 2), np.nan)
    wanted: set[int] | None = None
    if only is not None:
        wanted = {var_of[(t, int(c))] for t, mask in enumerate(only) for c in np.flatnonzero(np.asarray(mask).ravel())
                  if (t, int(c)) in var_of}
    for label in np.unique(comp[:n_cells]):
        members = np.flatnonzero(comp == label)
        cell_members = members[members < n_cells]
        if wanted is not None and not wanted.intersection(cell_members.tolist()):
            continue
        sub_rows = np.flatnonzero(np.asarray(incidence[:, members].sum(axis=1)).ravel() > 0)
        if only_linked and not (sub_rows >= first_link_row).any():
            continue  # no link in this group: the same system as the single-table audit (NaN = not redone)
        sub, sub_b = a_eq[sub_rows][:, members], b_eq[sub_rows]
        sub_bounds = [bounds[m] for m in members]
        ks = [k for k, var in enumerate(members) if var < n_cells and (wanted is None or int(var) in wanted)]
        if sub_rows.size == 0:
            for k in ks:
                lo_b, hi_b = sub_bounds[k]
                result[members[k]] = (lo_b, np.inf if hi_b is None else hi_b)
            continue
        result[members[ks]] = _lp_ranges(sub, sub_b, sub_bounds, ks)
    for t, (_counts, supp, _prim) in enumerate(parts):
        idx = [var_of[(t, int(c))] for c in np.flatnonzero(supp.ravel())]
        out[t] = result[idx].reshape(-1, 2)
    return out
