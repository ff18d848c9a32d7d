"""What screening needs from the data standard, gathered once into arrays.

:class:`ScreeningSpec` reads the loaded standard (``lantern.standard.load_standard``): the ILO–EC
indicators with their grade in each of the four lists, the six dimensions and their roles, the IOM
factors, the scoring weights (``scoring.yaml``) and, when present, the determination rule and the
"vulnerable TCN" definition from ``definitions.yaml``. Everything else in ``lantern.screening``
works from this object, so no rule or weight is written twice.

Notes
-----
The standard object is read by duck typing (attributes or mapping keys), so the spec tolerates small
changes in the loader's item types. An indicator that carries a single ``grade`` instead of a
``grades`` mapping is given that grade in every list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from lantern.errors import LanternError, Problem

LISTS: tuple[str, ...] = ("adult_labour", "adult_sexual", "child_labour", "child_sexual")
GRADES: tuple[str, ...] = ("strong", "medium", "weak")
ROLES: tuple[str, ...] = ("act_means", "exploitation", "coercion")


def _get(item: Any, key: str, default: Any = None) -> Any:
    if isinstance(item, Mapping):
        return item.get(key, default)
    return getattr(item, key, default)


def _label(item: Any) -> dict[str, str]:
    labels = _get(item, "labels") or _get(item, "label")
    if isinstance(labels, Mapping):
        return {str(k): str(v) for k, v in labels.items()}
    out = {}
    for lang in ("en", "ro"):
        value = _get(item, lang)
        if value:
            out[lang] = str(value)
    if isinstance(labels, str):
        out.setdefault("en", labels)
    return out


def _as_list(items: Any) -> list[Any]:
    if items is None:
        return []
    if isinstance(items, Mapping):
        out = []
        for key, value in items.items():
            if isinstance(value, Mapping) and "id" not in value:
                value = {"id": key, **value}
            elif not isinstance(value, Mapping) and _get(value, "id") is None:
                value = {"id": key, "value": value}
            out.append(value)
        return out
    return list(items)


def _documents(std: Any) -> Mapping[str, Any]:
    docs = _get(std, "documents") or {}
    return docs if isinstance(docs, Mapping) else {}


@dataclass(frozen=True)
class Indicator:
    """One ILO–EC indicator as screening uses it."""

    id: str
    dimension: str
    grades: dict[str, str]  # list -> strong|medium|weak (absent = not in that list)
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Factor:
    """One IOM determinants-of-vulnerability factor."""

    id: str
    level: str
    kind: str  # risk | protective
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ScreeningSpec:
    """The indicators, factors, rule parameters and weights of one standard version.

    Built by :func:`spec_for`; cached per standard object. Arrays are aligned with
    ``indicator_ids`` / ``factor_ids``.
    """

    version: str
    indicators: tuple[Indicator, ...]
    dimensions: tuple[str, ...]
    dimension_roles: dict[str, str]
    factors: tuple[Factor, ...]
    factor_levels: tuple[str, ...]
    scoring: dict[str, Any]
    rule: dict[str, Any]
    vulnerable_rule: dict[str, Any]
    protected: tuple[str, ...]
    # labels of the codes an explanation names (grades, indicator lists, dimensions, levels): code -> {lang: text}
    terms: dict[str, dict[str, str]] = field(default_factory=dict)

    def term(self, code: str, lang: str) -> str:
        """The label of a grade, list, dimension or level in ``lang`` (the code itself when none is known)."""
        return self.terms.get(code, {}).get(lang) or code

    # derived -----------------------------------------------------------------------------------
    @property
    def indicator_ids(self) -> list[str]:
        return [i.id for i in self.indicators]

    @property
    def factor_ids(self) -> list[str]:
        return [f.id for f in self.factors]

    @property
    def answer_ids(self) -> list[str]:
        return self.indicator_ids + self.factor_ids

    def indicator(self, ident: str) -> Indicator:
        return self._indicator_map[ident]

    def factor(self, ident: str) -> Factor:
        return self._factor_map[ident]

    @property
    def _indicator_map(self) -> dict[str, Indicator]:
        return _maps(self)[0]

    @property
    def _factor_map(self) -> dict[str, Factor]:
        return _maps(self)[1]

    def grade_codes(self) -> np.ndarray:
        """Array (lists × indicators) of grade codes: 0 strong, 1 medium, 2 weak, 3 not in the list."""
        return _grade_codes(self)

    def indicator_points(self, grade: str) -> float:
        return float(self.scoring["indicator_points"][grade])

    def factor_points(self, factor: Factor) -> float:
        """Signed points of one factor answered yes (risk > 0, protective < 0)."""
        overrides = self.scoring.get("factor_overrides") or {}
        base = overrides.get(factor.id, self.scoring["factor_points"][factor.kind])
        return float(base) if factor.kind == "risk" else -abs(float(base))

    def level_for(self, score: float) -> str:
        level = self.scoring["levels"][0]["level"]
        for row in self.scoring["levels"]:
            if score >= float(row["min"]) - 1e-9:
                level = row["level"]
        return level

    @property
    def level_names(self) -> list[str]:
        return [row["level"] for row in self.scoring["levels"]]

    def __hash__(self) -> int:  # identity hash so lru_cache helpers work on the frozen spec
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other


@lru_cache(maxsize=8)
def _maps(spec: ScreeningSpec) -> tuple[dict[str, Indicator], dict[str, Factor]]:
    return {i.id: i for i in spec.indicators}, {f.id: f for f in spec.factors}


@lru_cache(maxsize=8)
def _grade_codes(spec: ScreeningSpec) -> np.ndarray:
    codes = np.full((len(LISTS), len(spec.indicators)), 3, dtype=np.int8)
    for j, ind in enumerate(spec.indicators):
        for li, name in enumerate(LISTS):
            grade = ind.grades.get(name)
            if grade in GRADES:
                codes[li, j] = GRADES.index(grade)
    return codes


def is_protected(name: str, protected: tuple[str, ...]) -> bool:
    """Whether a column or feature name denotes a protected attribute (see scoring.yaml)."""
    lowered = name.lower()
    parts = lowered.replace(".", "_").split("_")
    for word in protected:
        if word in parts or lowered == word or lowered.endswith("." + word) or word in lowered.split("."):
            return True
        if "_" in word and word in lowered:
            return True
    return False


def _indicator_grades(item: Any) -> dict[str, str]:
    grades = _get(item, "grades")
    if isinstance(grades, Mapping):
        return {str(k): str(v) for k, v in grades.items() if v}
    grade = _get(item, "grade")
    if grade:
        return {name: str(grade) for name in LISTS}
    return {}


def build_spec(std: Any) -> ScreeningSpec:
    """Gather the screening inputs from a loaded standard; refuse a standard screening cannot use."""
    problems: list[Problem] = []
    version = str(_get(std, "version", "?"))
    docs = _documents(std)
    scoring = docs.get("scoring")
    if not isinstance(scoring, Mapping):
        raise LanternError(
            f"standard {version} has no scoring document (scoring.yaml)", field="scoring", record=f"standard {version}"
        )
    scoring = dict(scoring)

    dims_raw = _as_list(_get(std, "dimensions"))
    dimensions = tuple(str(_get(d, "id")) for d in dims_raw)
    roles = {str(_get(d, "id")): str(_get(d, "role")) for d in dims_raw}
    for dim, role in roles.items():
        if role not in ROLES:
            problems.append(Problem(f"unknown dimension role {role!r}", field="role", record=f"dimension {dim}"))

    indicators = []
    for item in _as_list(_get(std, "indicators")):
        ident = str(_get(item, "id"))
        if _get(item, "retired"):
            continue
        dim = str(_get(item, "dimension") or ident.split(".", 1)[0])
        if dim not in roles:
            problems.append(Problem(f"dimension {dim!r} is not in the standard", field="dimension", record=ident))
        grades = _indicator_grades(item)
        for lst, grade in grades.items():
            if lst not in LISTS or grade not in GRADES:
                problems.append(Problem(f"bad grade {lst}={grade}", field="grades", record=ident))
        indicators.append(Indicator(ident, dim, grades, _label(item)))

    factors = []
    for item in _as_list(_get(std, "factors")):
        if _get(item, "retired"):
            continue
        ident = str(_get(item, "id"))
        kind = str(_get(item, "kind"))
        if kind not in ("risk", "protective"):
            problems.append(Problem(f"factor kind must be risk or protective, not {kind!r}", field="kind", record=ident))
        level = str(_get(item, "level") or ident.split(".", 1)[0])
        factors.append(Factor(ident, level, kind, _label(item)))
    levels: list[str] = []
    for f in factors:
        if f.level not in levels:
            levels.append(f.level)

    protected = tuple(str(p).lower() for p in scoring.get("protected_attributes") or ())
    for ident in [i.id for i in indicators] + [f.id for f in factors]:
        if is_protected(ident, protected):
            problems.append(
                Problem("a protected attribute may never be a screening input", field=ident, record=f"standard {version}")
            )

    # the determination rule and the vulnerable definition: definitions.yaml wins when it states them
    # in a form screening reads (see docs/screening.md); otherwise scoring.yaml's parameters apply.
    rule = dict(scoring.get("presumed_victim") or {})
    rule["dimension_rule"] = scoring.get("dimension_rule")
    vulnerable = dict(scoring.get("vulnerable") or {})
    stated_pv = _definition_rule(std, "presumed_victim")
    if stated_pv:
        if isinstance(stated_pv.get("dimension_rule"), Mapping | list):
            rule["dimension_rule"] = stated_pv["dimension_rule"]
        for part in ("adult", "child", "child_age_below", "sexual_forms"):
            if isinstance(stated_pv.get(part), Mapping) and "all_of" in stated_pv[part] or part in ("child_age_below", "sexual_forms") and part in stated_pv:
                rule[part] = stated_pv[part]
    stated_v = _definition_rule(std, "vulnerable_tcn")
    if stated_v:
        for key in ("any_dimension", "min_net_risk_factors"):
            if key in stated_v:
                vulnerable[key] = stated_v[key]
        protected = tuple(dict.fromkeys(protected + tuple(str(w).lower() for w in stated_v.get("excluded_inputs") or ())))
    if not rule.get("dimension_rule"):
        problems.append(Problem("no ILO–EC dimension rule", field="dimension_rule", record=f"standard {version}"))
    for key in ("indicator_points", "factor_points", "levels"):
        if key not in scoring:
            problems.append(Problem("missing from scoring.yaml", field=key, record=f"standard {version}"))
    if problems:
        raise LanternError(problems)
    return ScreeningSpec(
        version=version,
        indicators=tuple(indicators),
        dimensions=dimensions,
        dimension_roles=roles,
        factors=tuple(factors),
        factor_levels=tuple(levels),
        scoring=scoring,
        rule=rule,
        vulnerable_rule=vulnerable,
        protected=protected,
        terms=_terms(std, scoring),
    )


def _terms(std: Any, scoring: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Labels for the codes an explanation names, from the standard's code lists and ``scoring.yaml``."""
    terms: dict[str, dict[str, str]] = {}
    code_list = getattr(std, "code_list", None)
    for name in ("grade", "indicator_list"):
        try:
            items = code_list(name) if callable(code_list) else []
        except Exception:  # a standard without that list: codes stay as they are
            items = []
        for code in items:
            terms[str(_get(code, "id"))] = _label(code)
    for dim in _as_list(_get(std, "dimensions")):
        terms[str(_get(dim, "id"))] = _label(dim)
    for row in scoring.get("levels") or []:
        if isinstance(row.get("labels"), Mapping):
            terms[str(row["level"])] = dict(row["labels"])
    return terms


def _definition_rule(std: Any, ident: str) -> dict[str, Any]:
    """The machine-readable ``rule`` of an operational definition, or {} when absent."""
    defs = _get(std, "definitions")
    item = None
    if defs is not None:
        getter = getattr(defs, "get", None)
        item = getter(ident) if getter else None
    rule = _get(item, "rule") if item is not None else None
    return dict(rule) if isinstance(rule, Mapping) else {}


_CACHE: dict[int, tuple[Any, ScreeningSpec]] = {}


def load(version: str | None = None) -> Any:
    """Load a standard version through ``lantern.standard``; an unknown version is a LanternError."""
    from lantern.standard import load_standard

    try:
        return load_standard(version) if version is not None else load_standard()
    except LanternError:
        raise
    except (FileNotFoundError, KeyError, ValueError) as exc:
        raise LanternError(
            f"unknown standard version {version!r} ({exc})", field="standard_version"
        ) from exc


def spec_for(standard: Any = None) -> ScreeningSpec:
    """The :class:`ScreeningSpec` of a loaded standard (or of the current version when None)."""
    if isinstance(standard, ScreeningSpec):
        return standard
    std = load() if standard is None else standard
    cached = _CACHE.get(id(std))
    if cached is not None and cached[0] is std:
        return cached[1]
    spec = build_spec(std)
    _CACHE[id(std)] = (std, spec)
    return spec
