"""Harmonised count tables computed with DuckDB over the flat assessment format.

Unit of count
-------------
A *person* (``subject_ref``; an assessment without one counts as its own person) is counted **once**,
in the cells of their **first** assessment in the data (date, country, citizenship, sex, age, sector…:
the registration, as in Eurostat's "registered victims" of the year of registration). A person's flags
(``vulnerable``, ``presumed_victim``, ``identified_victim``) are true if any of their assessments set
them. Every table is therefore additive (categories sum to their totals), which the disclosure control
relies on. Two assessments of a person on the same day are ordered by a hash of their ids (arbitrary
but the same on every run).

Population ``tcn`` keeps persons whose citizenship is known and not an EU member state (the standard's
``countries`` flags); ``all`` keeps everyone (e.g. for Eurostat's victims of every citizenship).

Missing categories are counted under ``UNK`` (unknown), never dropped.

Flags
-----
``vulnerable`` and ``presumed_victim`` come from :func:`lantern.screening.screen_batch`. If the data
already carries them as columns (a flagged export, or the benchmark's synthetic file) they are used as
they are; otherwise the assessments are screened first (which needs ``lantern.screening``).
"""

from __future__ import annotations

import contextlib
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lantern.errors import LanternError, Problem
from lantern.statistics import _std
from lantern.statistics.sdc import (
    PUBLISHED,
    TOTAL,
    ProtectedArray,
    Relation,
    SDCRules,
    audit_joint,
    cube_lines,
    protect_array,
)
from lantern.statistics.spec import MEASURES, Spec, TableSpec

UNKNOWN = "UNK"
FLAG_COLUMNS = ("vulnerable", "presumed_victim", "identified_victim")
BASE_COLUMNS = ("assessment_id", "subject_ref", "interview_date", "citizenship")
ATTRIBUTE_COLUMNS = (
    "country_of_interview",
    "region",
    "citizenship",
    "sex",
    "age",
    "exploitation_form",
    "sector",
    "legal_status",
    "education",
    "agency",
    "standard_version",
)


def _find_assessments(data: str | Path) -> Path:
    path = Path(data)
    if path.is_dir():
        for name in ("assessments.parquet", "assessments.csv"):
            if (path / name).is_file():
                return path / name
        raise LanternError("no assessments.parquet or assessments.csv in the data directory", record=str(path))
    if path.is_file():
        return path
    raise LanternError("no such data directory or file", record=str(path))


def _read_sql(path: Path) -> str:
    quoted = str(path).replace("'", "''")
    if path.suffix == ".csv":
        return f"read_csv('{quoted}', header=true, auto_detect=true)"
    if path.suffix == ".parquet":
        return f"read_parquet('{quoted}')"
    raise LanternError("unsupported file type (use .parquet or .csv)", record=str(path))


class Dataset:
    """Assessments loaded into DuckDB, one row per person (see the module notes).

    Parameters
    ----------
    data : path or DataFrame
        The simulator's output directory, an ``assessments`` Parquet/CSV file, or a pandas/Polars frame
        in the flat assessment format.
    screen : bool
        Run :func:`lantern.screening.screen_batch` when the flag columns are missing (default True).
    threads : int, optional
        DuckDB threads (default: DuckDB's own choice).
    columns : list of str, optional
        Only these attribute columns are carried to the per-person table (the others are empty);
        :func:`spec_columns` gives those a spec needs. Faster on large files.
    cache : path, optional
        Folder where the one-row-per-person table is kept as Parquet (named after the source file's
        path, size and modification time), so the next run over the same file skips the deduplication.
        It holds pseudonymous person-level data: keep it where the assessments are kept.
    """

    def __init__(
        self,
        data: Any,
        *,
        screen: bool = True,
        threads: int | None = None,
        cache: str | Path | None = None,
        columns: list[str] | None = None,
    ):
        import duckdb

        self.cache: Path | None = None
        self.keep = set(ATTRIBUTE_COLUMNS) if columns is None else set(columns) | {"citizenship", "standard_version"}

        self.con = duckdb.connect()
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        self.source = "frame"
        if isinstance(data, str | Path):
            path = _find_assessments(data)
            self.source = str(path)
            self.con.execute(f"CREATE VIEW raw_assessments AS SELECT * FROM {_read_sql(path)}")  # noqa: S608 (path quoted)
        else:
            frame = data
            self.con.register("raw_frame", frame)
            self.con.execute("CREATE VIEW raw_assessments AS SELECT * FROM raw_frame")
        cols = [r[0] for r in self.con.execute("DESCRIBE raw_assessments").fetchall()]
        missing = [c for c in BASE_COLUMNS if c not in cols]
        if missing:
            raise LanternError(
                [Problem("required column missing from the assessments", field=c, record=self.source) for c in missing]
            )
        self.columns = set(cols)
        if cache is not None and isinstance(data, str | Path):
            self.cache = self._cache_path(Path(cache), Path(self.source), sorted(self.keep))
            if self.cache.is_file():
                self._build_persons()
                return
        if not {"vulnerable", "presumed_victim"} <= self.columns:
            if not screen:
                raise LanternError(
                    "the assessments carry no 'vulnerable'/'presumed_victim' flags and screening was turned off",
                    record=self.source,
                )
            self._screen()
        self._build_persons()

    @staticmethod
    def _cache_path(folder: Path, source: Path, keep: list[str]) -> Path:
        """A cache file named after the source's path, size, modification time and the columns kept."""
        import hashlib

        stat = source.stat()
        key = hashlib.sha256(f"{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{','.join(keep)}|v2".encode()).hexdigest()[:20]
        return folder / f"persons-{key}.parquet"

    def _screen(self) -> None:
        try:
            from lantern.screening import screen_batch  # type: ignore[attr-defined]
        except ImportError as exc:
            raise LanternError(
                "the assessments carry no 'vulnerable'/'presumed_victim' columns and lantern.screening is "
                "not available to compute them",
                record=self.source,
            ) from exc
        frame = self.con.sql("SELECT * FROM raw_assessments").pl()
        flags = screen_batch(frame).select(["assessment_id", "vulnerable", "presumed_victim"])
        self.con.register("screen_flags", flags)
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE flagged AS SELECT r.* EXCLUDE (vulnerable, presumed_victim), "
            "f.vulnerable, f.presumed_victim FROM raw_assessments r JOIN screen_flags f USING (assessment_id)"
            if {"vulnerable", "presumed_victim"} & self.columns
            else "CREATE OR REPLACE TEMP TABLE flagged AS SELECT r.*, f.vulnerable, f.presumed_victim "
            "FROM raw_assessments r JOIN screen_flags f USING (assessment_id)"
        )
        self.con.execute("CREATE OR REPLACE VIEW raw_assessments_flagged AS SELECT * FROM flagged")
        self.columns |= {"vulnerable", "presumed_victim"}
        self._raw = "raw_assessments_flagged"

    def _build_persons(self) -> None:
        raw = getattr(self, "_raw", "raw_assessments")
        if self.cache is not None and self.cache.is_file():
            quoted = str(self.cache).replace("'", "''")
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE persons AS SELECT * FROM read_parquet('{quoted}')")  # noqa: S608
            self._finish_persons()
            return
        # one aggregate state per person: the first assessment's attributes as a struct, chosen by an
        # integer key (day number, then a hash of the assessment id, so same-day ties are broken the
        # same way every time; integer keys compare much faster than (date, string) pairs)
        key = (
            "(CAST(date_diff('day', DATE '1970-01-01', CAST(interview_date AS DATE)) AS BIGINT) * 4294967296 "
            "+ CAST(hash(CAST(assessment_id AS VARCHAR)) % 4294967296 AS BIGINT))"
        )
        fields = []
        empty = []
        for col in ATTRIBUTE_COLUMNS:
            typ = "INTEGER" if col == "age" else "VARCHAR"
            if col in self.columns and col in self.keep:
                fields.append(f"{col} := CAST({col} AS {typ})")
            else:
                empty.append(f"CAST(NULL AS {typ}) AS {col}")
        flags = [
            f"coalesce(bool_or(CAST({flag} AS BOOLEAN)), false) AS {flag}" if flag in self.columns else f"CAST(NULL AS BOOLEAN) AS {flag}"
            for flag in FLAG_COLUMNS
        ]
        sql = (
            "CREATE OR REPLACE TEMP TABLE persons AS SELECT person, UNNEST(first), "  # noqa: S608
            + "".join(f"{e}, " for e in empty)
            + ", ".join(f.split(" AS ")[-1] for f in flags)
            + " FROM (SELECT coalesce(CAST(subject_ref AS VARCHAR), 'a:' || CAST(assessment_id AS VARCHAR)) AS person, "
            f"arg_min(struct_pack(interview_date := CAST(interview_date AS DATE), {', '.join(fields)}), {key}) AS first, "
            + ", ".join(flags)
            + f" FROM {raw} GROUP BY 1)"
        )
        self.con.execute(sql)
        if self.cache is not None:
            from lantern.statistics.export import atomic_path

            with atomic_path(self.cache) as tmp:
                self.con.execute(f"COPY persons TO '{str(tmp).replace(chr(39), chr(39) * 2)}' (FORMAT parquet)")
        self._finish_persons()

    def _finish_persons(self) -> None:
        row = self.con.execute("SELECT count(*) FROM persons WHERE interview_date IS NULL").fetchone()
        bad = row[0] if row else 0
        if bad:
            raise LanternError(f"{bad} person(s) have no interview date", field="interview_date", record=self.source)
        self.data_versions = sorted(
            str(v[0]) for v in self.con.execute("SELECT DISTINCT standard_version FROM persons WHERE standard_version IS NOT NULL").fetchall()
        )

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.con.close()


def _sql_list(values: Any) -> str:
    return "(" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + ")"


def _band_labels(bands: tuple[int, ...]) -> list[str]:
    labels = []
    for i, lo in enumerate(bands):
        labels.append(f"{lo}-{bands[i + 1] - 1}" if i + 1 < len(bands) else f"{lo}+")
    return labels


def variable_sql(var: str, spec: TableSpec, eu: frozenset[str]) -> str:
    """SQL expression (over the ``persons`` table) of a breakdown variable."""
    if var == "period":
        fmt = {
            "year": "strftime(interview_date, '%Y')",
            "quarter": "strftime(interview_date, '%Y') || '-Q' || CAST(quarter(interview_date) AS VARCHAR)",
            "month": "strftime(interview_date, '%Y-%m')",
        }[spec.period]
        return fmt
    if var == "country":
        return f"coalesce(country_of_interview, '{UNKNOWN}')"
    if var == "citizenship_group":
        return (
            f"CASE WHEN citizenship IS NULL THEN '{UNKNOWN}' WHEN citizenship = country_of_interview THEN 'REPORTING' "
            f"WHEN citizenship IN {_sql_list(sorted(eu))} THEN 'OTHER_EU' ELSE 'NON_EU' END"
        )
    if var == "exploitation_group":
        forms = _std.code_ids("exploitation_form") or []
        extra = ["sexual_exploitation", "forced_labour", "forced_begging", "forced_criminality", "forced_marriage"]
        cases = " ".join(
            f"WHEN exploitation_form = '{f}' THEN '{_std.eurostat_exploitation_group(f)}'" for f in dict.fromkeys(forms + extra)
        )
        return f"CASE WHEN exploitation_form IS NULL THEN '{UNKNOWN}' {cases} ELSE 'OTH' END"
    if var == "age_band":
        labels = _band_labels(spec.age_bands)
        whens = " ".join(
            f"WHEN age >= {lo} THEN '{label}'" for lo, label in reversed(list(zip(spec.age_bands, labels, strict=True)))
        )
        return f"CASE WHEN age IS NULL OR age < 0 THEN '{UNKNOWN}' {whens} END"
    return f"coalesce({var}, '{UNKNOWN}')"


MEASURE_SQL = {
    "persons": "count(*)",
    "vulnerable": "count(*) FILTER (WHERE vulnerable)",
    "presumed_victims": "count(*) FILTER (WHERE presumed_victim)",
    "identified_victims": "count(*) FILTER (WHERE identified_victim)",
    "registered_victims": "count(*) FILTER (WHERE presumed_victim OR coalesce(identified_victim, false))",
}


def _level_order(var: str, spec: TableSpec, levels: list[str]) -> list[str]:
    if var == "age_band":
        order = _band_labels(spec.age_bands) + [UNKNOWN]
        return [lv for lv in order if lv in levels]
    known = sorted(lv for lv in levels if lv != UNKNOWN)
    return known + ([UNKNOWN] if UNKNOWN in levels else [])


def cube_from_long(frame: pd.DataFrame, dims: list[str], levels: list[list[str]], value: str = "value") -> np.ndarray:
    """Cube with totals (last index of each axis) from the body cells of a long table."""
    shape = tuple(len(lv) for lv in levels)
    body = np.zeros(shape, dtype=np.int64)
    if len(frame):
        idx = tuple(
            pd.Categorical(frame[d].astype(str), categories=lv).codes for d, lv in zip(dims, levels, strict=True)
        )
        np.add.at(body, idx, frame[value].to_numpy(dtype=np.int64))
    cube = body
    for axis in range(cube.ndim):
        cube = np.concatenate([cube, cube.sum(axis=axis, keepdims=True)], axis=axis)
    return cube


@dataclass
class StatTable:
    """A computed, disclosure-controlled table.

    ``frame()`` gives the publishable long table (no true counts); ``true_frame()`` the internal one.
    """

    spec: TableSpec
    levels: list[list[str]]
    protected: ProtectedArray
    standard_version: str
    data_versions: list[str] = field(default_factory=list)
    #: ``(child, parent)`` variable pairs protected as nested classifications when another table of the
    #: same family is broken down by the parent (declared in the spec plus the natural ones).
    hierarchies: tuple[tuple[str, str], ...] = ()
    #: ``{(child, parent): {child label: [parent labels]}}``: the parents each child value was found
    #: under in the data (set by :func:`compute_tables`; one parent = strictly nested).
    nesting: dict[tuple[str, str], dict[str, list[str]]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def dims(self) -> list[str]:
        return list(self.spec.by)

    def _rows(self, include_true: bool) -> pd.DataFrame:
        p = self.protected
        labels = [lv + [TOTAL] for lv in self.levels]
        grids = np.meshgrid(*[np.arange(len(lv)) for lv in labels], indexing="ij")
        data: dict[str, Any] = {"table_id": self.id}
        for d, lv, g in zip(self.dims, labels, grids, strict=True):
            data[d] = np.asarray(lv, dtype=object)[g.ravel()]
        data["measure"] = self.spec.measure
        released = p.released.ravel()
        data["value"] = pd.array(np.where(np.isnan(released), np.nan, released), dtype="Int64")
        data["status"] = p.status.ravel()
        data["display"] = p.display().ravel()
        if include_true:
            data["true_value"] = p.counts.ravel()
        data["standard_version"] = self.standard_version
        return pd.DataFrame(data)

    def frame(self) -> pd.DataFrame:
        """Publishable long table: dims (``TOTAL`` for margins), value (None if suppressed), status, display."""
        return self._rows(include_true=False)

    def true_frame(self) -> pd.DataFrame:
        """Internal table with the true counts (never publish)."""
        return self._rows(include_true=True)


def _check_measure(ds: Dataset, spec: TableSpec) -> None:
    if spec.measure not in MEASURES:
        raise LanternError(f"unknown measure {spec.measure!r}", field="measure", record=spec.id)
    if spec.measure == "identified_victims" and "identified_victim" not in ds.columns:
        raise LanternError(
            "the data has no 'identified_victim' column (formal identification); use presumed_victims or registered_victims",
            field="measure",
            record=spec.id,
        )


def _finish(ds: Dataset, spec: TableSpec, body: pd.DataFrame, rules: SDCRules, standard_version: str) -> StatTable:
    names = [f"d{i}" for i in range(len(spec.by))]
    levels = [_level_order(v, spec, sorted(body[n].astype(str).unique())) for v, n in zip(spec.by, names, strict=True)]
    if any(len(lv) == 0 for lv in levels):
        levels = [lv or [UNKNOWN] for lv in levels]
    cube = cube_from_long(body, names, levels)
    consistent = spec.by.index("period") if "period" in spec.by else None
    protected = protect_array(cube, rules, consistent_axis=consistent)
    return StatTable(spec, levels, protected, standard_version, ds.data_versions)


def _family(spec: TableSpec) -> tuple:
    """Tables of one family count the same persons: their common margins are the same numbers."""
    return (spec.measure, spec.population, tuple(sorted(spec.filter.items())), spec.period)


def _shared_cells(a: StatTable, b: StatTable) -> tuple[np.ndarray, np.ndarray] | None:
    """Flat indices of the cells two tables have in common (the margin over their common variables)."""
    common = [d for d in a.dims if d in b.dims and not (d == "age_band" and a.spec.age_bands != b.spec.age_bands)]
    if not common:
        common = []
    idx_a, idx_b = [], []
    labels_a = {d: lv + [TOTAL] for d, lv in zip(a.dims, a.levels, strict=True)}
    labels_b = {d: lv + [TOTAL] for d, lv in zip(b.dims, b.levels, strict=True)}
    for d in common:
        if labels_a[d] != labels_b[d]:
            return None
    shape_a, shape_b = a.protected.counts.shape, b.protected.counts.shape
    for combo in itertools.product(*[range(len(labels_a[d])) for d in common]):
        pos = dict(zip(common, combo, strict=True))
        ia = tuple(pos.get(d, len(labels_a[d]) - 1) for d in a.dims)
        ib = tuple(pos.get(d, len(labels_b[d]) - 1) for d in b.dims)
        idx_a.append(np.ravel_multi_index(ia, shape_a))
        idx_b.append(np.ravel_multi_index(ib, shape_b))
    return np.array(idx_a, dtype=np.int64), np.array(idx_b, dtype=np.int64)


def _dim_keys(t: StatTable) -> dict[str, str]:
    """Each variable's identity for linking (age bands count as different variables if the bands differ)."""
    return {d: (f"age_band{list(t.spec.age_bands)}" if d == "age_band" else d) for d in t.dims}


def _cell(t: StatTable, pos: dict[str, int]) -> int:
    """Flat index of a cell; variables not in ``pos`` are at their ``TOTAL``."""
    idx = tuple(pos.get(d, len(lv)) for d, lv in zip(t.dims, t.levels, strict=True))
    return int(np.ravel_multi_index(idx, t.protected.counts.shape))


def _band_range(label: str) -> tuple[float, float] | None:
    if label == UNKNOWN:
        return None
    lo, _, hi = label.partition("-")
    return (float(lo.rstrip("+")), float(hi) if hi else np.inf)


def _age_support(child: list[str], parent: list[str]) -> dict[str, list[str]]:
    """Which coarse age bands each fine band overlaps (``UNK`` only in ``UNK``)."""
    out: dict[str, list[str]] = {}
    for c in child:
        rc = _band_range(c)
        if rc is None:
            out[c] = [p for p in parent if p == UNKNOWN]
            continue
        out[c] = [p for p in parent if (rp := _band_range(p)) is not None and rc[0] <= rp[1] and rp[0] <= rc[1]]
    return out


def _nesting_relations(
    tables: list[StatTable], x: int, y: int, pairs: list[tuple[str, str, dict[str, list[str]]]], hidden_start: int
) -> tuple[list[Relation], int]:
    """Relations "the children of parent p add up to the cell p" between table ``x`` and table ``y``.

    ``pairs`` are the nested classifications taken together, ``(child variable of x, parent variable of
    y, support)``: one pair (region in country) or several at once (region × exploitation form in
    country × exploitation group — the cells of the finer table add up to each cell of the coarser one,
    which ties more than either pair alone). ``support`` gives the parents each child value was found
    under. A child combination under one parent combination is strictly nested: its cell enters that
    parent's sum. One under several (``UNK``, a name used in two countries) is split into non-negative
    hidden parts, one per parent combination, that add up to its cell. One set of relations per
    combination of the variables the two tables share (margins included); every other variable of each
    table is at its ``TOTAL``.
    """
    a, b = tables[x], tables[y]
    ka, kb = _dim_keys(a), _dim_keys(b)
    us, vs = [u for u, _v, _s in pairs], [v for _u, v, _s in pairs]
    common = [d for d in a.dims if d not in us and d in b.dims and d not in vs and ka[d] == kb[d]]
    la = dict(zip(a.dims, a.levels, strict=True))
    lb = dict(zip(b.dims, b.levels, strict=True))
    if any(la[d] != lb[d] for d in common):
        return [], 0
    parent_at = [{p: i for i, p in enumerate(lb[v])} for v in vs]
    parent_combos = list(itertools.product(*[range(len(lb[v])) for v in vs]))
    unders = [  # per pair, per child index: the parent indices it lies under (all when never seen)
        [[parent_at[k][p] for p in support.get(c, []) if p in parent_at[k]] or list(range(len(lb[vs[k]])))
         for c in la[us[k]]]
        for k, (_u, _v, support) in enumerate(pairs)
    ]
    relations: list[Relation] = []
    hidden = hidden_start
    for combo in itertools.product(*[range(len(la[d]) + 1) for d in common]):
        base = dict(zip(common, combo, strict=True))
        cell_terms: dict[tuple, list[tuple[int, int, float]]] = {pc: [] for pc in parent_combos}
        hidden_terms: dict[tuple, list[tuple[int, float]]] = {pc: [] for pc in parent_combos}
        for child in itertools.product(*[range(len(la[u])) for u in us]):
            cell_a = _cell(a, {**base, **dict(zip(us, child, strict=True))})
            under = list(itertools.product(*[unders[k][ci] for k, ci in enumerate(child)]))
            if len(under) == 1:
                cell_terms[under[0]].append((x, cell_a, 1.0))
                continue
            parts = []
            for pc in under:
                hidden_terms[pc].append((hidden, 1.0))
                parts.append((hidden, -1.0))
                hidden += 1
            relations.append(([(x, cell_a, 1.0)], parts))
        for pc in parent_combos:
            cell_b = _cell(b, {**base, **dict(zip(vs, pc, strict=True))})
            relations.append((cell_terms[pc] + [(y, cell_b, -1.0)], hidden_terms[pc]))
    return relations, hidden - hidden_start


@dataclass
class Family:
    """Tables counting the same persons, and how their cells are tied.

    ``links``: shared margins, ``(x, y, cells of x, cells of y)``; ``relations``: nested
    classifications (:data:`lantern.statistics.sdc.Relation`, with ``n_hidden`` hidden unknowns);
    ``unsupported``: ``(x, y, child, parent)`` pairs that nest but whose tables carry no nesting
    (computed apart): they cannot be audited together. Indices are positions in the list of tables.
    """

    members: list[int]
    links: list[tuple[int, int, np.ndarray, np.ndarray]] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    n_hidden: int = 0
    unsupported: list[tuple[int, int, str, str]] = field(default_factory=list)

    def local(self) -> tuple[dict[int, int], list, list[Relation]]:
        """The links and relations with table indices counted within the family."""
        at = {t: k for k, t in enumerate(self.members)}
        links = [(at[x], at[y], ia, ib) for x, y, ia, ib in self.links]
        relations = [([(at[t], c, w) for t, c, w in terms], hidden) for terms, hidden in self.relations]
        return at, links, relations


def linked_families(tables: list[StatTable]) -> list[Family]:
    """Families of tables counting the same persons, with their shared cells and nesting relations."""
    groups: dict[tuple, list[int]] = {}
    for i, t in enumerate(tables):
        if t.protected.rules.enabled:
            groups.setdefault(_family(t.spec), []).append(i)
    out = []
    for members in groups.values():
        fam = Family(members)
        for x, y in itertools.combinations(members, 2):
            shared = _shared_cells(tables[x], tables[y])
            if shared is not None:
                fam.links.append((x, y, shared[0], shared[1]))
        for x, y in itertools.permutations(members, 2):
            a, b = tables[x], tables[y]
            ka, kb = _dim_keys(a), _dim_keys(b)
            only_a = [d for d in a.dims if d != "period" and ka[d] not in kb.values()]
            only_b = [d for d in b.dims if d != "period" and kb[d] not in ka.values()]
            nested: list[tuple[str, str, dict[str, list[str]]]] = []
            for u in only_a:
                for v in only_b:
                    if u == v == "age_band":
                        # link each pair of band sets once: the finer (more bands) as the child
                        if (len(a.spec.age_bands), y) < (len(b.spec.age_bands), x):
                            continue
                        la, lb = a.levels[a.dims.index(u)], b.levels[b.dims.index(v)]
                        support = _age_support(la, lb)
                    elif (u, v) in a.hierarchies or (u, v) in b.hierarchies:
                        if (u, v) not in a.nesting:
                            fam.unsupported.append((x, y, u, v))
                            continue
                        support = a.nesting[(u, v)]
                    else:
                        continue
                    nested.append((u, v, support))
            # each nested pair alone (the other at TOTAL) and every combination of them taken together:
            # region × form within country × group ties the inner cells, not only the margins
            for size in range(1, len(nested) + 1):
                for subset in itertools.combinations(nested, size):
                    if len({u for u, _v, _s in subset}) < size or len({v for _u, v, _s in subset}) < size:
                        continue  # one variable in two roles at once
                    rel, n_hidden = _nesting_relations(tables, x, y, list(subset), fam.n_hidden)
                    fam.relations += rel
                    fam.n_hidden += n_hidden
        if fam.links or fam.relations or fam.unsupported:
            out.append(fam)
    return out


def _parts(tables: list[StatTable], members: list[int]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    return [(tables[t].protected.counts, tables[t].protected.status != PUBLISHED, tables[t].protected.status == "primary")
            for t in members]


def joint_failures(tables: list[StatTable], rules: SDCRules) -> list[tuple[int, int]]:
    """(table index, flat cell) of suppressed cells too narrowly bounded when linked tables are read together.

    Linked tables share margins (:func:`_shared_cells`) or nest (region within country, finer age bands
    within coarser ones: :func:`_nesting_relations`); they are audited as one linear system
    (:func:`lantern.statistics.sdc.audit_joint`).
    """
    failures = []
    for fam in linked_families(tables):
        members = fam.members
        _at, local_links, local_relations = fam.local()
        parts = _parts(tables, members)
        intervals = audit_joint(parts, local_links, rules, only_linked=True, relations=local_relations, n_hidden=fam.n_hidden)
        short_masks = []
        widths = []
        for k in range(len(members)):
            counts, supp, _prim = parts[k]
            cells = np.flatnonzero(supp.ravel())
            width = intervals[k][:, 1] - intervals[k][:, 0]
            short = ~np.isnan(width) & (width < rules.protection - 1e-9)
            mask = np.zeros(counts.size, dtype=bool)
            mask[cells[short]] = True
            short_masks.append(mask)
            widths.append(dict(zip(cells[short].tolist(), width[short].tolist(), strict=True)))
        if not any(m.any() for m in short_masks):
            continue
        # what the linked tables leave when every cell of all of them is suppressed: no pattern can do better
        everything = [(c, np.ones(c.shape, dtype=bool), prim) for c, _s, prim in parts]
        base = audit_joint(everything, local_links, rules, only=short_masks, relations=local_relations, n_hidden=fam.n_hidden)
        for k, t in enumerate(members):
            for c, w in widths[k].items():
                lo, hi = base[k][c]  # every cell suppressed: row c is flat cell c
                if w < min(float(rules.protection), hi - lo) - 1e-9:
                    failures.append((t, int(c)))
    return failures


def _cheapest(candidates: list[tuple[int, int]], tables: list[StatTable]) -> tuple[int, int] | None:
    """The unsuppressed cell with the smallest count (positive counts first) among ``(table, cell)``."""
    best, best_key = None, None
    for t, c in candidates:
        p = tables[t].protected
        if p.status.ravel()[c] != PUBLISHED:
            continue
        value = int(p.counts.ravel()[c])
        key = (value == 0, value, t, c)
        if best_key is None or key < best_key:
            best, best_key = (t, c), key
    return best


def harmonise_linked(tables: list[StatTable], rules: SDCRules, *, max_rounds: int | None = None) -> list[StatTable]:
    """Protect linked tables together: one suppression pattern on shared margins, nesting respected, audited jointly.

    Two tables counting the same persons (same measure, population, filter and period) publish the
    same numbers in their common margins — e.g. victims by year x country in the tables by sex and by
    age. A margin suppressed in one and published in the other would be recovered from the other, so a
    cell suppressed in any table is forced in all and the tables are protected again, until nothing
    changes. Nested tables (a table by region and one by country; age bands within coarser bands) are
    tied by "the children add up to the parent cell": such a sum with a single suppressed cell gets a
    second one (the cheapest), like a line of a table. Then the linked tables are audited as **one**
    linear system (:func:`audit_joint`); a cell bounded too narrowly gets one more suppression — the
    cheapest cell of a line or nesting sum through it — and the whole repeats.
    """
    if not rules.enabled:
        return tables
    families = linked_families(tables)
    if not families:
        return tables
    forced = [np.zeros(t.protected.counts.shape, dtype=bool) for t in tables]
    pairs = [(x, y, (ia, ib)) for fam in families for x, y, ia, ib in fam.links]
    relations = [rel for fam in families for rel in fam.relations]
    relations_of: dict[tuple[int, int], list[int]] = {}
    for k, (terms, _hidden) in enumerate(relations):
        for t, c, _w in terms:
            relations_of.setdefault((t, int(c)), []).append(k)
    lines_of: dict[int, list[np.ndarray]] = {}
    if max_rounds is None:
        max_rounds = 50 + sum(t.protected.counts.size for t in tables)

    def reprotect(i: int) -> None:
        t = tables[i]
        consistent = t.dims.index("period") if "period" in t.dims else None
        t.protected = protect_array(t.protected.counts, rules, consistent_axis=consistent, force=forced[i])

    def suppressed(t: int, c: int) -> bool:
        return bool(tables[t].protected.status.ravel()[c] != PUBLISHED)

    for _ in range(max_rounds):
        changed: set[int] = set()
        for x, y, (ia, ib) in pairs:
            sx = tables[x].protected.status.ravel()[ia] != PUBLISHED
            sy = tables[y].protected.status.ravel()[ib] != PUBLISHED
            if (sy & ~sx).any():
                forced[x].ravel()[ia[sy & ~sx]] = True
                changed.add(x)
            if (sx & ~sy).any():
                forced[y].ravel()[ib[sx & ~sy]] = True
                changed.add(y)
        if not changed:
            # a nesting sum (no hidden part) with exactly one suppressed cell gives it away
            for terms, hidden in relations:
                if hidden:
                    continue
                n_supp = sum(suppressed(t, c) for t, c, _w in terms)
                if n_supp == 1:
                    pick = _cheapest([(t, c) for t, c, _w in terms], tables)
                    if pick is not None:
                        forced[pick[0]].ravel()[pick[1]] = True
                        changed.add(pick[0])
        if changed:
            for i in changed:
                reprotect(i)
            continue
        failing = joint_failures(tables, rules)
        if not failing:
            return tables
        for t, cell in failing:
            p = tables[t].protected
            if t not in lines_of:
                lines_of[t] = cube_lines(p.counts.shape)
            candidates = [(t, int(c)) for line in lines_of[t] if cell in line for c in line]
            for k in relations_of.get((t, int(cell)), []):
                candidates += [(tt, int(c)) for tt, c, _w in relations[k][0]]
            pick = _cheapest(candidates, tables)
            if pick is None:
                # every line and sum through the cell is suppressed: open one through a suppressed neighbour
                neighbours = [(tt, c) for tt, c in candidates if suppressed(tt, c)]
                more = []
                for tt, c in neighbours:
                    lines_of.setdefault(tt, cube_lines(tables[tt].protected.counts.shape))
                    more += [(tt, int(m)) for line in lines_of[tt] if c in line for m in line]
                    for k in relations_of.get((tt, c), []):
                        more += [(t2, int(m)) for t2, m, _w in relations[k][0]]
                pick = _cheapest(more, tables) or _cheapest([(t, int(c)) for c in range(p.counts.size)], tables)
            if pick is not None and not forced[pick[0]].ravel()[pick[1]]:
                forced[pick[0]].ravel()[pick[1]] = True
                changed.add(pick[0])
        if not changed:
            return tables  # nothing left to suppress: as safe as a fully suppressed release
        for i in changed:
            reprotect(i)
    raise LanternError("linked tables could not be protected together", record="release")


def _support(ds: Dataset, a: StatTable, u: str, b: StatTable, v: str, eu: frozenset[str]) -> dict[str, list[str]]:
    """``{value of u: [values of v it is found with]}`` over the persons of ``a``'s family."""
    rows = ds.con.execute(
        f"SELECT DISTINCT CAST({variable_sql(u, a.spec, eu)} AS VARCHAR), "  # noqa: S608 (validated names)
        f"CAST({variable_sql(v, b.spec, eu)} AS VARCHAR) FROM persons {_where_sql(a.spec, eu)}"
    ).fetchall()
    found: dict[str, list[str]] = {}
    for child, parent in rows:
        found.setdefault(str(child), []).append(str(parent))
    return {c: sorted(ps) for c, ps in found.items()}


def _nests(support: dict[str, list[str]]) -> bool:
    """Every known child value lies under exactly one parent value (``UNK`` may lie under several)."""
    known = {c: ps for c, ps in support.items() if c != UNKNOWN}
    return bool(known) and all(len(ps) == 1 for ps in known.values())


def compute_nesting(
    ds: Dataset,
    tables: list[StatTable],
    hierarchies: tuple[tuple[str, str], ...],
    *,
    auto: bool = False,
    standard_version: str = "1.0",
) -> None:
    """Read from the data which parents each child value falls under, for the nested pairs the tables need.

    Only pairs where one table of a family is broken down by the child and another by the parent (and
    not by the child) are read: one ``SELECT DISTINCT child, parent`` over the family's persons each.
    With ``auto``, every other such pair of variables (period and age bands aside) is read too, and kept
    as a hierarchy when the data show that it nests (:func:`_nests`), e.g. agency codes within sectors.
    Sets ``hierarchies`` and ``nesting`` on the tables.
    """
    eu = _std.eu_codes(standard_version)
    groups: dict[tuple, list[StatTable]] = {}
    for t in tables:
        t.hierarchies = tuple(hierarchies)
        groups.setdefault(_family(t.spec), []).append(t)
    for members in groups.values():
        nesting: dict[tuple[str, str], dict[str, list[str]]] = {}
        pairs = list(hierarchies)
        for a, b in itertools.permutations(members, 2):
            for u in a.dims:
                for v in b.dims:
                    if u in b.dims or v in a.dims or {u, v} & {"period", "age_band"} or (u, v) in nesting:
                        continue
                    if (u, v) in hierarchies:
                        nesting[(u, v)] = _support(ds, a, u, b, v, eu)
                    elif auto and (u, v) not in pairs and (v, u) not in pairs:
                        support = _support(ds, a, u, b, v, eu)
                        if _nests(support):
                            nesting[(u, v)] = support
                            pairs.append((u, v))
        for t in members:
            t.nesting = nesting
            t.hierarchies = tuple(pairs)


def _where_sql(spec: TableSpec, eu: frozenset[str]) -> str:
    """``WHERE`` clause (over ``persons``) of a table's population and filter ('' if none)."""
    where = []
    if spec.population == "tcn":
        where.append(f"citizenship IS NOT NULL AND citizenship NOT IN {_sql_list(sorted(eu))}")
    for var, values in spec.filter.items():
        where.append(f"({variable_sql(var, spec, eu)}) IN {_sql_list(values)}")
    return ("WHERE " + " AND ".join(where)) if where else ""


def compute_table(ds: Dataset, spec: TableSpec, *, rules: SDCRules, standard_version: str = "1.0") -> StatTable:
    """Count one table and apply disclosure control."""
    _check_measure(ds, spec)
    eu = _std.eu_codes(standard_version)
    dims_sql = [variable_sql(v, spec, eu) for v in spec.by]
    where_sql = _where_sql(spec, eu)
    select = ", ".join(f"{expr} AS d{i}" for i, expr in enumerate(dims_sql))
    body = ds.con.execute(
        # identifiers come from the validated spec; literals are quoted by _sql_list
        f"SELECT {select}, {MEASURE_SQL[spec.measure]} AS value FROM persons {where_sql} GROUP BY ALL"  # noqa: S608
    ).df()
    return _finish(ds, spec, body, rules, standard_version)


_RAW_DATE = {"_y": "year(interview_date)", "_q": "quarter(interview_date)", "_m": "month(interview_date)"}
_EXPLOITATION_EXTRA = ["sexual_exploitation", "forced_labour", "forced_begging", "forced_criminality", "forced_marriage"]


def _raw_columns(var: str, spec: TableSpec) -> list[str]:
    """Cheap raw columns a variable is derived from (grouped in SQL, labelled afterwards)."""
    if var == "period":
        return {"year": ["_y"], "quarter": ["_y", "_q"], "month": ["_y", "_m"]}[spec.period]
    if var == "country":
        return ["country_of_interview"]
    if var == "citizenship_group":
        return ["citizenship", "country_of_interview"]
    if var == "age_band":
        return ["age"]
    if var == "exploitation_group":
        return ["exploitation_form"]
    return [var]


def _labels(var: str, spec: TableSpec, frame: pd.DataFrame, eu: frozenset[str]) -> pd.Series:
    """The same labels as :func:`variable_sql`, computed on grouped raw columns (vectorised)."""
    if var == "period":
        year = frame["_y"].astype(int).astype(str)
        if spec.period == "quarter":
            return year + "-Q" + frame["_q"].astype(int).astype(str)
        if spec.period == "month":
            return year + "-" + frame["_m"].astype(int).astype(str).str.zfill(2)
        return year
    if var == "country":
        return frame["country_of_interview"].fillna(UNKNOWN).astype(str)
    if var == "citizenship_group":
        cit, ctry = frame["citizenship"], frame["country_of_interview"]
        return pd.Series(
            np.select([cit.isna(), cit == ctry, cit.isin(eu)], [UNKNOWN, "REPORTING", "OTHER_EU"], "NON_EU"), index=frame.index
        )
    if var == "age_band":
        age = pd.to_numeric(frame["age"], errors="coerce")
        labels = _band_labels(spec.age_bands)
        out = pd.Series(UNKNOWN, index=frame.index, dtype=object)
        for lo, label in zip(spec.age_bands, labels, strict=True):
            out[age >= lo] = label
        out[age.isna() | (age < 0)] = UNKNOWN
        return out
    if var == "exploitation_group":
        known = dict.fromkeys((_std.code_ids("exploitation_form") or []) + _EXPLOITATION_EXTRA)
        groups = {f: _std.eurostat_exploitation_group(f) for f in known}
        form = frame["exploitation_form"]
        return form.map(lambda f: UNKNOWN if f is None or (isinstance(f, float) and np.isnan(f)) else groups.get(f, "OTH"))
    return frame[var].fillna(UNKNOWN).astype(str)


def count_bodies(ds: Dataset, specs: list[TableSpec], *, standard_version: str = "1.0") -> dict[str, pd.DataFrame]:
    """The body counts of several tables in **one scan** of the persons (DuckDB ``GROUPING SETS``).

    SQL groups by cheap raw columns (year number, codes, age); the labels (``2025-Q1``, age bands,
    citizenship groups…) are computed afterwards on the small grouped result, identical to
    :func:`variable_sql`. Tables with a ``filter`` are not batched (use :func:`compute_table`).
    Returns ``{table id: frame}`` with columns ``d0 .. dk`` and ``value``.
    """
    eu = _std.eu_codes(standard_version)
    raw_sets = []
    for spec in specs:
        _check_measure(ds, spec)
        cols: list[str] = []
        for var in spec.by:
            cols += _raw_columns(var, spec)
        if spec.population == "tcn":
            cols.append("citizenship")
        raw_sets.append(list(dict.fromkeys(cols)))
    all_cols = list(dict.fromkeys(c for cols in raw_sets for c in cols))
    measures = {m: q for m, q in MEASURE_SQL.items() if m != "identified_victims" or "identified_victim" in ds.columns}
    select = ", ".join(f"{_RAW_DATE.get(c, c)} AS {c}" for c in all_cols)
    unique_sets = list(dict.fromkeys(tuple(c) for c in raw_sets))
    grouping = ", ".join("(" + ", ".join(cols) + ")" for cols in unique_sets)
    sql = (
        f"SELECT {select}, GROUPING({', '.join(all_cols)}) AS gid, "  # noqa: S608 (fixed identifiers)
        + ", ".join(f"{q} AS m_{m}" for m, q in measures.items())
        + f" FROM persons GROUP BY GROUPING SETS ({grouping})"
    )
    result = ds.con.execute(sql).df()
    n = len(all_cols)
    out = {}
    for spec, cols in zip(specs, raw_sets, strict=True):
        # GROUPING() sets a bit (most significant first) for every column *not* grouped
        mask = sum(1 << (n - 1 - i) for i, c in enumerate(all_cols) if c not in cols)
        part = result[result["gid"] == mask]
        if spec.population == "tcn":
            part = part[part["citizenship"].notna() & ~part["citizenship"].isin(eu)]
        labelled = pd.DataFrame({f"d{i}": _labels(var, spec, part, eu) for i, var in enumerate(spec.by)}, index=part.index)
        labelled["value"] = part[f"m_{spec.measure}"].astype(np.int64)
        out[spec.id] = labelled.groupby([f"d{i}" for i in range(len(spec.by))], dropna=False)["value"].sum().reset_index()
    return out


def spec_columns(spec: Spec) -> list[str]:
    """Attribute columns the tables of a spec read (for :class:`Dataset` ``columns=``)."""
    cols = {"citizenship", "country_of_interview"}
    for t in spec.tables:
        for var in [*t.by, *t.filter]:
            cols.update(c for c in _raw_columns(var, t) if not c.startswith("_"))
    return sorted(cols)


def compute_tables(
    data: Any, spec: Spec, *, rules: SDCRules | None = None, threads: int | None = None, cache: str | Path | None = None
) -> list[StatTable]:
    """Compute every table of a spec from assessments (a directory, a file or a frame).

    Tables without a filter are counted together in one scan (:func:`count_bodies`).

    Parameters
    ----------
    data : path, DataFrame or Dataset
        See :class:`Dataset`.
    spec : Spec
    rules : SDCRules, optional
        Overrides the spec's ``sdc`` block (e.g. :meth:`SDCRules.none` for ``--sdc none``).
    """
    ds = data if isinstance(data, Dataset) else Dataset(data, threads=threads, cache=cache, columns=spec_columns(spec))
    rules = rules or spec.sdc
    try:
        batch = [t for t in spec.tables if not t.filter]
        bodies = count_bodies(ds, batch, standard_version=spec.standard_version) if batch else {}
        out = []
        for t in spec.tables:
            if t.id in bodies:
                out.append(_finish(ds, t, bodies[t.id], rules, spec.standard_version))
            else:
                out.append(compute_table(ds, t, rules=rules, standard_version=spec.standard_version))
        compute_nesting(ds, out, spec.all_hierarchies, auto=spec.hierarchies_auto, standard_version=spec.standard_version)
        return harmonise_linked(out, rules)
    finally:
        if ds is not data:
            ds.close()


def tables_frame(tables: list[StatTable]) -> pd.DataFrame:
    """All tables stacked in one long frame (dimension columns a table does not use are empty)."""
    frames = [t.frame() for t in tables]
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True, sort=False)
    fixed = ["table_id", "measure", "value", "status", "display", "standard_version"]
    dims = [c for c in out.columns if c not in fixed]
    return out[["table_id", *dims, "measure", "value", "status", "display", "standard_version"]]
