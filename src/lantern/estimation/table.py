"""Capture-history tables: reading, validating and tidying the input of multiple systems estimation.

A capture history says on which of the ``t`` lists (agency registers) a person appears. The input is
either a table with one 0/1 column per list and a ``count`` column (one row per distinct history), or
one row per person (0/1 columns, no ``count``), or the histories returned by
:func:`lantern.linkage.link_to_histories`.

Internally the ``2**t - 1`` observable histories are indexed by their bit code: list ``i`` (0-based,
in column order) is bit ``i``, and cell ``k`` of the count vector holds history code ``k + 1``. The
all-zero history (people on no list, the "dark figure") is never observed and never allowed in input.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lantern.errors import Problem, ValidationError

MAX_LISTS = 10
COUNT_NAMES = ("count", "Count", "n", "freq", "Freq")


@dataclass(frozen=True)
class CaptureTable:
    """Counts of every observable capture history.

    Parameters
    ----------
    lists : tuple of str
        List names, in column order (list ``i`` is bit ``i`` of a history code).
    counts : numpy.ndarray of int, shape (2**t - 1,)
        ``counts[k]`` is the number of people whose history has code ``k + 1``.

    input_order : tuple of int, optional
        Cell indices of the input's rows, in the order they were given (tables with a count
        column only). R's stepwise bootstrap resamples the rows in this order, so an R-compatible
        bootstrap needs it (see :mod:`lantern.estimation.rstream`).

    Notes
    -----
    Histories absent from the input have count zero, as in SparseMSE's ``tidylists``.
    """

    lists: tuple[str, ...]
    counts: np.ndarray
    input_order: tuple[int, ...] | None = None

    @property
    def n_lists(self) -> int:
        return len(self.lists)

    @property
    def observed(self) -> int:
        """Number of distinct people observed on at least one list."""
        return int(self.counts.sum())

    @property
    def histories(self) -> np.ndarray:
        """0/1 matrix (cells x lists) of the observable histories, in cell order."""
        return cell_histories(self.n_lists)

    def list_totals(self) -> dict[str, int]:
        h = self.histories
        return {name: int((h[:, i] * self.counts).sum()) for i, name in enumerate(self.lists)}

    def to_rows(self, *, include_zero: bool = False) -> list[dict]:
        """Rows ``{list: 0/1, ..., "count": n}``, ordered by number of lists then code."""
        h = self.histories
        order = np.lexsort((np.arange(len(self.counts)), h.sum(axis=1)))
        rows = []
        for k in order:
            if self.counts[k] == 0 and not include_zero:
                continue
            row = {name: int(h[k, i]) for i, name in enumerate(self.lists)}
            row["count"] = int(self.counts[k])
            rows.append(row)
        return rows

    def with_counts(self, counts: np.ndarray) -> CaptureTable:
        return CaptureTable(self.lists, np.asarray(counts, dtype=np.int64), self.input_order)

    def resampling_order(self, *, as_given: bool) -> np.ndarray:
        """Cell indices in the order R resamples them.

        ``as_given=True``: the rows of the input as given (SparseMSE ``estimatepopulation`` and
        MultipleSystemsEstimation ``estimate_population_stepwise`` resample ``zdat`` itself);
        ``False``, or input without rows (one row per person, linked histories): every observable
        history in ``tidylists`` order (MultipleSystemsEstimation ``bootstrapcal``).
        """
        if as_given and self.input_order is not None:
            return np.asarray(self.input_order, dtype=np.int64)
        return tidy_order(self.n_lists)

    @classmethod
    def from_histories(
        cls, lists: list[str] | tuple[str, ...], histories: np.ndarray, counts: np.ndarray | None = None,
        *, source: str = "input",
    ) -> CaptureTable:
        """Build a table from a 0/1 history matrix and optional counts (one person per row if none)."""
        h = np.asarray(histories)
        lists = tuple(str(x) for x in lists)
        problems: list[Problem] = []
        if len(lists) < 2:
            raise ValidationError(
                f"multiple systems estimation needs at least two lists; found {len(lists)}",
                field="lists", record=source,
            )
        if len(lists) > MAX_LISTS:
            raise ValidationError(
                f"at most {MAX_LISTS} lists are supported; found {len(lists)} (merge related lists)",
                field="lists", record=source,
            )
        if len(set(lists)) != len(lists):
            raise ValidationError("two lists have the same name", field="lists", record=source)
        if h.ndim != 2 or h.shape[1] != len(lists):
            raise ValidationError("the history matrix does not have one column per list", record=source)
        cnt = np.ones(h.shape[0], dtype=np.int64) if counts is None else np.asarray(counts)
        if h.shape[0] == 0:
            raise ValidationError("the table has no rows", record=source)
        code = np.zeros(h.shape[0], dtype=np.int64)
        for i in range(len(lists)):
            code |= (h[:, i].astype(np.int64) & 1) << i
        seen: dict[int, int] = {}
        for r in range(h.shape[0]):
            if code[r] == 0 and cnt[r] != 0:
                problems.append(Problem(
                    "the all-zero history (on no list) cannot be observed; remove this row",
                    record=f"{source} row {r + 1}",
                ))
            elif code[r] == 0:
                problems.append(Problem(
                    "the all-zero history is the unknown the estimate is for; remove this row",
                    record=f"{source} row {r + 1}",
                ))
            if counts is not None and code[r] in seen:
                problems.append(Problem(
                    f"duplicate capture history (same as row {seen[int(code[r])] + 1}); "
                    "give each history once with its total count",
                    record=f"{source} row {r + 1}",
                ))
            seen.setdefault(int(code[r]), r)
        if problems:
            raise ValidationError(problems)
        full = np.zeros(2 ** len(lists) - 1, dtype=np.int64)
        np.add.at(full, code - 1, cnt.astype(np.int64))
        order = None if counts is None else tuple(int(c) - 1 for c in code)
        table = cls(lists, full, order)
        table.check_informative(source=source)
        return table

    def check_informative(self, *, source: str = "input") -> None:
        if self.observed == 0:
            raise ValidationError("every count is zero: nobody was observed", field="count", record=source)
        problems = [
            Problem(
                "nobody is on this list, so it carries no information; remove the column",
                field=name, record=source,
            )
            for name, total in self.list_totals().items()
            if total == 0
        ]
        if problems:
            raise ValidationError(problems)


def tidy_order(t: int) -> np.ndarray:
    """Cell indices of the ``2**t - 1`` observable histories in the order of R's ``tidylists``.

    That order is: by the number of lists a history is on, then with the first list as the most
    significant digit, from high to low (for three lists: A, B, C, AB, AC, BC, ABC).
    """
    codes = np.arange(1, 2**t, dtype=np.int64)
    # first list most significant: reverse the bit order of each code
    rev = np.zeros_like(codes)
    for i in range(t):
        rev |= ((codes >> i) & 1) << (t - 1 - i)
    ones = np.array([bin(int(c)).count("1") for c in codes])
    return codes[np.lexsort((-rev, ones))] - 1


def cell_histories(t: int) -> np.ndarray:
    """0/1 matrix of the ``2**t - 1`` observable histories; row ``k`` is code ``k + 1``."""
    codes = np.arange(1, 2 ** t, dtype=np.int64)
    return ((codes[:, None] >> np.arange(t)) & 1).astype(np.int8)


def _parse_int_cells(values, column: str, source: str, *, binary: bool) -> tuple[np.ndarray, list[Problem]]:
    out = np.zeros(len(values), dtype=np.int64)
    problems: list[Problem] = []
    for r, v in enumerate(values):
        where = f"{source} row {r + 2}"  # +1 for 1-based, +1 for the header line
        if v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip()):
            problems.append(Problem("missing value", field=column, record=where))
            continue
        try:
            f = float(v)
        except (TypeError, ValueError):
            problems.append(Problem(f"not a number: {v!r}", field=column, record=where))
            continue
        if binary and f not in (0.0, 1.0):
            hint = ""
            if f > 1 and f == int(f):
                hint = (" (if this column holds the number of people with each history, name it 'count'; "
                        "without a count column every row is read as one person)")
            problems.append(Problem(f"list membership must be 0 or 1, not {v!r}{hint}", field=column,
                                    record=where))
            continue
        if not binary and (f < 0 or f != int(f)):
            problems.append(Problem(
                f"a count must be a whole number of people, 0 or more, not {v!r}", field=column, record=where
            ))
            continue
        out[r] = int(f)
    return out, problems


def table_from_frame(frame, *, source: str = "input", count_column: str | None = None) -> CaptureTable:
    """Build a :class:`CaptureTable` from a pandas or polars data frame.

    With a count column (``count`` by default, also ``Count``/``n``/``freq``): one row per distinct
    history. Without one: one row per person. Every other column must be a 0/1 list column, except an
    optional leading identifier column named ``id``/``person_id``/``record_id`` in per-person input.
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        frame = frame.to_pandas()
    columns = [str(c) for c in frame.columns]
    if count_column is None:
        count_column = next((c for c in COUNT_NAMES if c in columns), None)
    elif count_column not in columns:
        raise ValidationError(f"no column named {count_column!r}", field=count_column, record=source)
    list_cols = [c for c in columns if c != count_column and c not in ("id", "person_id", "record_id")]
    problems: list[Problem] = []
    hist = np.zeros((len(frame), len(list_cols)), dtype=np.int64)
    for i, c in enumerate(list_cols):
        hist[:, i], p = _parse_int_cells(frame[c].tolist(), c, source, binary=True)
        problems += p
    counts = None
    if count_column is not None:
        counts, p = _parse_int_cells(frame[count_column].tolist(), count_column, source, binary=False)
        problems += p
    if problems:
        raise ValidationError(problems)
    return CaptureTable.from_histories(list_cols, hist, counts, source=source)


def read_table(path: str | Path, *, count_column: str | None = None) -> CaptureTable:
    """Read a CSV (or Parquet) capture-history file; see :func:`table_from_frame`."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise ValidationError("file not found", record=str(path))
    try:
        if path.suffix.lower() == ".parquet":
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:  # unreadable file: say so plainly
        raise ValidationError(f"cannot read the file: {exc}", record=str(path)) from exc
    if frame.shape[1] == 0 or frame.shape[0] == 0:
        raise ValidationError("the file has no data rows", record=str(path))
    return table_from_frame(frame, source=path.name, count_column=count_column)


def as_table(data, *, lists: list[str] | None = None) -> CaptureTable:
    """Accept a :class:`CaptureTable`, a data frame, a path, or a (histories, counts) array."""
    if isinstance(data, CaptureTable):
        return data
    if isinstance(data, (str, Path)):
        return read_table(data)
    if hasattr(data, "columns"):
        return table_from_frame(data)
    arr = np.asarray(data)
    if arr.ndim == 2:
        names = lists or [chr(ord("A") + i) for i in range(arr.shape[1] - 1)]
        return CaptureTable.from_histories(names, arr[:, :-1], arr[:, -1])
    raise ValidationError("unsupported input: give a table, a data frame or a file path")
