"""Differentially private ad-hoc counts (OpenDP 0.16, Polars context API) with a privacy-budget ledger.

Each *release* (a named publication) has a total privacy budget ε. Every ad-hoc query states the ε
it spends; before anything is computed, :class:`DPQuery` shows its accuracy (the half-width of the
95 % interval of the noise, from OpenDP's ``summarize``), and :meth:`DPQuery.release` charges the
ledger first — a query past the budget is refused with a :class:`BudgetExceeded` error and returns
nothing.

Assumptions and caveats
-----------------------
* Privacy unit: one person contributes one row (the per-person table of
  :class:`lantern.statistics.tables.Dataset`, one row per person), so ``contributions=1``.
* Pure ε-DP with the (integer) Laplace mechanism; budgets compose sequentially across queries of a
  release (the ledger adds the ε spent). The group keys are public (from the standard's code lists or
  given by the analyst), so grouping spends no budget and empty groups are reported (noisy) too:
  the key set must not be derived from the data.
* Noisy counts can be negative or inconsistent with each other; they are released as OpenDP returns
  them, with the interval half-width beside them.
* The ledger given here stores releases and charges in a DuckDB file (or in memory); the platform
  replaces it by a database table with the same interface (:class:`BudgetLedger`).

References
----------
Dwork, C., Roth, A. (2014). The Algorithmic Foundations of Differential Privacy.
OpenDP Library, "Polars" user guide (``dp.Context.compositor``, ``summarize``, ``with_keys``).
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from lantern.errors import LanternError, Problem


class BudgetExceeded(LanternError):
    """A query would spend more privacy budget than the release has left."""


class BudgetLedger(Protocol):
    """Where the budget of each release and the ε spent by each query are kept."""

    def open_release(self, release_id: str, epsilon: float) -> None: ...

    def budget(self, release_id: str) -> float: ...

    def spent(self, release_id: str) -> float: ...

    def charge(self, release_id: str, epsilon: float, query: str) -> None:
        """Record a charge, or raise :class:`BudgetExceeded` (atomically: check and write together)."""
        ...

    def charges(self, release_id: str) -> list[dict[str, Any]]: ...


class DuckDBLedger:
    """A budget ledger in a DuckDB file (``path=None``: in memory).

    Parameters
    ----------
    path : str or Path, optional
        The DuckDB database file; created if missing.
    """

    def __init__(self, path: str | Path | None = None):
        import duckdb

        self._lock = threading.Lock()
        self.path = str(path) if path else ":memory:"
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(self.path)
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS dp_release (release_id VARCHAR PRIMARY KEY, epsilon DOUBLE NOT NULL, "
            "created TIMESTAMP NOT NULL)"
        )
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS dp_charge (release_id VARCHAR NOT NULL, query VARCHAR NOT NULL, "
            "epsilon DOUBLE NOT NULL, charged_at TIMESTAMP NOT NULL)"
        )

    def open_release(self, release_id: str, epsilon: float) -> None:
        if not epsilon > 0:
            raise LanternError("a release's privacy budget must be positive", field="epsilon", record=release_id)
        with self._lock:
            exists = self.con.execute("SELECT epsilon FROM dp_release WHERE release_id = ?", [release_id]).fetchone()
            if exists:
                raise LanternError(
                    f"release already has a budget of ε={exists[0]:g}; a budget is never raised", field="epsilon", record=release_id
                )
            self.con.execute("INSERT INTO dp_release VALUES (?, ?, ?)", [release_id, float(epsilon), dt.datetime.now()])

    def budget(self, release_id: str) -> float:
        row = self.con.execute("SELECT epsilon FROM dp_release WHERE release_id = ?", [release_id]).fetchone()
        if row is None:
            raise LanternError("no such release in the privacy ledger (open it with a budget first)", record=release_id)
        return float(row[0])

    def spent(self, release_id: str) -> float:
        self.budget(release_id)
        row = self.con.execute("SELECT coalesce(sum(epsilon), 0) FROM dp_charge WHERE release_id = ?", [release_id]).fetchone()
        return float(row[0]) if row else 0.0

    def remaining(self, release_id: str) -> float:
        return self.budget(release_id) - self.spent(release_id)

    def charge(self, release_id: str, epsilon: float, query: str) -> None:
        if not epsilon > 0:
            raise LanternError("a query must spend a positive ε", field="epsilon", record=query)
        with self._lock:
            self.con.execute("BEGIN TRANSACTION")
            try:
                budget = self.budget(release_id)
                spent = self.spent(release_id)
                if spent + epsilon > budget + 1e-12:
                    raise BudgetExceeded(
                        [
                            Problem(
                                f"query refused: it needs ε={epsilon:g} but release has only ε={budget - spent:g} left "
                                f"of {budget:g} (spent {spent:g})",
                                field="epsilon",
                                record=release_id,
                            )
                        ]
                    )
                self.con.execute(
                    "INSERT INTO dp_charge VALUES (?, ?, ?, ?)", [release_id, query, float(epsilon), dt.datetime.now()]
                )
                self.con.execute("COMMIT")
            except BaseException:
                self.con.execute("ROLLBACK")
                raise

    def charges(self, release_id: str) -> list[dict[str, Any]]:
        rows = self.con.execute(
            "SELECT query, epsilon, charged_at FROM dp_charge WHERE release_id = ? ORDER BY charged_at", [release_id]
        ).fetchall()
        return [{"query": q, "epsilon": e, "charged_at": a} for q, e, a in rows]

    def close(self) -> None:
        self.con.close()


@dataclass
class DPQuery:
    """A planned DP count query: shows its accuracy before anything is released.

    Build with :func:`dp_count`. ``accuracy`` is the half-width of the ``1 - alpha`` interval of the
    noise added to each count; :meth:`release` charges the ledger and returns the noisy counts.
    """

    release_id: str
    description: str
    epsilon: float
    alpha: float
    _query: Any
    _ledger: BudgetLedger
    accuracy: float
    scale: float
    _released: bool = False

    def summary(self) -> dict[str, Any]:
        return {
            "release_id": self.release_id,
            "query": self.description,
            "epsilon": self.epsilon,
            "noise_scale": self.scale,
            "ci_level": 1 - self.alpha,
            "ci_half_width": self.accuracy,
        }

    def release(self) -> pl.DataFrame:
        """Charge the ledger (refusing past the budget), then compute and return the noisy counts."""
        if self._released:
            raise LanternError("this query was already released; plan it again to spend more budget", record=self.description)
        self._ledger.charge(self.release_id, self.epsilon, self.description)
        self._released = True
        result = self._query.release().collect()
        return result.with_columns(pl.lit(self.accuracy).alias("ci_half_width"))


def dp_count(
    persons: pl.LazyFrame | pl.DataFrame,
    *,
    ledger: BudgetLedger,
    release_id: str,
    epsilon: float,
    by: list[str] | None = None,
    keys: dict[str, list[str]] | None = None,
    where: pl.Expr | None = None,
    alpha: float = 0.05,
) -> DPQuery:
    """Plan a DP count of persons, optionally grouped by public keys.

    Parameters
    ----------
    persons : LazyFrame
        One row per person (the privacy unit).
    ledger, release_id :
        The budget ledger and the release the query spends from (must be opened first).
    epsilon : float
        Budget the query spends.
    by : list of str
        Grouping columns; each needs its public key values in ``keys``.
    keys : dict
        ``{column: [values]}``: the public categories (e.g. a code list); every combination is reported.
    where : polars expression, optional
        A filter applied before counting (e.g. ``pl.col("vulnerable")``).
    """
    import opendp.prelude as dp

    dp.enable_features("contrib")
    by = list(by or [])
    keys = keys or {}
    lazy = persons.lazy() if isinstance(persons, pl.DataFrame) else persons
    problems = []
    cols = lazy.collect_schema().names()
    for col in by:
        if col not in cols:
            problems.append(Problem("no such column in the data", field=col, record=release_id))
        if col not in keys or not keys[col]:
            problems.append(Problem("a grouping column needs its public key values (e.g. the code list)", field=col, record=release_id))
    if not epsilon > 0:
        problems.append(Problem("ε must be positive", field="epsilon", record=release_id))
    if problems:
        raise LanternError(problems)
    ledger.budget(release_id)  # the release must exist
    data = lazy.select(by) if where is None else lazy.filter(where).select(by)
    if not by:
        data = (lazy if where is None else lazy.filter(where)).select(pl.col(cols[0]).cast(pl.String).alias("_row"))
    data = data.with_columns([pl.col(c).cast(pl.String) for c in by])
    ctx = dp.Context.compositor(
        data=data,
        privacy_unit=dp.unit_of(contributions=1),
        privacy_loss=dp.loss_of(epsilon=float(epsilon)),
        split_evenly_over=1,
    )
    if by:
        key_frame = pl.DataFrame({by[0]: [str(v) for v in keys[by[0]]]}).lazy()
        for col in by[1:]:
            key_frame = key_frame.join(pl.DataFrame({col: [str(v) for v in keys[col]]}).lazy(), how="cross")
        query: Any = ctx.query().group_by(by).agg(pl.len().dp.noise().alias("count")).with_keys(key_frame)  # type: ignore[attr-defined]
    else:
        query = ctx.query().select(pl.len().dp.noise().alias("count"))  # type: ignore[attr-defined]
    summary: Any = query.summarize(alpha=alpha)
    accuracy = float(summary["accuracy"][0])
    scale = float(summary["scale"][0])
    description = f"count by {', '.join(by) or 'nothing'}" + ("" if where is None else f" where {where}")
    return DPQuery(release_id, description, float(epsilon), alpha, query, ledger, accuracy, scale)
