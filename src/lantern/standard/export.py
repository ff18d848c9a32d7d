"""Exports of the standard: JSON Schema, XLSForm, CSV data dictionary and a readable HTML page.

Every export is generated from the loaded :class:`~lantern.standard.Standard`; nothing is written by
hand. Files are written to a temporary file in the target folder and moved into place, so a failed
export never leaves a half-written file.

- :func:`json_schema` — JSON Schema (draft 2020-12) of one assessment with its journey legs; the flat
  columns, the other questionnaire answers and ``journey`` (an array of legs).
- :func:`xlsform_rows` / :func:`write_xlsform` — an XLSForm (survey, choices, settings) with English
  and Romanian labels (``label::English (en)``, ``label::Română (ro)``), choice lists from the code
  lists, the indicator and factor questions grouped by dimension and level, journey legs as a
  repeat. It converts with pyxform, so the questionnaire runs in ODK Collect and KoboToolbox.
- :func:`dictionary_rows` / :func:`write_csv` — one row per item of the standard.
- :func:`render_html` / :func:`write_html` — the whole standard on one page.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lantern.errors import ValidationError
from lantern.standard.model import INDICATOR_LISTS
from lantern.standard.questionnaire import Question, Section, to_xpath

if TYPE_CHECKING:
    from lantern.standard.core import Standard

FORMATS = ("json-schema", "xlsform", "csv", "html")
LANG_COLUMNS = {"en": "English (en)", "ro": "Română (ro)"}


# -- helpers -----------------------------------------------------------------------------------
def _atomic_write(out: Path, write: Callable[[Path], object]) -> Path:
    """Write through ``write(tmp_path)`` into a temp file next to ``out``, then move it into place."""
    out = Path(out)
    if out.is_dir():
        raise ValidationError("is a folder; give a file name", record=str(out), field="--out")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def _choices(std: Standard, list_name: str) -> list[str]:
    return std.code_list(list_name).active_ids()


# -- JSON Schema -------------------------------------------------------------------------------
def _question_schema(std: Standard, q: Question) -> dict[str, Any]:
    desc = q.label("en")
    if q.type == "yes_no_unknown":
        return {"$ref": "#/$defs/flag", "description": desc}
    if q.type in ("select_one", "select_multiple"):
        ref = {"$ref": f"#/$defs/{q.code_list}"}
        if q.type == "select_multiple":
            return {"type": ["array", "null"], "items": ref, "uniqueItems": True, "description": desc}
        return {"anyOf": [ref, {"type": "null"}], "description": desc}
    if q.type == "integer":
        out: dict[str, Any] = {"type": ["integer", "null"], "description": desc}
        if q.min is not None:
            out["minimum"] = q.min
        if q.max is not None:
            out["maximum"] = q.max
        return out
    if q.type == "date":
        return {"type": ["string", "null"], "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$",
                "description": desc}
    return {"type": ["string", "null"], "description": desc}


def json_schema(std: Standard) -> dict[str, Any]:
    """JSON Schema (2020-12) of one assessment of ``std`` with its journey legs.

    Notes
    -----
    Flags (indicators and factors) are ``1``, ``0`` or ``null`` (unknown, never no). Cross-field
    rules (exit after entry, birth before interview) are not expressible here and are checked by
    the platform's validation.
    """
    used_lists: set[str] = set()
    props: dict[str, Any] = {}
    leg_props: dict[str, Any] = {}
    leg_required: list[str] = []
    for section in std.form():
        for q in section.questions:
            if q.type == "note":
                continue
            if q.code_list and q.type != "yes_no_unknown":
                used_lists.add(q.code_list)
            schema = _question_schema(std, q)
            if section.repeat:
                if q.id == "intra_eu":
                    schema = {"$ref": "#/$defs/flag", "description": q.label("en")}
                leg_props[q.id] = schema
                if q.required:
                    leg_required.append(q.id)
            else:
                props[q.id] = schema
    props["assessment_id"] = {"type": "string", "minLength": 1, "description": "Opaque identifier."}
    props["standard_version"] = {"const": std.version, "description": "Version of the standard."}
    # a stored assessment must carry the required flat columns; the other required answers of the
    # questionnaire (consent) are enforced by the intake flow, not by the record's schema
    required = [col.name for col in std.assessment_columns() if col.required]
    props["journey"] = {
        "type": "array",
        "description": "Journey legs in travel order.",
        "items": {"$ref": "#/$defs/journey_leg"},
    }
    defs: dict[str, Any] = {
        "flag": {"enum": [1, 0, None], "description": "1 = yes, 0 = no, null = unknown (never no)."},
        "journey_leg": {
            "type": "object",
            "properties": {"leg_no": {"type": "integer", "minimum": 1}, **leg_props},
            "required": ["leg_no", *leg_required],
            "additionalProperties": False,
        },
    }
    for name in sorted(used_lists):
        cl = std.code_list(name)
        defs[name] = {"enum": cl.active_ids(), "description": cl.label("en")}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:lantern:standard:{std.version}:assessment",
        "title": f"Lantern assessment (data standard {std.version})",
        "description": (
            "One intake interview of a third-country national: the flat assessment format "
            "(docs/architecture.md), the other answers of the questionnaire and the journey legs."
        ),
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": False,
        "$defs": defs,
    }


def write_json_schema(std: Standard, out: Path) -> Path:
    """Write :func:`json_schema` to ``out``."""
    text = json.dumps(json_schema(std), ensure_ascii=False, indent=2)
    return _atomic_write(out, lambda p: p.write_text(text + "\n", encoding="utf-8"))


# -- XLSForm -----------------------------------------------------------------------------------
SURVEY_COLUMNS = [
    "type", "name", *(f"label::{v}" for v in LANG_COLUMNS.values()),
    *(f"hint::{v}" for v in LANG_COLUMNS.values()), "required", "relevant", "constraint",
    *(f"constraint_message::{v}" for v in LANG_COLUMNS.values()), "calculation", "appearance",
]
CHOICE_COLUMNS = ["list_name", "name", *(f"label::{v}" for v in LANG_COLUMNS.values())]

_MESSAGES = {
    "not_future": {"en": "The date cannot be in the future.", "ro": "Data nu poate fi în viitor."},
    "not_future_year": {"en": "The year cannot be in the future.", "ro": "Anul nu poate fi în viitor."},
    "range": {"en": "Out of range ({lo}–{hi}).", "ro": "În afara intervalului ({lo}–{hi})."},
    "after": {"en": "Must not be before {other}.", "ro": "Nu poate fi înainte de {other}."},
}


def _labels_cells(prefix: str, texts: dict[str, str]) -> dict[str, str]:
    return {f"{prefix}::{col}": texts.get(lang, "") for lang, col in LANG_COLUMNS.items() if texts}


def _constraint(q: Question) -> tuple[str, dict[str, str]]:
    parts, msgs = [], []
    if q.min is not None or q.max is not None:
        lo = q.min if q.min is not None else ""
        hi = q.max if q.max is not None else ""
        if q.min is not None:
            parts.append(f". >= {q.min}")
        if q.max is not None:
            parts.append(f". <= {q.max}")
        msgs.append({k: v.format(lo=lo, hi=hi) for k, v in _MESSAGES["range"].items()})
    if q.constraint == "not_future":
        parts.append(". <= today()")
        msgs.append(_MESSAGES["not_future"])
    elif q.constraint == "not_future_year":
        parts.append(". <= int(format-date(today(), '%Y'))")
        msgs.append(_MESSAGES["not_future_year"])
    elif isinstance(q.constraint, dict) and "after_or_equal" in q.constraint:
        other = q.constraint["after_or_equal"]
        parts.append(f"${{{other}}} = '' or . >= ${{{other}}}")
        msgs.append({k: v.format(other=other) for k, v in _MESSAGES["after"].items()})
    if not parts:
        return "", {}
    message = {lang: " ".join(m[lang] for m in msgs) for lang in LANG_COLUMNS}
    return " and ".join(f"({p})" for p in parts), message


def _calculation(std: Standard, q: Question) -> str:
    if q.calculation == "uuid":
        return "once(uuid())"
    if q.calculation == "standard_version":
        return f"'{std.version}'"
    if q.calculation == "intra_eu":
        eu = " " + " ".join(sorted(c.id for c in std.countries if c.eu)) + " "
        return (f"if(contains('{eu}', concat(' ', ${{from_country}}, ' ')) and "
                f"contains('{eu}', concat(' ', ${{to_country}}, ' ')) and ${{from_country}} != '', 1, 0)")
    raise ValidationError(f"unknown calculation {q.calculation!r}", record=q.id, field="calculation")


def _survey_row(std: Standard, q: Question) -> dict[str, str]:
    if q.type == "yes_no_unknown":
        qtype = "select_one answer"
    elif q.type in ("select_one", "select_multiple"):
        qtype = f"{q.type} {q.code_list}"
    else:
        qtype = q.type
    row: dict[str, str] = {"type": qtype, "name": q.id}
    row.update(_labels_cells("label", q.labels))
    if q.hint:
        row.update(_labels_cells("hint", q.hint))
    if q.required:
        row["required"] = "yes"
    if q.relevant:
        row["relevant"] = to_xpath(q.relevant)
    constraint, message = _constraint(q)
    if constraint:
        row["constraint"] = constraint
        row.update(_labels_cells("constraint_message", message))
    if q.type == "calculate":
        row["calculation"] = _calculation(std, q)
    appearance = q.appearance or ""
    if q.code_list in ("country", "language") and q.type == "select_one":
        appearance = "minimal autocomplete"
    if appearance:
        row["appearance"] = appearance
    return row


def _group_rows(kind: str, name: str, labels: dict[str, str], relevant: str = "") -> dict[str, str]:
    row = {"type": f"begin_{kind}", "name": name}
    row.update(_labels_cells("label", labels))
    if relevant:
        row["relevant"] = relevant
    return row


def xlsform_rows(std: Standard) -> dict[str, list[dict[str, str]]]:
    """The XLSForm sheets (``survey``, ``choices``, ``settings``) as lists of row dicts."""
    survey: list[dict[str, str]] = []
    used_lists: list[str] = []

    def use(list_name: str | None) -> None:
        if list_name and list_name not in used_lists:
            used_lists.append(list_name)

    for section in std.form():
        kind = "repeat" if section.repeat else "group"
        name = section.repeat or f"sec_{section.id}"
        survey.append(_group_rows(kind, name, section.labels, to_xpath(section.relevant)))
        nested = len(section.groups) > 1 or section.groups and section.groups[0].id != section.id
        for group in section.groups:
            if nested:
                prefix = "dim" if section.id == "indicators" else "lvl"
                survey.append(_group_rows("group", f"{prefix}_{group.id}", group.labels))
            for q in group.questions:
                use("answer" if q.type == "yes_no_unknown" else q.code_list)
                survey.append(_survey_row(std, q))
            if nested:
                survey.append({"type": "end_group"})
        survey.append({"type": f"end_{kind}"})
    choices: list[dict[str, str]] = []
    for list_name in used_lists:
        for code in std.code_list(list_name):
            if code.retired:
                continue
            row = {"list_name": list_name, "name": code.id}
            row.update(_labels_cells("label", code.labels))
            choices.append(row)
    title = std.questionnaire.get("title") or {}
    settings = [{
        "form_title": title.get("en", "Lantern intake"),
        "form_id": str(std.questionnaire.get("form_id", "lantern_intake")),
        "version": std.version,
        "default_language": LANG_COLUMNS["en"],
        "allow_choice_duplicates": "no",
    }]
    return {"survey": survey, "choices": choices, "settings": settings}


def write_xlsform(std: Standard, out: Path) -> Path:
    """Write the XLSForm workbook (.xlsx) to ``out`` (openpyxl)."""
    from openpyxl import Workbook

    sheets = xlsform_rows(std)
    columns = {
        "survey": SURVEY_COLUMNS,
        "choices": CHOICE_COLUMNS,
        "settings": list(sheets["settings"][0]),
    }

    def write(path: Path) -> None:
        wb = Workbook()
        wb.remove(wb.active)
        for name in ("survey", "choices", "settings"):
            ws = wb.create_sheet(name)
            ws.append(columns[name])
            for row in sheets[name]:
                ws.append([row.get(col, "") or None for col in columns[name]])
        wb.save(path)

    return _atomic_write(out, write)


# -- CSV data dictionary ----------------------------------------------------------------------
DICTIONARY_COLUMNS = [
    "kind", "id", "parent", "label_en", "label_ro", "question_en", "question_ro",
    *(f"grade_{lst}" for lst in INDICATOR_LISTS), "factor_kind", "dtype", "code_list", "flat_column",
    "description", "source", "verified", "retired",
]


def dictionary_rows(std: Standard) -> list[dict[str, str]]:
    """One row per item of the standard: dimensions, indicators, forced-labour indicators,
    factors, definitions, code lists and their codes, country groups and questionnaire questions."""
    flat = {c.name: c for c in std.assessment_columns(include_retired=True)}
    rows: list[dict[str, str]] = []

    def add(kind: str, obj: Any, parent: str = "", **extra: Any) -> None:
        labels = getattr(obj, "labels", {}) or {}
        row = {
            "kind": kind, "id": obj.id, "parent": parent,
            "label_en": labels.get("en", ""), "label_ro": labels.get("ro", ""),
            "description": getattr(obj, "description", ""), "source": getattr(obj, "source", ""),
            "verified": str(bool(getattr(obj, "verified", False))).lower(),
            "retired": str(bool(getattr(obj, "retired", False))).lower(),
        }
        question = getattr(obj, "question", None)
        if isinstance(question, dict):
            row["question_en"], row["question_ro"] = question.get("en", ""), question.get("ro", "")
        if obj.id in flat:
            row["flat_column"] = obj.id
            row["dtype"] = flat[obj.id].dtype
        row.update({k: "" if v is None else str(v) for k, v in extra.items()})
        rows.append(row)

    for dim in std.dimensions:
        add("dimension", dim, "", dtype="")
    for ind in std.indicators:
        add("indicator", ind, ind.dimension, **{f"grade_{lst}": ind.grades.get(lst, "") for lst in INDICATOR_LISTS})
    for fl in std.forced_labour_indicators:
        add("forced_labour_indicator", fl, "ilo_2012", description=fl.description + (
            " ILO–EC: " + ", ".join(fl.ilo_ec) if fl.ilo_ec else ""))
    for fac in std.factors:
        add("factor", fac, fac.level, factor_kind=fac.kind)
    for d in std.definitions:
        add("definition", d, "", description=d.description)
    for name, cl in std.code_lists.items():
        add("code_list", cl, "")
        for code in cl:
            add("code", code, name)
    groups = (std.documents.get("countries") or {}).get("groups") or {}
    for name, g in groups.items():
        rows.append({
            "kind": "country_group", "id": name, "parent": "countries",
            "label_en": (g.get("labels") or {}).get("en", ""), "label_ro": (g.get("labels") or {}).get("ro", ""),
            "description": f"{g.get('description', '')} Members: {' '.join(g.get('members') or [])}",
            "source": g.get("source", ""), "verified": str(bool(g.get("verified"))).lower(), "retired": "false",
        })
    for section in std.form():
        for q in section.questions:
            if q.kind != "core":
                continue
            rows.append({
                "kind": "question", "id": q.id, "parent": section.id,
                "label_en": q.labels.get("en", ""), "label_ro": q.labels.get("ro", ""),
                "dtype": ("flag" if q.id == "intra_eu" else q.dtype or ""), "code_list": q.code_list or "",
                "flat_column": q.id if q.id in flat else "",
                "description": q.description, "source": "questionnaire.yaml", "verified": "true",
                "retired": "false",
            })
    for row in rows:
        for col in DICTIONARY_COLUMNS:
            row.setdefault(col, "")
    return rows


def csv_text(std: Standard) -> str:
    """The CSV data dictionary as text."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=DICTIONARY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(dictionary_rows(std))
    return buf.getvalue()


def write_csv(std: Standard, out: Path) -> Path:
    """Write the CSV data dictionary (UTF-8) to ``out``."""
    text = csv_text(std)
    return _atomic_write(out, lambda p: p.write_text(text, encoding="utf-8"))


# -- HTML --------------------------------------------------------------------------------------
def render_html(std: Standard, lang: str = "en") -> str:
    """The whole standard as one self-contained, readable HTML page (no external resources).

    Labels and questions are shown in both languages, ``lang`` first (headings are in English).
    """
    if lang not in ("en", "ro"):
        raise ValidationError(f"unknown page language {lang!r}; en or ro", field="--lang")
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("lantern.standard", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    groups = (std.documents.get("countries") or {}).get("groups") or {}
    level_list = std.code_lists.get("factor_level")
    levels = level_list.ids() if level_list else sorted({f.level for f in std.factors})
    return env.get_template("standard.html").render(
        std=std, lang=lang, other="ro" if lang != "ro" else "en", lists=INDICATOR_LISTS, groups=groups, levels=levels,
        level_list=level_list, form=std.form(), columns=std.assessment_columns(),
        to_xpath=to_xpath, sections=std.form(),
    )


def write_html(std: Standard, out: Path, lang: str = "en") -> Path:
    """Write :func:`render_html` to ``out``."""
    text = render_html(std, lang)
    return _atomic_write(out, lambda p: p.write_text(text, encoding="utf-8"))


def export(std: Standard, fmt: str, out: Path) -> Path:
    """Write ``std`` in format ``fmt`` (one of :data:`FORMATS`) to ``out``."""
    writers: dict[str, Callable[[Standard, Path], Path]] = {
        "json-schema": write_json_schema,
        "xlsform": write_xlsform,
        "csv": write_csv,
        "html": write_html,
    }
    if fmt not in writers:
        raise ValidationError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}", field="--format")
    return writers[fmt](std, Path(out))


__all__ = [
    "FORMATS", "Section", "csv_text", "dictionary_rows", "export", "json_schema", "render_html",
    "write_csv", "write_html", "write_json_schema", "write_xlsform", "xlsform_rows",
]
