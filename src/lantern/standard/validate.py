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
from lantern.standard.loader import KNOWN_FILES
from lantern.standard.model import GRADES, INDICATOR_LISTS, LABEL_LANGUAGES

# the files every version must have are the ones the loader knows
REQUIRED_FILES = KNOWN_FILES
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
    _label_keys_ok(c, file, item, labels, key)


def _label_keys_ok(c: _Collector, file: str, item: str, labels: dict, key: str) -> None:
    """A key that is not a language is almost always text cut at an unquoted comma in a flow mapping."""
    for extra in set(labels) - set(LABEL_LANGUAGES):
        c.add(file, item, f"{key}.{extra}",
              f"'{extra}' is not a label language ({', '.join(LABEL_LANGUAGES)}); "
              "quote text that contains a comma in a {en: ..., ro: ...} mapping")


def _check_label_keys(c: _Collector, file: str, node: Any, path: list[str]) -> None:
    """Walk a document and check every ``labels`` mapping's keys (other documents have no fixed schema)."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "labels" and isinstance(v, dict):
                item = str(node.get("id") or "/".join(path) or file)
                _label_keys_ok(c, file, item, v, "labels")
            else:
                _check_label_keys(c, file, v, [*path, str(k)])
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _check_label_keys(c, file, v, [*path, str(i)])


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

    guard = _Guard(c)

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
    if "title" in meta:
        _labels_ok(c, "standard.yaml", "title", meta, key="title")
    langs = meta.get("label_languages")
    if not isinstance(langs, list) or not set(LABEL_LANGUAGES) <= set(map(str, langs)):
        c.add("standard.yaml", None, "label_languages", f"must list {', '.join(LABEL_LANGUAGES)}")

    code_lists: dict[str, set[str]] = guard("code_lists.yaml", lambda: _check_code_lists(c, docs), {})

    def code_ok(file: str, item: str, field: str, list_name: str, value: Any) -> None:
        if list_name not in code_lists:
            c.add(file, item, field, f"code list {list_name!r} does not exist")
        elif not isinstance(value, str) or value not in code_lists[list_name]:
            c.add(file, item, field, f"{value!r} is not a code of list {list_name!r}")

    dim_ids, ind_ids = guard("indicators.yaml", lambda: _check_indicators(c, docs, code_ok), (set(), set()))
    fac_ids = guard("factors.yaml", lambda: _check_factors(c, docs, code_ok), set())
    groups_doc = (docs.get("countries") or {}).get("groups")
    groups = groups_doc if isinstance(groups_doc, dict) else {}
    if groups_doc is not None and not isinstance(groups_doc, dict):
        c.add("countries.yaml", None, "groups", "must be a mapping of group name to group")
    def_ids = guard("definitions.yaml",
                    lambda: _check_definitions(c, docs, dim_ids=dim_ids, code_ok=code_ok, groups=set(groups)),
                    set())
    guard("countries.yaml", lambda: _check_countries(c, groups), None)
    guard("languages.yaml", lambda: _check_languages(c, docs.get("languages") or {}), None)

    # -- flat-format namespace: indicator and factor ids are column names --------------------------
    from lantern.standard.core import FLAT_HEAD

    for clash in (ind_ids & fac_ids) | ((ind_ids | fac_ids) & set(FLAT_HEAD)):
        c.add("indicators.yaml", clash, "id", "id used twice across indicators, factors and columns")

    q_ids = guard("questionnaire.yaml",
                  lambda: _check_questionnaire(c, docs.get("questionnaire") or {}, code_lists, FLAT_HEAD), set())
    guard("mappings.yaml",
          lambda: _check_mappings(c, docs.get("mappings") or {}, code_lists, ind_ids | fac_ids, def_ids, q_ids,
                                  set(groups)), None)

    # -- other documents (interventions, scoring, ...) -----------------------------------------
    known = {"factors": fac_ids, "dimensions": dim_ids, "indicators": ind_ids}
    for name, doc in docs.items():
        if name not in REQUIRED_FILES:
            guard(f"{name}.yaml", lambda doc=doc, name=name: _check_refs(c, f"{name}.yaml", doc, known, path=[]),
                  None)
            guard(f"{name}.yaml", lambda doc=doc, name=name: _check_label_keys(c, f"{name}.yaml", doc, []), None)
    return c.problems


def _as_list(c: _Collector, file: str, item: str, field: str, value: Any) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        c.add(file, item, field, "must be a list")
        return []
    return value


def _as_dict(c: _Collector, file: str, item: str, field: str, value: Any) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        c.add(file, item, field, "must be a mapping")
        return {}
    return value


class _Guard:
    """Run one check; if the YAML is so malformed that the check itself fails, report that instead."""

    def __init__(self, c: _Collector) -> None:
        self.c = c

    def __call__(self, file: str, check: Any, default: Any) -> Any:
        try:
            return check()
        except (AttributeError, TypeError, KeyError, ValueError, IndexError) as exc:
            self.c.add(file, None, None, f"malformed structure; could not check it fully ({type(exc).__name__}: "
                       f"{exc}); compare its layout with the packaged file")
            return default


def _check_code_lists(c: _Collector, docs: dict) -> dict[str, set[str]]:
    code_lists: dict[str, set[str]] = {}
    cl_doc = (docs.get("code_lists") or {}).get("code_lists")
    if not isinstance(cl_doc, dict):
        c.add("code_lists.yaml", None, "code_lists", "missing the code_lists mapping")
        return code_lists
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
        code_lists[str(name)] = {str(x["id"]) for x in items}
    return code_lists


def _check_indicators(c: _Collector, docs: dict, code_ok: Any) -> tuple[set[str], set[str]]:
    f = "indicators.yaml"
    ind_doc = docs.get("indicators") or {}
    dims = _ids_ok(c, f, _list(ind_doc, "dimensions"), "dimension")
    dim_ids = {d["id"] for d in dims}
    if not dims:
        c.add(f, None, "dimensions", "no dimensions")
    for d in dims:
        _common_ok(c, f, d, inherit_source=bool(ind_doc.get("source")))
        code_ok(f, d["id"], "role", "dimension_role", d.get("role"))
    inds = _ids_ok(c, f, _list(ind_doc, "indicators"), "indicator")
    ind_ids = {i["id"] for i in inds}
    if not inds:
        c.add(f, None, "indicators", "no indicators")
    for i in inds:
        iid = i["id"]
        _common_ok(c, f, i, inherit_source=bool(ind_doc.get("source")))
        _labels_ok(c, f, iid, i, key="question")
        dim = i.get("dimension") or iid.split(".")[0]
        if not isinstance(dim, str) or dim not in dim_ids:
            c.add(f, iid, "dimension", f"dimension {dim!r} does not exist")
        elif not iid.startswith(dim + "."):
            c.add(f, iid, "id", f"id must start with its dimension '{dim}.'")
        gv = i.get("grades_verified")
        if gv is not None and (not isinstance(gv, dict)
                               or any(k not in INDICATOR_LISTS or not isinstance(v, bool) for k, v in gv.items())):
            c.add(f, iid, "grades_verified", "must map list names to true or false")
        grades = i.get("grades")
        if not isinstance(grades, dict) or not grades:
            c.add(f, iid, "grades", "needs a grade in at least one list")
            continue
        for lst, grade in grades.items():
            if lst not in INDICATOR_LISTS:
                c.add(f, iid, f"grades.{lst}", f"unknown list (one of {', '.join(INDICATOR_LISTS)})")
            if not isinstance(grade, str) or grade not in GRADES:
                c.add(f, iid, f"grades.{lst}", f"grade {grade!r} is not strong, medium or weak")
    fl = ind_doc.get("forced_labour_2012") or {}
    if fl:
        if not isinstance(fl, dict):
            c.add(f, "forced_labour_2012", None, "must be a mapping with labels and items")
            return dim_ids, ind_ids
        _labels_ok(c, f, "forced_labour_2012", fl)
        for raw in _ids_ok(c, f, _list(fl, "items"), "forced-labour indicator"):
            _common_ok(c, f, raw, inherit_source=bool(fl.get("source")), inherit_verified="verified" in fl)
            refs = raw.get("ilo_ec") or []
            if not isinstance(refs, list):
                c.add(f, raw["id"], "ilo_ec", "must be a list of indicator ids")
                continue
            for ref in refs:
                if not isinstance(ref, str) or ref not in ind_ids:
                    c.add(f, raw["id"], "ilo_ec", f"indicator {ref!r} does not exist")
    return dim_ids, ind_ids


def _check_factors(c: _Collector, docs: dict, code_ok: Any) -> set[str]:
    f = "factors.yaml"
    fac_doc = docs.get("factors") or {}
    facs = _ids_ok(c, f, _list(fac_doc, "factors"), "factor")
    if not facs:
        c.add(f, None, "factors", "no factors")
    for fac in facs:
        fid = fac["id"]
        _common_ok(c, f, fac, inherit_source=bool(fac_doc.get("source")))
        _labels_ok(c, f, fid, fac, key="question")
        level = fac.get("level") or fid.split(".")[0]
        code_ok(f, fid, "level", "factor_level", level)
        if isinstance(level, str) and not fid.startswith(f"{level}."):
            c.add(f, fid, "id", f"id must start with its level '{level}.'")
        code_ok(f, fid, "kind", "factor_kind", fac.get("kind"))
    return {fac["id"] for fac in facs}


def _check_definitions(c: _Collector, docs: dict, *, dim_ids: set[str], code_ok: Any,
                       groups: set[str]) -> set[str]:
    f = "definitions.yaml"
    defs = _ids_ok(c, f, _list(docs.get("definitions") or {}, "definitions"), "definition")
    def_ids = {d["id"] for d in defs}
    for d in defs:
        _common_ok(c, f, d)
    for needed in ("tcn", "vulnerable_tcn", "presumed_victim", "identified_victim"):
        if needed not in def_ids:
            c.add(f, needed, None, "required operational definition is missing")
    _check_rules(c, defs, dim_ids=dim_ids, code_ok=code_ok, def_ids=def_ids, groups=groups)
    return def_ids


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
            for form in _as_list(c, f, did, "rule.sexual_forms", rule.get("sexual_forms")):
                code_ok(f, did, "rule.sexual_forms", "exploitation_form", form)
            for element, dims in _as_dict(c, f, did, "rule.elements", rule.get("elements")).items():
                for dim in _as_list(c, f, did, f"rule.elements.{element}", dims):
                    if dim not in dim_ids:
                        c.add(f, did, f"rule.elements.{element}", f"dimension {dim!r} does not exist")
            for who, by_purpose in _as_dict(c, f, did, "rule.lists", rule.get("lists")).items():
                for lst in _as_dict(c, f, did, f"rule.lists.{who}", by_purpose).values():
                    if lst not in INDICATOR_LISTS:
                        c.add(f, did, f"rule.lists.{who}", f"unknown list {lst!r}")
        elif did == "vulnerable_tcn":
            n = rule.get("min_net_risk_factors")
            if n is not None and (not isinstance(n, int) or n < 1):
                c.add(f, did, "rule.min_net_risk_factors", "must be a positive integer")
            for flag in ("presumed_victim", "any_dimension"):
                if flag in rule and not isinstance(rule[flag], bool):
                    c.add(f, did, f"rule.{flag}", "must be true or false")
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
            for agency in _as_list(c, f, did, "rule.requires_decision_by", rule.get("requires_decision_by")):
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
        elif isinstance(entry, dict) and not str(_as_dict(c, "languages.yaml", code, "labels", entry.get("labels"))
                                                 .get("ro") or "").strip():
            c.add("languages.yaml", code, "labels.ro", "missing Romanian name")


_CALCULATIONS = ("uuid", "standard_version", "intra_eu")
_CONSTRAINTS = ("not_future", "not_future_year")
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
            if "required" in raw and not isinstance(raw["required"], bool):
                c.add(f, qid, "required", "must be true or false")
            if qtype == "calculate" and raw.get("calculation") not in _CALCULATIONS:
                c.add(f, qid, "calculation", f"calculate needs one of {', '.join(_CALCULATIONS)}")
            constraint = raw.get("constraint")
            if constraint is not None and constraint not in _CONSTRAINTS and not (
                isinstance(constraint, dict) and set(constraint) == {"after_or_equal"}
                and constraint["after_or_equal"] in {str(x.get("id")) for x in _list(s, "questions")
                                                     if isinstance(x, dict)}
            ):
                c.add(f, qid, "constraint", "unknown constraint (not_future, not_future_year or "
                      "{after_or_equal: <question of the same section>})")
            for bound in ("min", "max"):
                if bound in raw and not isinstance(raw[bound], int):
                    c.add(f, qid, bound, "must be an integer")
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
        if tuple(head[: len(flat_head)]) != flat_head:
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
                          and (band[1] is None or (isinstance(band[1], int) and band[1] >= band[0]))
                          and isinstance(band[2], str) and band[2] != "")
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
