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


def _form_sections(kind: str, *, std=None, answers: dict | None = None) -> list[Section]:
    """The questionnaire's groups of ``kind`` (indicator | factor) from ``std.form()``, in its order. With
    ``answers`` (the demographics so far), questions whose relevance condition is false are left out."""
    from lantern.standard.questionnaire import evaluate

    std = std or current()
    lang_ = lang()
    sections = []
    for section in std.form():
        for group in section.groups:
            qs = tuple(
                Question(id=q.id, text=q.label(lang_), hint=_hint(q, lang_), kind=kind,
                         grade=(std.indicators[q.id].grade("adult_labour") or "") if kind == "indicator" else "")
                for q in group.questions
                if q.kind == kind and (answers is None or evaluate(q.relevant, answers))
            )
            if qs:
                title = group.labels.get(lang_) or group.labels.get("en") or group.id
                sections.append(Section(id=group.id, title=title, questions=qs))
    return sections


def _hint(q, lang_: str) -> str:
    hint = q.hint or {}
    return hint.get(lang_) or hint.get("en") or ""


def indicator_sections(*, std=None, answers: dict | None = None) -> list[Section]:
    """One section per ILO–EC dimension, as in the standard's questionnaire."""
    return _form_sections("indicator", std=std, answers=answers)


def factor_sections(*, std=None, answers: dict | None = None) -> list[Section]:
    """One section per IOM DoMV level, as in the standard's questionnaire."""
    return _form_sections("factor", std=std, answers=answers)


def relevant(item_id: str, answers: dict, *, std=None) -> bool:
    """Whether the questionnaire asks ``item_id`` given ``answers`` (True when it has no condition)."""
    from lantern.standard.questionnaire import evaluate

    std = std or current()
    for section in std.form():
        for q in section.questions:
            if q.id == item_id:
                return evaluate(q.relevant, answers)
    return True


def form_question_ids(*, std=None) -> set[str]:
    std = std or current()
    return {q.id for section in std.form() for q in section.questions}


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
