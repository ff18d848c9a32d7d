"""The platform's view of the data standard: choices, questionnaire sections and labels.

Everything here is read from :mod:`lantern.standard`; no list is repeated by hand. Labels follow the active
Django language (``en`` or ``ro``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.utils import translation

from lantern.errors import ValidationError

AGENCY_TYPE_LIST = "agency_type"


def lang() -> str:
    code = (translation.get_language() or "en").split("-")[0]
    return code if code in ("en", "ro") else "en"


def current():
    from lantern.standard import load_standard

    return load_standard()


def current_version() -> str:
    return current().version


@lru_cache(maxsize=8)
def supported_versions() -> tuple[str, ...]:
    from lantern.standard.loader import available_versions

    return tuple(available_versions())


def standard_for(version: str | None):
    """The standard of ``version`` (current when None); a clear error for an unknown version."""
    from lantern.standard import load_standard

    if version is None or version == "":
        return current()
    if version not in supported_versions():
        raise ValidationError(
            f"unknown standard version {version!r}; this platform accepts {', '.join(supported_versions())}",
            field="standard_version",
        )
    return load_standard(version)


def code_choices(list_name: str, *, std=None, include_retired: bool = False) -> list[tuple[str, str]]:
    std = std or current()
    if list_name == "country":
        return country_choices(std=std)
    lang_ = lang()
    return [(c.id, c.label(lang_)) for c in std.code_list(list_name) if include_retired or not c.retired]


def code_label(list_name: str, code: str | None, *, std=None) -> str:
    if not code:
        return ""
    std = std or current()
    try:
        if list_name == "country":
            return std.country(code).label(lang())
        return std.code_list(list_name)[code].label(lang())
    except (KeyError, ValidationError):
        return code


def country_choices(*, std=None) -> list[tuple[str, str]]:
    std = std or current()
    return sorted(((c.id, c.name) for c in std.countries), key=lambda p: p[1])


def is_eu(code: str, *, std=None) -> bool:
    std = std or current()
    c = std.countries.get(code)
    return bool(c and c.eu)


def is_country(code: str, *, std=None) -> bool:
    std = std or current()
    return bool(code) and code in std.countries


def in_code_list(list_name: str, code: str, *, std=None) -> bool:
    std = std or current()
    if list_name == "country":
        return is_country(code, std=std)
    cl = std.code_list(list_name)
    return code in cl.active_ids()


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    hint: str
    kind: str  # indicator | factor
    grade: str = ""


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    questions: tuple[Question, ...]


def indicator_sections(*, std=None) -> list[Section]:
    """One section per ILO–EC dimension, in the standard's order, active indicators only."""
    std = std or current()
    lang_ = lang()
    sections = []
    for dim in std.dimensions:
        qs = tuple(
            Question(
                id=ind.id,
                text=ind.ask(lang_),
                hint=ind.label(lang_),
                kind="indicator",
                grade=ind.grade("adult_labour") or "",
            )
            for ind in std.indicators_in(dim.id)
            if not ind.retired
        )
        if qs:
            sections.append(Section(id=dim.id, title=dim.label(lang_), questions=qs))
    return sections


def factor_sections(*, std=None) -> list[Section]:
    """One section per IOM DoMV level, in the standard's order, active factors only."""
    std = std or current()
    lang_ = lang()
    levels: dict[str, list[Question]] = {}
    for fac in std.factors:
        if fac.retired:
            continue
        levels.setdefault(fac.level, []).append(
            Question(id=fac.id, text=fac.ask(lang_), hint=fac.label(lang_), kind="factor")
        )
    return [Section(id=level, title=code_label("factor_level", level, std=std), questions=tuple(qs))
            for level, qs in levels.items()]


def indicator_ids(*, std=None) -> list[str]:
    std = std or current()
    return [c.name for c in std.assessment_columns() if c.kind == "indicator"]


def factor_ids(*, std=None) -> list[str]:
    std = std or current()
    return [c.name for c in std.assessment_columns() if c.kind == "factor"]


def core_columns(*, std=None):
    std = std or current()
    return [c for c in std.assessment_columns() if c.kind == "core"]


def item_label(item_id: str, *, std=None) -> str:
    std = std or current()
    try:
        item = std.item(item_id)
    except ValidationError:
        return item_id
    return item.label(lang()) if hasattr(item, "label") else item_id
