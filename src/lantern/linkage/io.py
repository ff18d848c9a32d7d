"""Reading agency lists and mapping their columns onto the linkage roles.

Each list is a CSV or Parquet file with one row per record. The roles the model knows are

============== ========================================= ========
role           meaning                                   required
============== ========================================= ========
record_id      the agency's own record identifier        yes
list           list / agency key (default: file stem)    no
given_name     given name(s), any script                 yes
family_name    family name(s), any script                yes
date_of_birth  ``YYYY-MM-DD`` (or ``YYYYMMDD``), may be   yes
               null
sex            code                                      no
citizenship    ISO 3166-1 alpha-2                        no
extra          further columns compared as text          no
============== ========================================= ========

The simulator's list format (``record_id, list, given_name, family_name, date_of_birth, sex,
citizenship, …``) matches the defaults, so it needs no mapping. A mapping can be given as a small
YAML file (``given_name: FirstName``; ``extra: [address, postcode]``) or in code as a
:class:`ColumnMap`. Every list must carry the same roles: a column present in one list and missing
in another is refused (different schemas), naming the file and the column.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import pandas as pd

from lantern.errors import LanternError, Problem

ROLES_REQUIRED = ("record_id", "given_name", "family_name", "date_of_birth")
ROLES_OPTIONAL = ("sex", "citizenship")


@dataclass(frozen=True)
class ColumnMap:
    """Which input column plays which role (see the module docstring)."""

    record_id: str = "record_id"
    list: str = "list"
    given_name: str = "given_name"
    family_name: str = "family_name"
    date_of_birth: str = "date_of_birth"
    sex: str | None = "sex"
    citizenship: str | None = "citizenship"
    extra: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_yaml(cls, path: str | Path) -> ColumnMap:
        """Read a mapping ``role: column`` from a YAML file (unknown roles are refused)."""
        import yaml

        path = Path(path)
        if not path.is_file():
            raise LanternError("the column mapping file does not exist", record=str(path))
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise LanternError(f"not valid YAML ({exc.__class__.__name__})", record=str(path)) from exc
        if not isinstance(data, dict):
            raise LanternError("expected a mapping 'role: column'", record=str(path))
        known = {f.name for f in fields(cls)}
        problems = [
            Problem(reason=f"unknown role; known roles: {', '.join(sorted(known))}", field=str(k), record=str(path))
            for k in data
            if k not in known
        ]
        if problems:
            raise LanternError(problems)
        problems = [
            Problem(reason="this role must name a column (only sex and citizenship may be left empty)",
                    field=str(k), record=str(path))
            for k, v in data.items() if v is None and k not in ("sex", "citizenship", "extra")
        ]
        if problems:
            raise LanternError(problems)
        extra = data.pop("extra", None) or ()
        if isinstance(extra, str):
            extra = (extra,)
        roles: dict[str, Any] = {k: (str(v) if v is not None else None) for k, v in data.items()}
        return replace(cls(), **roles, extra=tuple(extra))


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV or Parquet list as strings (record ids and dates must not be re-typed)."""
    if not path.is_file():
        raise LanternError("the file does not exist", record=str(path))
    suffix = path.suffix.lower()
    try:
        if suffix in {".parquet", ".pq", ".enc"}:
            df = pd.read_parquet(path)
        elif suffix in {".csv", ".txt"}:
            df = pd.read_csv(path, dtype=str, keep_default_na=True, na_values=[""])
        else:
            raise LanternError("unsupported file type; use .csv or .parquet", record=str(path))
    except LanternError:
        raise
    except Exception as exc:  # unreadable file: say which
        raise LanternError(f"cannot be read as {suffix[1:]} ({type(exc).__name__}: {exc})", record=str(path)) from exc
    return df


def _as_str(series: pd.Series) -> pd.Series:
    out = series.astype("object")
    mask = out.notna()
    out[mask] = out[mask].map(lambda v: v.isoformat()[:10] if hasattr(v, "isoformat") else str(v))
    return out.where(mask, None)


def read_lists(paths: list[str | Path], columns: ColumnMap | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Read and check every list; return one frame with the roles as columns, and the roles present.

    The returned frame has ``list``, ``record_id``, ``given_name``, ``family_name``,
    ``date_of_birth`` and the optional roles present in all lists, plus ``x_<name>`` for extras,
    all as strings (``None`` for missing).

    Raises
    ------
    LanternError
        For a missing file, an empty list, a missing required column, a column present in some
        lists only, duplicate record ids within a list, or the same list key in two files. Every
        problem found is reported, each naming the file and the column.
    """
    columns = columns or ColumnMap()
    if not paths:
        raise LanternError("give at least one list", field="LIST")
    frames: list[tuple[Path, pd.DataFrame]] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        try:
            frames.append((path, read_table(path)))
        except LanternError as exc:
            problems.extend(exc.problems)
    if problems:
        raise LanternError(problems)

    optional_presence = {}
    for role in ROLES_OPTIONAL:
        col = getattr(columns, role)
        if col is None:
            continue
        present = [col in df.columns for _, df in frames]
        optional_presence[role] = present
        if any(present) and not all(present):
            for (path, _), has in zip(frames, present, strict=True):
                if not has:
                    problems.append(Problem(
                        reason=f"the lists have different schemas: column '{col}' ({role}) is in some lists but not in this one",
                        field=col, record=str(path)))
    roles = [r for r in ROLES_REQUIRED] + [r for r in ROLES_OPTIONAL if optional_presence.get(r) and all(optional_presence[r])]

    out = []
    seen_lists: dict[str, Path] = {}
    for path, df in frames:
        if "lantern_encoding" in df.columns or any(c.endswith("_bf0") for c in df.columns):
            problems.append(Problem(reason="this is an encoded list; link encoded lists with --encoded, and do not mix encoded and plain lists", record=str(path)))
            continue
        if len(df) == 0:
            problems.append(Problem(reason="the list is empty", record=str(path)))
            continue
        wanted = {role: getattr(columns, role) for role in roles}
        missing = [(role, col) for role, col in wanted.items() if col not in df.columns]
        missing_extra = [col for col in columns.extra if col not in df.columns]
        for role, col in missing:
            hint = f"; the file has: {', '.join(map(str, df.columns[:12]))}" if len(df.columns) else ""
            problems.append(Problem(reason=f"required column for {role} is missing (map it with --columns or the matching flag){hint}", field=col, record=str(path)))
        for col in missing_extra:
            problems.append(Problem(reason="extra column named in the mapping is missing", field=col, record=str(path)))
        if missing or missing_extra:
            continue
        part = pd.DataFrame({role: _as_str(df[col]) for role, col in wanted.items()})
        for col in columns.extra:
            part[f"x_{col}"] = _as_str(df[col])
        if columns.list in df.columns:
            keys = _as_str(df[columns.list])
            if keys.isna().any():
                problems.append(Problem(reason=f"{int(keys.isna().sum())} rows have no list key", field=columns.list, record=str(path)))
                continue
            part.insert(0, "list", keys)
        else:
            part.insert(0, "list", path.stem)
        ids = part["record_id"]
        if ids.isna().any():
            row = int(ids.isna().to_numpy().nonzero()[0][0]) + 1
            problems.append(Problem(reason=f"{int(ids.isna().sum())} rows have no record id (first: row {row})", field=columns.record_id, record=str(path)))
            continue
        dup = part.duplicated(["list", "record_id"])
        if dup.any():
            first = part.loc[dup, "record_id"].iloc[0]
            problems.append(Problem(reason=f"{int(dup.sum())} duplicate record ids within the list (first: {first})", field=columns.record_id, record=str(path)))
            continue
        for key in part["list"].unique():
            if key in seen_lists:
                problems.append(Problem(reason=f"list key '{key}' also appears in {seen_lists[key]}", field=columns.list, record=str(path)))
            seen_lists[key] = path
        out.append(part)
    if problems:
        raise LanternError(problems)
    return pd.concat(out, ignore_index=True), roles
