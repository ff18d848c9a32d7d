"""Validation of a version folder of the standard.

:func:`validate` returns every problem found (never only the first), each naming the file and item
(``record``), the field and the reason. Checks:

- the version is stated (``standard.yaml``: ``version: "<major>.<minor>"``) and matches the folder;
- every required file is present and parses;
- ids are present, well formed and unique (within a collection, and across the flat-format columns);
- labels are complete (``en`` and ``ro``, non-empty) for every item, code list, code, section and
  written question; indicators and factors carry a question wording in both languages;
- required fields are present (description, source, verified as a boolean);
- references resolve: indicator dimension and grades, factor level and kind, dimension role,
  forced-labour mapping, definition rules, country-group members (ISO 3166-1 alpha-2 through
  pycountry), offered languages (ISO 639), mapping codes / items, questionnaire code lists,
  relevance fields and ``flat_columns`` (whose head must equal the contract in
  ``docs/architecture.md``);
- any other YAML file (e.g. ``interventions.yaml``, ``scoring.yaml``): every id listed under a key
  ``factors``, ``dimensions`` or ``indicators`` (and the keys of ``factor_overrides``) must exist.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lantern.errors import Problem, ValidationError
from lantern.standard.model import GRADES, INDICATOR_LISTS, LABEL_LANGUAGES

REQUIRED_FILES = (
    "standard",
    "indicators",
    "factors",
    "definitions",
    "code_lists",
    "countries",
    "languages",
    "mappings",
    "questionnaire",
)
ID_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$")
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_]*$")
VERSION_RE = re.compile(r"^\d+\.\d+$")


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, file: str, item: str | None, field: str | None, reason: str) -> None:
        record = f"{file} / {item}" if item else file
        self.problems.append(Problem(reason=reason, field=field, record=record))


def _labels_ok(c: _Collector, file: str, item: str, raw: Any, key: str = "labels") -> None:
    labels = raw.get(key) if isinstance(raw, dict) else None
    if not isinstance(labels, dict):
        c.add(file, item, key, f"missing {key} (needs {' and '.join(LABEL_LANGUAGES)})")
        return
    for lang in LABEL_LANGUAGES:
        value = labels.get(lang)
        if not isinstance(value, str) or not value.strip():
            c.add(file, item, f"{key}.{lang}", f"missing or empty {lang} text")


def _common_ok(c: _Collector, file: str, raw: dict, *, inherit_source: bool = False,
               inherit_verified: bool = False, need_description: bool = True) -> None:
    item = str(raw.get("id"))
    _labels_ok(c, file, item, raw)
    if need_description and not str(raw.get("description") or "").strip():
        c.add(file, item, "description", "missing description")
    if not inherit_source and not str(raw.get("source") or "").strip():
        c.add(file, item, "source", "missing source")
    if "verified" in raw:
        if not isinstance(raw["verified"], bool):
            c.add(file, item, "verified", "must be true or false")
    elif not inherit_verified:
        c.add(file, item, "verified", "missing verified: true|false")


def _ids_ok(c: _Collector, file: str, items: Iterable[Any], what: str, pattern: re.Pattern = ID_RE) -> list[dict]:
    """Keep the items that have a usable id; report missing, malformed and duplicate ids."""
    good: list[dict] = []
    seen: Counter[str] = Counter()
    for n, raw in enumerate(items, start=1):
        if not isinstance(raw, dict):
            c.add(file, f"{what} #{n}", None, "must be a mapping with an id")
            continue
        ident = raw.get("id")
        if ident is None or ident == "":
            c.add(file, f"{what} #{n}", "id", "missing id")
            continue
        if not isinstance(ident, str):
            c.add(file, f"{what} #{n}", "id", f"id must be a string (YAML read {ident!r}; quote it)")
            continue
        if not pattern.match(ident):
            c.add(file, ident, "id", "malformed id (lower-case letters, digits and _ only)")
        seen[ident] += 1
        if seen[ident] == 2:
            c.add(file, ident, "id", f"duplicate {what} id")
        good.append(raw)
    return good


def _list(doc: Any, key: str) -> list:
    value = doc.get(key) if isinstance(doc, dict) else None
    return value if isinstance(value, list) else []


def validate(path: str | Path | None = None, *, version: str | None = None) -> list[Problem]:
    """Check a version folder; return every problem found (an empty list when valid).

    Parameters
    ----------
    path : path, optional
        The folder of YAML files; the packaged folder of ``version`` (current by default) if omitted.
    version : str, optional
        Which packaged version to check when ``path`` is omitted.
    """
    from lantern.standard.loader import read_yaml_files, version_dir

    folder = Path(path) if path is not None else version_dir(version)
    c = _Collector()
    if not folder.is_dir():
        c.add(str(folder), None, "path", "not a folder")
        return c.problems
    try:
        docs = read_yaml_files(folder)
    except ValidationError as exc:
        return list(exc.problems)
    for name in REQUIRED_FILES:
        if name not in docs:
            c.add(f"{name}.yaml", None, None, "required file is missing")
        elif not isinstance(docs[name], dict):
            c.add(f"{name}.yaml", None, None, "must be a mapping at the top level")
            docs[name] = {}

    # -- version --------------------------------------------------------------------------------
    meta = docs.get("standard") or {}
    ver = meta.get("version")
    if not isinstance(ver, str) or not VERSION_RE.match(ver):
        c.add("standard.yaml", None, "version", 'version must be stated as a quoted string "<major>.<minor>"')
    elif folder.name.startswith("v") and folder.name[1:].isdigit() and ver.split(".")[0] != folder.name[1:]:
        c.add("standard.yaml", None, "version", f"version {ver} does not belong in folder {folder.name}")
    for name, doc in docs.items():
        if name != "standard" and isinstance(doc, dict) and "version" in doc and doc["version"] != ver:
            c.add(f"{name}.yaml", None, "version", f"states version {doc['version']!r}, standard.yaml {ver!r}")
    if isinstance(meta, dict) and "title" in meta:
        _labels_ok(c, "standard.yaml", "title", meta, key="title")

    # -- code lists -----------------------------------------------------------------------------
    code_lists: dict[str, set[str]] = {}
    cl_doc = (docs.get("code_lists") or {}).get("code_lists")
    if not isinstance(cl_doc, dict):
        c.add("code_lists.yaml", None, "code_lists", "missing the code_lists mapping")
        cl_doc = {}
    for name, raw in cl_doc.items():
        item = f"code list {name}"
        if not isinstance(raw, dict):
            c.add("code_lists.yaml", item, None, "must be a mapping")
            continue
        _labels_ok(c, "code_lists.yaml", item, raw)
        for key in ("description", "source"):
            if not str(raw.get(key) or "").strip():
                c.add("code_lists.yaml", item, key, f"missing {key}")
        if not isinstance(raw.get("verified"), bool):
            c.add("code_lists.yaml", item, "verified", "missing verified: true|false")
        items = _ids_ok(c, "code_lists.yaml", _list(raw, "items"), f"code in {name}", CODE_RE)
        if not items:
            c.add("code_lists.yaml", item, "items", "a code list needs at least one code")
        for code in items:
            code = dict(code, id=f"{name}.{code['id']}")
            _common_ok(c, "code_lists.yaml", code, inherit_source=True, inherit_verified=True)
        code_lists[name] = {str(x["id"]) for x in items}

    def code_ok(file: str, item: str, field: str, list_name: str, value: Any) -> None:
        if list_name not in code_lists:
            c.add(file, item, field, f"code list {list_name!r} does not exist")
        elif value not in code_lists[list_name]:
            c.add(file, item, field, f"{value!r} is not a code of list {list_name!r}")

    # -- indicators and dimensions ---------------------------------------------------------------
    ind_doc = docs.get("indicators") or {}
    dims = _ids_ok(c, "indicators.yaml", _list(ind_doc, "dimensions"), "dimension")
    dim_ids = {d["id"] for d in dims}
    if not dims:
        c.add("indicators.yaml", None, "dimensions", "no dimensions")
    for d in dims:
        _common_ok(c, "indicators.yaml", d, inherit_source=bool(ind_doc.get("source")))
        code_ok("indicators.yaml", d["id"], "role", "dimension_role", d.get("role"))
    inds = _ids_ok(c, "indicators.yaml", _list(ind_doc, "indicators"), "indicator")
    ind_ids = {i["id"] for i in inds}
    if not inds:
        c.add("indicators.yaml", None, "indicators", "no indicators")
    for i in inds:
        iid = i["id"]
        _common_ok(c, "indicators.yaml", i, inherit_source=bool(ind_doc.get("source")))
        _labels_ok(c, "indicators.yaml", iid, i, key="question")
        dim = i.get("dimension") or iid.split(".")[0]
        if dim not in dim_ids:
            c.add("indicators.yaml", iid, "dimension", f"dimension {dim!r} does not exist")
        elif not iid.startswith(dim + "."):
            c.add("indicators.yaml", iid, "id", f"id must start with its dimension '{dim}.'")
        grades = i.get("grades")
        if not isinstance(grades, dict) or not grades:
            c.add("indicators.yaml", iid, "grades", "needs a grade in at least one list")
            continue
        for lst, grade in grades.items():
            if lst not in INDICATOR_LISTS:
                c.add("indicators.yaml", iid, f"grades.{lst}", f"unknown list (one of {', '.join(INDICATOR_LISTS)})")
            if grade not in GRADES:
                c.add("indicators.yaml", iid, f"grades.{lst}", f"grade {grade!r} is not strong, medium or weak")
    fl = (ind_doc.get("forced_labour_2012") or {}) if isinstance(ind_doc, dict) else {}
    if fl:
        _labels_ok(c, "indicators.yaml", "forced_labour_2012", fl)
        for raw in _ids_ok(c, "indicators.yaml", _list(fl, "items"), "forced-labour indicator"):
            _common_ok(c, "indicators.yaml", raw, inherit_source=bool(fl.get("source")),
                       inherit_verified="verified" in fl)
            for ref in raw.get("ilo_ec") or []:
                if ref not in ind_ids:
                    c.add("indicators.yaml", raw["id"], "ilo_ec", f"indicator {ref!r} does not exist")

    # -- factors --------------------------------------------------------------------------------
    fac_doc = docs.get("factors") or {}
    facs = _ids_ok(c, "factors.yaml", _list(fac_doc, "factors"), "factor")
    fac_ids = {f["id"] for f in facs}
    if not facs:
        c.add("factors.yaml", None, "factors", "no factors")
    for f in facs:
        fid = f["id"]
        _common_ok(c, "factors.yaml", f, inherit_source=bool(fac_doc.get("source")))
        _labels_ok(c, "factors.yaml", fid, f, key="question")
        level = f.get("level") or fid.split(".")[0]
        code_ok("factors.yaml", fid, "level", "factor_level", level)
        if not fid.startswith(f"{level}."):
            c.add("factors.yaml", fid, "id", f"id must start with its level '{level}.'")
        code_ok("factors.yaml", fid, "kind", "factor_kind", f.get("kind"))

    # -- definitions ----------------------------------------------------------------------------
    def_doc = docs.get("definitions") or {}
    defs = _ids_ok(c, "definitions.yaml", _list(def_doc, "definitions"), "definition")
    def_ids = {d["id"] for d in defs}
    for d in defs:
        _common_ok(c, "definitions.yaml", d)
    for needed in ("tcn", "vulnerable_tcn", "presumed_victim", "identified_victim"):
        if defs and needed not in def_ids:
            c.add("definitions.yaml", needed, None, "required operational definition is missing")
    groups = ((docs.get("countries") or {}).get("groups")) or {}
    _check_rules(c, defs, dim_ids=dim_ids, code_ok=code_ok, def_ids=def_ids, groups=set(groups))

    # -- countries and languages ----------------------------------------------------------------
    _check_countries(c, groups)
    _check_languages(c, docs.get("languages") or {})

    # -- flat-format namespace: indicator and factor ids are column names --------------------------
    from lantern.standard.core import FLAT_HEAD

    for clash in (ind_ids & fac_ids) | ((ind_ids | fac_ids) & set(FLAT_HEAD)):
        c.add("indicators.yaml", clash, "id", "id used twice across indicators, factors and columns")

    # -- questionnaire ---------------------------------------------------------------------------
    q_ids = _check_questionnaire(c, docs.get("questionnaire") or {}, code_lists, FLAT_HEAD)

    # -- mappings -------------------------------------------------------------------------------
    _check_mappings(c, docs.get("mappings") or {}, code_lists, ind_ids | fac_ids, def_ids, q_ids, set(groups))

    # -- other documents (interventions, scoring, ...) -----------------------------------------
    known = {"factors": fac_ids, "dimensions": dim_ids, "indicators": ind_ids}
    for name, doc in docs.items():
        if name not in REQUIRED_FILES:
            _check_refs(c, f"{name}.yaml", doc, known, path=[])
    return c.problems


def _check_rules(c: _Collector, defs: list[dict], *, dim_ids: set[str], code_ok: Any,
                 def_ids: set[str], groups: set[str]) -> None:
    f = "definitions.yaml"
    for d in defs:
        rule = d.get("rule")
        did = d["id"]
        if not isinstance(rule, dict) or not rule:
            c.add(f, did, "rule", "an operational definition needs a machine-readable rule")
            continue
        if did == "presumed_victim":
            dr = rule.get("dimension_rule")
            combos = dr.get("any_of") if isinstance(dr, dict) else None
            if not isinstance(combos, list) or not combos:
                c.add(f, did, "rule.dimension_rule", "needs any_of: a list of grade combinations")
            else:
                for combo in combos:
                    if not isinstance(combo, dict) or not combo:
                        c.add(f, did, "rule.dimension_rule", f"bad combination {combo!r}")
                        continue
                    for key, n in combo.items():
                        if key not in {*GRADES, "medium_or_weak", "any"} or not isinstance(n, int) or n < 1:
                            c.add(f, did, "rule.dimension_rule", f"bad term {key}: {n!r}")
            for who in ("adult", "child"):
                part = rule.get(who)
                terms = part.get("all_of") if isinstance(part, dict) else None
                if not isinstance(terms, list) or not terms:
                    c.add(f, did, f"rule.{who}", "needs all_of: a list of {any_role: ...} or {dimension: ...}")
                    continue
                for term in terms:
                    if isinstance(term, dict) and "any_role" in term:
                        code_ok(f, did, f"rule.{who}", "dimension_role", term["any_role"])
                    elif isinstance(term, dict) and "dimension" in term:
                        if term["dimension"] not in dim_ids:
                            c.add(f, did, f"rule.{who}", f"dimension {term['dimension']!r} does not exist")
                    else:
                        c.add(f, did, f"rule.{who}", f"bad term {term!r}")
            for form in rule.get("sexual_forms") or []:
                code_ok(f, did, "rule.sexual_forms", "exploitation_form", form)
            for element, dims in (rule.get("elements") or {}).items():
                for dim in dims or []:
                    if dim not in dim_ids:
                        c.add(f, did, f"rule.elements.{element}", f"dimension {dim!r} does not exist")
            for who, by_purpose in (rule.get("lists") or {}).items():
                for lst in (by_purpose or {}).values():
                    if lst not in INDICATOR_LISTS:
                        c.add(f, did, f"rule.lists.{who}", f"unknown list {lst!r}")
        elif did == "vulnerable_tcn":
            n = rule.get("min_net_risk_factors")
            if n is not None and (not isinstance(n, int) or n < 1):
                c.add(f, did, "rule.min_net_risk_factors", "must be a positive integer")
            if rule.get("applies_to") and rule["applies_to"] not in def_ids:
                c.add(f, did, "rule.applies_to", f"definition {rule['applies_to']!r} does not exist")
            banned = {"citizenship", "nationality", "ethnicity", "religion"}
            for key in rule:
                if key in banned:
                    c.add(f, did, f"rule.{key}", "the vulnerable rule may never use nationality or origin")
        elif did == "tcn":
            group = rule.get("not_member_of")
            if group not in groups:
                c.add(f, did, "rule.not_member_of", f"country group {group!r} does not exist")
        elif did == "identified_victim":
            for agency in rule.get("requires_decision_by") or []:
                code_ok(f, did, "rule.requires_decision_by", "agency_type", agency)


def _check_countries(c: _Collector, groups: dict) -> None:
    from lantern.standard.loader import _pycountry_countries

    f = "countries.yaml"
    known = {row[0] for row in _pycountry_countries()}
    for name in ("eu", "eea", "schengen"):
        if name not in groups:
            c.add(f, name, None, "country group is missing")
    members: dict[str, set] = {}
    for name, g in groups.items():
        if not isinstance(g, dict):
            c.add(f, name, None, "must be a mapping")
            continue
        _common_ok(c, f, dict(g, id=name))
        codes = g.get("members") or []
        members[name] = set()
        for code in codes:
            if not isinstance(code, str):
                c.add(f, name, "members", f"{code!r} is not a country code (quote codes such as 'NO')")
            elif code not in known:
                c.add(f, name, "members", f"{code!r} is not an ISO 3166-1 alpha-2 code")
            else:
                if code in members[name]:
                    c.add(f, name, "members", f"{code} listed twice")
                members[name].add(code)
    if "eu" in members and "eea" in members and not members["eu"] <= members["eea"]:
        c.add(f, "eea", "members", "every EU member state is in the EEA: missing "
              + ", ".join(sorted(members["eu"] - members["eea"])))


def _check_languages(c: _Collector, doc: dict) -> None:
    from lantern.standard.loader import _pycountry_languages

    known = {lang.id for lang in _pycountry_languages()} | {lang.alpha_3 for lang in _pycountry_languages()}
    for n, entry in enumerate(doc.get("offered") or [], start=1):
        code = entry.get("id") if isinstance(entry, dict) else entry
        if not isinstance(code, str) or code not in known:
            c.add("languages.yaml", f"offered #{n}", "id", f"{code!r} is not an ISO 639 code known to pycountry")
        elif isinstance(entry, dict) and not str((entry.get("labels") or {}).get("ro") or "").strip():
            c.add("languages.yaml", code, "labels.ro", "missing Romanian name")


_Q_TYPES = ("text", "integer", "date", "select_one", "select_multiple", "yes_no_unknown", "calculate", "note")


def _cond_fields(cond: Any) -> Iterable[str]:
    if isinstance(cond, dict):
        for key in ("all", "any"):
            for sub in cond.get(key) or []:
                yield from _cond_fields(sub)
        if "field" in cond:
            yield cond["field"]


def _check_questionnaire(c: _Collector, q: dict, code_lists: dict[str, set[str]],
                         flat_head: tuple[str, ...]) -> set[str]:
    f = "questionnaire.yaml"
    if isinstance(q, dict) and "title" in q:
        _labels_ok(c, f, "title", q, key="title")
    sections = _ids_ok(c, f, _list(q, "sections"), "section")
    if not sections:
        c.add(f, None, "sections", "no sections")
    derived = set(code_lists) | {"country", "language"}
    seen: Counter[str] = Counter()
    conds: list[tuple[str, Any]] = []
    gens: set[str] = set()
    for s in sections:
        _labels_ok(c, f, f"section {s['id']}", s)
        if s.get("relevant"):
            conds.append((f"section {s['id']}", s["relevant"]))
        gen = s.get("generate")
        if gen:
            if not isinstance(gen, dict) or gen.get("from") not in ("indicators", "factors"):
                c.add(f, f"section {s['id']}", "generate", "generate.from must be indicators or factors")
            else:
                gens.add(gen["from"])
            for key in ("child_only_relevant", "sexual_only_relevant"):
                if s.get(key):
                    conds.append((f"section {s['id']}", s[key]))
            continue
        for raw in _ids_ok(c, f, _list(s, "questions"), "question", CODE_RE):
            qid = raw["id"]
            seen[qid] += 1
            if seen[qid] == 2:
                c.add(f, qid, "id", "duplicate question id")
            _labels_ok(c, f, qid, raw)
            qtype = raw.get("type", "text")
            if qtype not in _Q_TYPES:
                c.add(f, qid, "type", f"unknown question type {qtype!r}")
            if qtype in ("select_one", "select_multiple", "yes_no_unknown") and (
                raw.get("code_list") not in derived
            ):
                c.add(f, qid, "code_list", f"code list {raw.get('code_list')!r} does not exist")
            if raw.get("hint") is not None:
                _labels_ok(c, f, qid, raw, key="hint")
            if raw.get("relevant"):
                conds.append((qid, raw["relevant"]))
    for where, cond in conds:
        for field in _cond_fields(cond):
            if field not in seen:
                c.add(f, where, "relevant", f"refers to question {field!r}, which does not exist")
    flat = q.get("flat_columns") if isinstance(q, dict) else None
    if not isinstance(flat, list) or not flat:
        c.add(f, None, "flat_columns", "missing the list of flat-format columns")
    else:
        head = [x for x in flat if x not in ("indicators", "factors")]
        if tuple(head) != flat_head:
            c.add(f, None, "flat_columns", "must start with exactly: " + ", ".join(flat_head)
                  + " (docs/architecture.md)")
        for name in head:
            if name not in seen:
                c.add(f, None, "flat_columns", f"{name!r} is not a question")
        for name in ("indicators", "factors"):
            if name not in flat:
                c.add(f, None, "flat_columns", f"must include {name}")
            if name not in gens:
                c.add(f, None, "sections", f"no section generates the {name}")
    return set(seen)


def _check_mappings(c: _Collector, doc: dict, code_lists: dict[str, set[str]], item_ids: set[str],
                    def_ids: set[str], q_ids: set[str], groups: set[str]) -> None:
    f = "mappings.yaml"
    maps = doc.get("mappings") if isinstance(doc, dict) else None
    if not isinstance(maps, dict):
        c.add(f, None, "mappings", "missing the mappings mapping")
        return
    # which code list a question (field) uses
    field_lists = {
        "sex": "sex", "legal_status": "legal_status", "education": "education", "sector": "sector",
        "exploitation_form": "exploitation_form", "facilitator_type": "facilitator_type",
        "family_situation": "family_situation", "mode": "leg_mode",
    }
    for name, m in maps.items():
        if not isinstance(m, dict):
            c.add(f, name, None, "must be a mapping")
            continue
        _common_ok(c, f, dict(m, id=name))
        variables = m.get("variables")
        if not isinstance(variables, dict) or not variables:
            c.add(f, name, "variables", "no variables")
            continue
        for var, spec in variables.items():
            item = f"{name}.{var}"
            if not isinstance(spec, dict) or "field" not in spec:
                c.add(f, item, "field", "each variable needs the field it maps from")
                continue
            field = spec["field"]
            if field not in q_ids and field not in ("indicators", "factors", "definitions"):
                c.add(f, item, "field", f"{field!r} is not a question of the questionnaire")
            for code in (spec.get("codes") or {}):
                if field == "definitions":
                    if code not in def_ids:
                        c.add(f, item, "codes", f"definition {code!r} does not exist")
                elif field in field_lists and code not in code_lists.get(field_lists[field], set()):
                    c.add(f, item, "codes", f"{code!r} is not a code of list {field_lists[field]!r}")
            for ref in (spec.get("items") or {}):
                if ref not in item_ids:
                    c.add(f, item, "items", f"indicator or factor {ref!r} does not exist")
            bands = spec.get("bands")
            if bands is not None:
                last = -1
                for band in bands:
                    ok = (isinstance(band, list) and len(band) == 3 and isinstance(band[0], int)
                          and (band[1] is None or (isinstance(band[1], int) and band[1] >= band[0])))
                    if not ok or band[0] <= last:
                        c.add(f, item, "bands", f"bad or overlapping band {band!r}")
                        continue
                    last = band[1] if band[1] is not None else 10**9
            for step in spec.get("rule") or []:
                if isinstance(step, dict) and step.get("when") == "member_of" and step.get("group") not in groups:
                    c.add(f, item, "rule", f"country group {step.get('group')!r} does not exist")


def _check_refs(c: _Collector, file: str, node: Any, known: dict[str, set[str]], path: list[str]) -> None:
    """Walk a raw document; ids listed under factors / dimensions / indicators must exist."""
    if isinstance(node, dict):
        where = node.get("id") if isinstance(node.get("id"), str) else "/".join(path) or None
        for key, value in node.items():
            if key in known:
                ids = value if isinstance(value, list) else list(value) if isinstance(value, dict) else []
                for ref in ids:
                    if isinstance(ref, str) and ref not in known[key]:
                        c.add(file, where, key, f"{key[:-1]} {ref!r} does not exist in the standard")
            elif key == "factor_overrides" and isinstance(value, dict):
                for ref in value:
                    if ref not in known["factors"]:
                        c.add(file, where, key, f"factor {ref!r} does not exist in the standard")
            else:
                _check_refs(c, file, value, known, [*path, str(key)])
    elif isinstance(node, list):
        for n, value in enumerate(node):
            _check_refs(c, file, value, known, [*path, str(n)])


def check(path: str | Path | None = None, *, version: str | None = None) -> None:
    """Raise :class:`~lantern.errors.ValidationError` listing every problem, if there is any."""
    problems = validate(path, version=version)
    if problems:
        raise ValidationError(problems)
