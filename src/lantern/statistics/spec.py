"""Table specifications: which harmonised tables to publish, read from YAML.

A spec file looks like this (full reference in ``docs/statistics.md``; examples in ``examples/stats/``)::

    standard_version: "1.0"
    title: Vulnerable TCNs, Romania
    sdc: {threshold: 11, rounding: 5, protection: 5}   # method: optimal for minimum-loss suppression
    hierarchies: {region: country}      # nested classifications, protected jointly (optional)
    defaults: {population: tcn, period: year}
    tables:
      - id: vulnerable_by_citizenship
        title: Vulnerable TCNs by year and citizenship
        measure: vulnerable
        by: [period, citizenship]
      - id: victims_by_age
        measure: registered_victims
        by: [period, sex, age_band]
        age_bands: [0, 18]
        filter: {country: [RO]}

Every name is checked against :data:`VARIABLES` and :data:`MEASURES`; an unknown one is a
:class:`~lantern.errors.LanternError` naming the table and the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lantern.errors import LanternError, Problem
from lantern.statistics.sdc import SDCRules

#: Variables a table may be broken down by, and the flat-format column each one reads.
VARIABLES: dict[str, str] = {
    "period": "interview_date",
    "country": "country_of_interview",
    "region": "region",
    "citizenship": "citizenship",
    "citizenship_group": "citizenship",
    "sex": "sex",
    "age_band": "age",
    "exploitation_form": "exploitation_form",
    "exploitation_group": "exploitation_form",
    "sector": "sector",
    "legal_status": "legal_status",
    "education": "education",
    "agency": "agency",
}

#: Measures (what is counted) and their plain-language meaning.
MEASURES: dict[str, str] = {
    "persons": "persons assessed (each person once, at the first assessment in the data)",
    "vulnerable": "persons meeting the standard's operational definition of a vulnerable TCN",
    "presumed_victims": "persons meeting the ILO-EC presumed-victim rule at any assessment",
    "identified_victims": "persons formally identified as victims (column identified_victim)",
    "registered_victims": "presumed or formally identified victims (Eurostat 'registered victims')",
}

PERIODS = ("year", "quarter", "month")
POPULATIONS = ("tcn", "all")

#: Named age bands: lower bounds of each band.
AGE_BANDS: dict[str, list[int]] = {
    "minor_adult": [0, 18],
    "eurostat": [0, 12, 18, 25, 35, 45, 55, 65],
    "ctdc": [0, 9, 18, 21, 24, 27, 30, 39, 48],
}

TABLE_KEYS = {"id", "title", "measure", "by", "period", "population", "age_bands", "filter", "description"}
SPEC_KEYS = {"standard_version", "title", "sdc", "defaults", "tables", "description", "hierarchies"}

#: Nested classifications protected jointly without being declared: ``(child, parent)``. The values a
#: child takes under each parent are read from the data when the tables are computed (so a child value
#: found under several parents, e.g. ``UNK`` regions, is handled too). Two age-band sets are always
#: linked (a band of the finer set lies in one band of the coarser set, or overlaps several).
NATURAL_HIERARCHIES: tuple[tuple[str, str], ...] = (
    ("region", "country"),
    ("agency", "country"),
    ("exploitation_form", "exploitation_group"),
    ("citizenship", "citizenship_group"),
)


@dataclass(frozen=True)
class TableSpec:
    """One table: a measure counted over a cross-classification of variables."""

    id: str
    measure: str
    by: tuple[str, ...]
    title: str = ""
    period: str = "year"
    population: str = "tcn"
    age_bands: tuple[int, ...] = (0, 18)
    filter: dict[str, tuple[str, ...]] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True)
class Spec:
    """A set of tables published together under one standard version and one set of SDC rules."""

    tables: tuple[TableSpec, ...]
    standard_version: str = "1.0"
    title: str = ""
    sdc: SDCRules = field(default_factory=SDCRules)
    source: str = "spec"
    hierarchies: tuple[tuple[str, str], ...] = ()
    #: ``hierarchies: auto``: also link any pair of variables the data show to nest
    hierarchies_auto: bool = False

    def with_sdc(self, rules: SDCRules) -> Spec:
        return Spec(self.tables, self.standard_version, self.title, rules, self.source, self.hierarchies, self.hierarchies_auto)

    @property
    def all_hierarchies(self) -> tuple[tuple[str, str], ...]:
        """Declared ``(child, parent)`` pairs plus :data:`NATURAL_HIERARCHIES`."""
        return tuple(dict.fromkeys(self.hierarchies + NATURAL_HIERARCHIES))


def _hierarchies(value: Any, source: str) -> tuple[tuple[tuple[str, str], ...], bool]:
    """Parse ``hierarchies:`` — ``{child: parent}``, a list of ``{child: .., parent: ..}`` / ``"child in parent"``
    / ``auto``, or ``auto``. Returns the declared pairs and whether ``auto`` was given."""
    if value is None:
        return (), False
    if value == "auto":
        return (), True
    auto = False
    items: list[tuple[Any, Any]] = []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        for item in value:
            if item == "auto":
                auto = True
            elif isinstance(item, dict) and set(item) == {"child", "parent"}:
                items.append((item["child"], item["parent"]))
            elif isinstance(item, str) and " in " in item:
                child, _, parent = item.partition(" in ")
                items.append((child.strip(), parent.strip()))
            else:
                raise LanternError(
                    "each hierarchy is {child: VAR, parent: VAR}, 'child in parent' or auto", field="hierarchies", record=source
                )
    else:
        raise LanternError("hierarchies must be a mapping child: parent, a list or auto", field="hierarchies", record=source)
    problems = []
    out = []
    for child, parent in items:
        for var in (child, parent):
            if not isinstance(var, str) or var not in VARIABLES or var in ("period", "age_band"):
                problems.append(Problem(
                    f"unknown or unsupported hierarchy variable {var!r} (period and age_band are linked without declaring)",
                    field="hierarchies", record=source))
        if child == parent:
            problems.append(Problem(f"{child!r} cannot nest in itself", field="hierarchies", record=source))
        elif (parent, child) in out or (parent, child) in NATURAL_HIERARCHIES:
            problems.append(Problem(f"{child!r} in {parent!r} and {parent!r} in {child!r}: a hierarchy goes one way",
                                    field="hierarchies", record=source))
        out.append((str(child), str(parent)))
    if problems:
        raise LanternError(problems)
    return tuple(dict.fromkeys(out)), auto


def _age_bands(value: Any, where: str) -> tuple[int, ...]:
    if isinstance(value, str):
        if value not in AGE_BANDS:
            raise LanternError(
                f"unknown named age bands {value!r}; known: {', '.join(AGE_BANDS)}", field="age_bands", record=where
            )
        return tuple(AGE_BANDS[value])
    try:
        bands = tuple(int(v) for v in value)
    except (TypeError, ValueError) as exc:
        raise LanternError("age_bands must be a list of integer lower bounds or a name", field="age_bands", record=where) from exc
    if not bands or bands[0] != 0 or list(bands) != sorted(set(bands)):
        raise LanternError("age_bands must start at 0 and increase strictly", field="age_bands", record=where)
    return bands


def parse_spec(data: Any, *, source: str = "spec") -> Spec:
    """Validate a spec (already parsed from YAML) and return a :class:`Spec`; all problems at once."""
    if not isinstance(data, dict):
        raise LanternError("a table spec must be a mapping with a 'tables' list", record=source)
    problems: list[Problem] = []
    for key in sorted(set(data) - SPEC_KEYS):
        problems.append(Problem(f"unknown key; known: {', '.join(sorted(SPEC_KEYS))}", field=key, record=source))
    version = str(data.get("standard_version", "1.0"))
    try:
        from lantern.standard.loader import version_dir

        version_dir(version)
    except LanternError as exc:
        problems.extend(Problem(p.reason, field="standard_version", record=source) for p in exc.problems)
    except ImportError:  # the standard package is not installed: accept the stated version
        pass
    try:
        rules = SDCRules.from_dict(data.get("sdc"))
    except LanternError as exc:
        problems.extend(Problem(p.reason, field=f"sdc.{p.field}", record=source) for p in exc.problems)
        rules = SDCRules()
    try:
        hierarchies, auto = _hierarchies(data.get("hierarchies"), source)
    except LanternError as exc:
        problems.extend(exc.problems)
        hierarchies, auto = (), False
    defaults = data.get("defaults") or {}
    raw_tables = data.get("tables")
    if not isinstance(raw_tables, list) or not raw_tables:
        problems.append(Problem("must be a non-empty list of tables", field="tables", record=source))
        raw_tables = []
    tables: list[TableSpec] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_tables):
        where = f"{source}: tables[{i}]"
        if not isinstance(raw, dict):
            problems.append(Problem("each table must be a mapping", record=where))
            continue
        merged = {**defaults, **raw}
        tid = str(merged.get("id") or f"table_{i + 1}")
        where = f"{source}: table '{tid}'"
        for key in sorted(set(merged) - TABLE_KEYS):
            problems.append(Problem(f"unknown key; known: {', '.join(sorted(TABLE_KEYS))}", field=key, record=where))
        if tid in seen:
            problems.append(Problem("duplicate table id", field="id", record=where))
        seen.add(tid)
        measure = merged.get("measure")
        if measure not in MEASURES:
            problems.append(Problem(f"unknown measure {measure!r}; known: {', '.join(MEASURES)}", field="measure", record=where))
        by = merged.get("by") or []
        if isinstance(by, str):
            by = [by]
        for var in by:
            if var not in VARIABLES:
                problems.append(
                    Problem(f"unknown variable {var!r}; known: {', '.join(VARIABLES)}", field="by", record=where)
                )
        if not by:
            problems.append(Problem("name at least one variable to break the table down by", field="by", record=where))
        if len(set(by)) != len(by):
            problems.append(Problem("a variable appears twice", field="by", record=where))
        if len(by) > 4:
            problems.append(Problem("at most 4 variables per table (split it into several tables)", field="by", record=where))
        period = merged.get("period", "year")
        if period not in PERIODS:
            problems.append(Problem(f"unknown period {period!r}; known: {', '.join(PERIODS)}", field="period", record=where))
        population = merged.get("population", "tcn")
        if population not in POPULATIONS:
            problems.append(
                Problem(f"unknown population {population!r}; known: {', '.join(POPULATIONS)}", field="population", record=where)
            )
        filters: dict[str, tuple[str, ...]] = {}
        for var, values in (merged.get("filter") or {}).items():
            if var not in VARIABLES or var == "age_band":
                problems.append(Problem(f"unknown filter variable {var!r}", field="filter", record=where))
                continue
            values = [values] if isinstance(values, str | int) else list(values)
            filters[var] = tuple(str(v) for v in values)
        try:
            bands = _age_bands(merged.get("age_bands", [0, 18]), where)
        except LanternError as exc:
            problems.extend(exc.problems)
            bands = (0, 18)
        if not problems:
            tables.append(
                TableSpec(
                    id=tid,
                    measure=str(measure),
                    by=tuple(by),
                    title=str(merged.get("title") or tid),
                    period=str(period),
                    population=str(population),
                    age_bands=bands,
                    filter=filters,
                    description=str(merged.get("description", "")),
                )
            )
    if problems:
        raise LanternError(problems)
    return Spec(tuple(tables), version, str(data.get("title", "")), rules, source, hierarchies, auto)


def load_spec(path: str | Path) -> Spec:
    """Read and validate a YAML table spec."""
    path = Path(path)
    if not path.is_file():
        raise LanternError("no such spec file", record=str(path))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise LanternError(f"not valid YAML: {exc}", record=str(path)) from exc
    return parse_spec(data, source=path.name)
