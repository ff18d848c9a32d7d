"""Comparison between countries and EU aggregation of published national tables (no microdata).

Each national instance publishes its disclosure-controlled tables (``lantern stats table`` → CSV).
The EU table is built **only from those published files**: nothing else leaves a country.

How suppression interacts with aggregation
-------------------------------------------
* An EU cell is the sum of the national *released* cells. Where every country released the cell,
  the EU value is exact up to rounding (each national value is rounded to the base, so the EU sum can
  be off by up to ``n_countries x base / 2``) and is marked ``complete``.
* Where some country suppressed the cell, the EU cell cannot be computed exactly. It is given as an
  interval: the lower bound adds 1 for each primary-suppressed national cell (``"<11"`` means 1..10)
  and 0 for each secondary one; the upper bound adds ``threshold - 1`` per primary cell and is
  unbounded if any secondary cell is involved. The cell is marked ``partial`` and shown as e.g.
  ``"≥ 123"``; its ``value`` is empty.
* National margins (totals) are usually released even when inner cells are suppressed, so the EU
  totals stay exact; that is why the national tables keep their margins.
* No further disclosure control is needed: every figure is a function of already published figures.

All inputs must come from the same table specification (same table id, dimensions and standard
version); otherwise the merge is refused.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lantern.errors import LanternError, Problem
from lantern.statistics.sdc import PRIMARY, PUBLISHED, SECONDARY

META = ("table_id", "measure", "value", "status", "display", "standard_version")


def read_published(path: str | Path) -> pd.DataFrame:
    """Read a published long CSV (``lantern stats table --out x.csv``)."""
    path = Path(path)
    if not path.is_file():
        raise LanternError("no such published table file", record=str(path))
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in META if c not in frame.columns]
    if missing:
        raise LanternError(
            [Problem("not a published Lantern table: column missing", field=c, record=path.name) for c in missing]
        )
    frame["value"] = pd.to_numeric(frame["value"].replace("", np.nan), errors="coerce")
    frame["source"] = path.stem
    return frame


def merge_national(frames: list[pd.DataFrame], *, threshold: int = 11, labels: list[str] | None = None) -> pd.DataFrame:
    """Sum published national tables into an EU table (see the module notes for suppressed cells).

    Parameters
    ----------
    frames : list of DataFrame
        Published long tables (one per country), e.g. from :func:`read_published`.
    threshold : int
        The threshold the national tables used (a primary cell lies in 1 .. threshold-1).

    Returns
    -------
    DataFrame
        One row per table and cell: dims, ``value`` (exact sum or empty), ``lower``, ``upper``,
        ``status`` (``complete`` / ``partial``), ``display``, ``n_sources``, ``n_suppressed``.
    """
    if len(frames) < 2:
        raise LanternError("give at least two national tables to aggregate", field="inputs")
    labels = labels or [str(f["source"].iloc[0]) if "source" in f and len(f) else f"input {i + 1}" for i, f in enumerate(frames)]
    problems = []
    first = frames[0]
    dims = [c for c in first.columns if c not in (*META, "source")]
    versions = {v for f in frames for v in f["standard_version"].astype(str).unique()}
    if len(versions) > 1:
        problems.append(Problem(f"inputs were computed under different standard versions: {', '.join(sorted(versions))}", field="standard_version"))
    for label, frame in zip(labels, frames, strict=True):
        other = [c for c in frame.columns if c not in (*META, "source")]
        if sorted(other) != sorted(dims):
            problems.append(Problem(f"dimensions {other} differ from {dims}", record=label))
        if set(frame["table_id"]) != set(first["table_id"]):
            problems.append(Problem("holds other tables than the first input", field="table_id", record=label))
    if problems:
        raise LanternError(problems)
    rows = []
    for label, frame in zip(labels, frames, strict=True):
        f = frame.copy()
        f["source"] = label
        rows.append(f)
    stacked = pd.concat(rows, ignore_index=True)
    for d in dims:
        stacked[d] = stacked[d].fillna("").astype(str)
    status = stacked["status"].astype(str)
    value = pd.to_numeric(stacked["value"], errors="coerce")
    stacked["_pub"] = np.where(status == PUBLISHED, value, 0.0)
    stacked["_lo"] = np.where(status == PUBLISHED, value, np.where(status == PRIMARY, 1.0, 0.0))
    stacked["_hi"] = np.where(
        status == PUBLISHED, value, np.where(status == PRIMARY, float(threshold - 1), np.inf)
    )
    stacked["_supp"] = (status == PRIMARY) | (status == SECONDARY)
    keys = ["table_id", *dims, "measure", "standard_version"]
    grouped = stacked.groupby(keys, sort=False, dropna=False).agg(
        lower=("_lo", "sum"), upper=("_hi", "sum"), n_sources=("source", "nunique"), n_suppressed=("_supp", "sum"),
        exact=("_pub", "sum"),
    ).reset_index()
    complete = grouped["n_suppressed"] == 0
    grouped["value"] = pd.array(np.where(complete, grouped["exact"], np.nan), dtype="Int64")
    grouped["status"] = np.where(complete, "complete", "partial")
    grouped["display"] = [
        str(int(v)) if c else (f"≥ {int(lo)}" if np.isinf(hi) else f"{int(lo)}–{int(hi)}")
        for c, v, lo, hi in zip(complete, grouped["exact"], grouped["lower"], grouped["upper"], strict=True)
    ]
    grouped["sources"] = ", ".join(labels)
    return grouped.drop(columns=["exact"])


def compare_countries(frames: list[pd.DataFrame], *, labels: list[str] | None = None) -> pd.DataFrame:
    """Side-by-side released values of the same table from several countries (one column each)."""
    labels = labels or [str(f["source"].iloc[0]) if "source" in f and len(f) else f"input {i + 1}" for i, f in enumerate(frames)]
    dims = [c for c in frames[0].columns if c not in (*META, "source")]
    keyed = []
    for label, frame in zip(labels, frames, strict=True):
        f = frame[["table_id", *dims, "display"]].copy()
        for d in dims:
            f[d] = f[d].fillna("").astype(str)
        keyed.append(f.rename(columns={"display": label}).set_index(["table_id", *dims]))
    return pd.concat(keyed, axis=1).reset_index()
