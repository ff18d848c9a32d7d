"""The intake questionnaire, resolved from ``questionnaire.yaml`` and the standard's items.

:func:`build_form` turns the YAML into :class:`Section` and :class:`Question` objects: generated
sections get one yes/no/unknown question per indicator (grouped by dimension) or factor (grouped by
level), with the item's own question wording. The platform's intake wizard, the XLSForm, the JSON
Schema and the flat assessment format are all derived from this one structure.

Relevance conditions are kept in a neutral form (``{"field", "op", "value"}`` or ``{"all"|"any": [...]}``)
so that each edge can translate them (XPath for XLSForm, Python for the wizard; see :func:`evaluate`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lantern.standard.model import Column

if TYPE_CHECKING:
    from lantern.standard.core import Standard

QUESTION_TYPES = (
    "text",
    "integer",
    "date",
    "select_one",
    "select_multiple",
    "yes_no_unknown",
    "calculate",
    "note",
)
CONDITION_OPS = ("eq", "ne", "lt", "le", "gt", "ge", "empty", "filled", "selected")

_DTYPE = {
    "text": "str",
    "integer": "int",
    "date": "date",
    "select_one": "str",
    "select_multiple": "list",
    "yes_no_unknown": "flag",
    "calculate": "str",
}


@dataclass(frozen=True)
class Question:
    """One question of the intake form.

    ``kind`` is ``core`` for questions written in the YAML, ``indicator`` or ``factor`` for
    generated ones (then ``item_id`` is the indicator or factor id and ``group`` its dimension or
    level). ``relevant`` is a neutral condition (or ``None``).
    """

    id: str
    type: str
    labels: dict[str, str]
    code_list: str | None = None
    required: bool = False
    hint: dict[str, str] = field(default_factory=dict)
    relevant: dict[str, Any] | None = None
    constraint: Any = None
    calculation: str | None = None
    appearance: str | None = None
    min: int | None = None
    max: int | None = None
    kind: str = "core"
    item_id: str | None = None
    group: str | None = None
    description: str = ""

    @property
    def dtype(self) -> str | None:
        """Storage type: str, int, date, list, flag (None for notes)."""
        return _DTYPE.get(self.type)

    def label(self, lang: str = "en") -> str:
        """The wording in ``lang`` (English if missing)."""
        return self.labels.get(lang) or self.labels.get("en", self.id)


@dataclass(frozen=True)
class Group:
    """A group of questions inside a section (a dimension or a level in generated sections)."""

    id: str
    labels: dict[str, str]
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Section:
    """A section (page) of the intake form; ``repeat`` names a repeat group (journey legs)."""

    id: str
    labels: dict[str, str]
    description: str = ""
    relevant: dict[str, Any] | None = None
    repeat: str | None = None
    groups: tuple[Group, ...] = ()

    @property
    def questions(self) -> list[Question]:
        """Every question of the section, in order."""
        return [q for g in self.groups for q in g.questions]

    def label(self, lang: str = "en") -> str:
        """The title in ``lang``."""
        return self.labels.get(lang) or self.labels.get("en", self.id)


def _q(raw: dict[str, Any]) -> Question:
    return Question(
        id=str(raw["id"]),
        type=str(raw.get("type", "text")),
        labels={str(k): str(v) for k, v in (raw.get("labels") or {}).items()},
        code_list=raw.get("code_list"),
        required=bool(raw.get("required", False)),
        hint={str(k): str(v) for k, v in (raw.get("hint") or {}).items()},
        relevant=raw.get("relevant"),
        constraint=raw.get("constraint"),
        calculation=raw.get("calculation"),
        appearance=raw.get("appearance"),
        min=raw.get("min"),
        max=raw.get("max"),
        description=str(raw.get("description") or ""),
    )


def _relevant_for_indicator(ind: Any, section: dict[str, Any]) -> dict[str, Any] | None:
    lists = set(ind.grades)
    conds = []
    if lists and not lists & {"adult_labour", "adult_sexual"} and section.get("child_only_relevant"):
        conds.append(section["child_only_relevant"])
    if lists and not lists & {"adult_labour", "child_labour"} and section.get("sexual_only_relevant"):
        conds.append(section["sexual_only_relevant"])
    if not conds:
        return None
    return conds[0] if len(conds) == 1 else {"all": conds}


def build_form(std: Standard) -> tuple[Section, ...]:
    """Resolve the questionnaire of ``std`` into sections, groups and questions."""
    q = std.questionnaire
    sections = []
    for raw in q.get("sections") or []:
        gen = raw.get("generate") or {}
        groups: list[Group] = []
        if gen.get("from") == "indicators":
            for dim in std.dimensions:
                qs = tuple(
                    Question(
                        id=ind.id, type="yes_no_unknown", labels=dict(ind.question or ind.labels),
                        code_list="answer", relevant=_relevant_for_indicator(ind, raw),
                        kind="indicator", item_id=ind.id, group=dim.id, description=ind.label("en"),
                        hint={k: v for k, v in ind.labels.items()},
                    )
                    for ind in std.indicators_in(dim.id)
                    if not ind.retired
                )
                groups.append(Group(id=dim.id, labels=dict(dim.labels), questions=qs))
        elif gen.get("from") == "factors":
            level_list = std.code_lists.get("factor_level")
            levels = level_list.ids() if level_list else sorted({f.level for f in std.factors})
            for level in levels:
                qs = tuple(
                    Question(
                        id=fac.id, type="yes_no_unknown", labels=dict(fac.question or fac.labels),
                        code_list="answer", kind="factor", item_id=fac.id, group=level,
                        description=fac.label("en"), hint={k: v for k, v in fac.labels.items()},
                    )
                    for fac in std.factors
                    if fac.level == level and not fac.retired
                )
                labels = dict(level_list[level].labels) if level_list and level in level_list else {"en": level}
                groups.append(Group(id=level, labels=labels, questions=qs))
        else:
            groups.append(
                Group(id=str(raw["id"]), labels=dict(raw.get("labels") or {}),
                      questions=tuple(_q(x) for x in raw.get("questions") or []))
            )
        sections.append(
            Section(
                id=str(raw["id"]),
                labels={str(k): str(v) for k, v in (raw.get("labels") or {}).items()},
                description=str(raw.get("description") or ""),
                relevant=raw.get("relevant"),
                repeat=raw.get("repeat"),
                groups=tuple(groups),
            )
        )
    return tuple(sections)


def flat_columns(std: Standard, *, include_retired: bool = False) -> list[Column]:
    """The flat assessment format derived from the questionnaire's ``flat_columns``."""
    form = std.form()
    questions = {q.id: q for s in form if not s.repeat for q in s.questions}
    cols: list[Column] = []
    for name in std.questionnaire.get("flat_columns") or []:
        if name == "indicators":
            for ind in std.indicators:
                if include_retired or not ind.retired:
                    cols.append(Column(ind.id, dtype="flag", kind="indicator", description=ind.label("en")))
        elif name == "factors":
            for fac in std.factors:
                if include_retired or not fac.retired:
                    cols.append(Column(fac.id, dtype="flag", kind="factor", description=fac.label("en")))
        else:
            question = questions[name]
            dtype = "str" if question.type == "calculate" else (question.dtype or "str")
            # a yes/no/unknown answer is stored as a flag (1 / 0 / null), not as a code of `answer`
            code_list = None if dtype == "flag" else question.code_list
            cols.append(
                Column(name, dtype=dtype, kind="core", code_list=code_list,
                       required=question.required or name in _ALWAYS_REQUIRED,
                       description=question.description or question.label("en"))
            )
    return cols


# set by the system, so always present in a stored assessment
_ALWAYS_REQUIRED = {"assessment_id", "standard_version"}


def _value_empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, list | tuple | set) and not value)


def evaluate(condition: dict[str, Any] | None, answers: dict[str, Any]) -> bool:
    """Evaluate a neutral relevance condition against ``answers`` (a dict of question id -> value).

    ``None`` is always relevant. Comparisons with a missing answer are false (except ``empty``).
    """
    if condition is None:
        return True
    if "all" in condition:
        return all(evaluate(c, answers) for c in condition["all"])
    if "any" in condition:
        return any(evaluate(c, answers) for c in condition["any"])
    op, value = condition.get("op", "eq"), condition.get("value")
    got = answers.get(condition["field"])
    if op == "empty":
        return _value_empty(got)
    if op == "filled":
        return not _value_empty(got)
    if _value_empty(got):
        return False
    if op == "selected":
        return value in got if isinstance(got, list | tuple | set) else str(got).split().count(str(value)) > 0
    if op == "eq":
        return str(got) == str(value)
    if op == "ne":
        return str(got) != str(value)
    try:
        a, b = float(got), float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return {"lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b}[op]


def to_xpath(condition: dict[str, Any] | None) -> str:
    """Translate a neutral condition into an XLSForm ``relevant`` expression."""
    if condition is None:
        return ""
    if "all" in condition:
        return " and ".join(f"({to_xpath(c)})" for c in condition["all"])
    if "any" in condition:
        return " or ".join(f"({to_xpath(c)})" for c in condition["any"])
    ref = "${" + _xml_name(condition["field"]) + "}"
    op, value = condition.get("op", "eq"), condition.get("value")
    if op == "empty":
        return f"{ref} = ''"
    if op == "filled":
        return f"{ref} != ''"
    if op == "selected":
        return f"selected({ref}, '{value}')"
    sym = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}[op]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{ref} {sym} {value}"
    return f"{ref} {sym} '{value}'"


def _xml_name(qid: str) -> str:
    """XLSForm names may not contain dots: ``a.b`` -> ``a__b`` (reversible, ids have no ``__``)."""
    return qid.replace(".", "__")


xml_name = _xml_name
