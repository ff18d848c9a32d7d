"""Read a version folder of the standard into a :class:`Standard`.

The folder ``data/v<major>/`` holds YAML files: ``standard.yaml`` (version and metadata),
``indicators.yaml``, ``factors.yaml``, ``definitions.yaml``, ``code_lists.yaml``,
``countries.yaml`` (EU / EEA / Schengen membership), ``languages.yaml``, ``mappings.yaml``,
``questionnaire.yaml``. Any other YAML file (e.g. the screening module's ``interventions.yaml`` and
``scoring.yaml``) is kept as a raw dict in :attr:`Standard.documents`.

Countries and languages come from pycountry (ISO 3166-1, ISO 639-3) at load time; only the
membership flags are stored in the standard.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

from lantern.errors import Problem, ValidationError
from lantern.standard.model import (
    Code,
    CodeList,
    Country,
    Definition,
    Dimension,
    Factor,
    ForcedLabourIndicator,
    Indicator,
    ItemSet,
    Language,
)

DATA_DIR = Path(__file__).parent / "data"
CURRENT_VERSION = "1.0"

# libyaml's C loader when available (about 10x faster); same safe semantics
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

KNOWN_FILES = (
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


def available_versions() -> list[str]:
    """Versions shipped with the package (read from each folder's ``standard.yaml``)."""
    versions = []
    for folder in sorted(DATA_DIR.glob("v*")):
        meta = folder / "standard.yaml"
        if meta.is_file():
            with meta.open(encoding="utf-8") as fh:
                versions.append(str((yaml.load(fh, Loader=_Loader) or {}).get("version", "")))  # noqa: S506
    return versions


def version_dir(version: str | None = None) -> Path:
    """The folder holding ``version`` (``"1.0"`` -> ``data/v1``)."""
    version = version or CURRENT_VERSION
    major = str(version).split(".")[0]
    folder = DATA_DIR / f"v{major}"
    if not folder.is_dir():
        raise ValidationError(
            f"unknown standard version {version!r}; available: {', '.join(available_versions())}",
            field="standard_version",
        )
    return folder


def read_yaml_files(folder: Path) -> dict[str, Any]:
    """Parse every ``*.yaml`` file in ``folder``; a syntax error names the file and line."""
    docs: dict[str, Any] = {}
    problems = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            with path.open(encoding="utf-8") as fh:
                docs[path.stem] = yaml.load(fh, Loader=_Loader) or {}  # noqa: S506 (safe loader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark else ""
            problems.append(Problem(reason=f"not valid YAML{where}: {exc}", record=path.name))
    if problems:
        raise ValidationError(problems)
    return docs


def _labels(raw: dict[str, Any]) -> dict[str, str]:
    labels = raw.get("labels")
    if isinstance(labels, dict):
        return {str(k): str(v) for k, v in labels.items() if v is not None}
    # tolerated short form: {en: ..., ro: ...} at item level
    return {k: str(raw[k]) for k in ("en", "ro") if raw.get(k) is not None}


def _common(raw: dict[str, Any], *, default_source: str = "", default_verified: bool = False) -> dict:
    return {
        "id": str(raw["id"]),
        "labels": _labels(raw),
        "description": str(raw.get("description") or ""),
        "source": str(raw.get("source") or default_source),
        "verified": bool(raw.get("verified", default_verified)),
        "retired": bool(raw.get("retired", False)),
    }


def _text(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _build_dimensions(doc: dict) -> ItemSet[Dimension]:
    out = []
    for order, raw in enumerate(doc.get("dimensions") or [], start=1):
        out.append(Dimension(**_common(raw, default_source=doc.get("source", "")),
                             role=str(raw.get("role", "")), order=int(raw.get("order", order))))
    return ItemSet(out, name="dimensions")


def _build_indicators(doc: dict) -> ItemSet[Indicator]:
    out = []
    for raw in doc.get("indicators") or []:
        grades = raw.get("grades")
        if not isinstance(grades, dict):
            grades = {"adult_labour": raw["grade"]} if raw.get("grade") else {}
        grades_verified = raw.get("grades_verified") or {}
        out.append(
            Indicator(
                **_common(raw, default_source=doc.get("source", "")),
                dimension=str(raw.get("dimension") or str(raw["id"]).split(".", 1)[0]),
                grades={str(k): str(v) for k, v in grades.items() if v},
                question=_text(raw.get("question")),
                grades_verified={str(k): bool(v) for k, v in grades_verified.items()},
            )
        )
    return ItemSet(out, name="indicators")


def _build_factors(doc: dict) -> ItemSet[Factor]:
    out = []
    for raw in doc.get("factors") or []:
        out.append(
            Factor(
                **_common(raw, default_source=doc.get("source", "")),
                level=str(raw.get("level") or str(raw["id"]).split(".", 1)[0]),
                kind=str(raw.get("kind", "")),
                question=_text(raw.get("question")),
            )
        )
    return ItemSet(out, name="factors")


def _build_forced_labour(doc: dict) -> ItemSet[ForcedLabourIndicator]:
    block = doc.get("forced_labour_2012") or {}
    source, verified = str(block.get("source") or ""), bool(block.get("verified", False))
    out = [
        ForcedLabourIndicator(**_common(raw, default_source=source, default_verified=verified),
                              ilo_ec=tuple(str(x) for x in raw.get("ilo_ec") or ()))
        for raw in block.get("items") or []
    ]
    return ItemSet(out, name="forced_labour_indicators")


_CODE_KEYS = {"id", "labels", "en", "ro", "description", "source", "verified", "retired"}


def _build_code_lists(doc: dict) -> dict[str, CodeList]:
    lists: dict[str, CodeList] = {}
    for name, raw in (doc.get("code_lists") or {}).items():
        source = str(raw.get("source") or "")
        verified = bool(raw.get("verified", False))
        items = [
            Code(
                **_common(item, default_source=source, default_verified=verified),
                extra={k: v for k, v in item.items() if k not in _CODE_KEYS},
            )
            for item in raw.get("items") or []
        ]
        lists[str(name)] = CodeList(
            name=str(name),
            items=ItemSet(items, name=f"code list {name}"),
            labels=_labels(raw),
            description=str(raw.get("description") or ""),
            source=source,
            verified=verified,
        )
    return lists


def _build_definitions(doc: dict) -> ItemSet[Definition]:
    out = [
        Definition(**_common(raw, default_source=doc.get("source", "")), rule=dict(raw.get("rule") or {}))
        for raw in doc.get("definitions") or []
    ]
    return ItemSet(out, name="definitions")


def _membership(doc: dict) -> dict[str, set[str]]:
    groups = doc.get("groups") or {}
    return {name: {str(c) for c in (g.get("members") or [])} for name, g in groups.items()}


def _translator(domain: str, lang: str):
    """pycountry's gettext translation of ``domain`` into ``lang`` (identity if absent)."""
    import gettext

    import pycountry

    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[lang], fallback=True).gettext


@functools.lru_cache(maxsize=1)
def _pycountry_countries() -> tuple[tuple[str, str, str, str, str, str], ...]:
    import pycountry

    ro = _translator("iso3166-1", "ro")
    return tuple(
        (c.alpha_2, c.alpha_3, c.numeric, c.name, getattr(c, "official_name", "") or "", ro(c.name))
        for c in pycountry.countries
    )


def _build_countries(doc: dict) -> ItemSet[Country]:
    members = _membership(doc)
    eu, eea, schengen = members.get("eu", set()), members.get("eea", set()), members.get("schengen", set())
    countries = [
        Country(id=a2, alpha_3=a3, numeric=num, name=name, official_name=official,
                eu=a2 in eu, eea=a2 in eea, schengen=a2 in schengen, name_ro=name_ro)
        for a2, a3, num, name, official, name_ro in _pycountry_countries()
    ]
    return ItemSet(countries, name="countries", aliases={c.alpha_3: c for c in countries})


@functools.lru_cache(maxsize=1)
def _pycountry_languages() -> tuple[Language, ...]:
    import pycountry

    ro = _translator("iso639-3", "ro")
    out = []
    for lang in pycountry.languages:
        a2 = getattr(lang, "alpha_2", None)
        scope, kind = getattr(lang, "scope", "I"), getattr(lang, "type", "L")
        # Living individual languages, macrolanguages, and every language with an ISO 639-1 code.
        if a2 or kind == "L":
            out.append(Language(id=a2 or lang.alpha_3, alpha_3=lang.alpha_3, name=lang.name,
                                alpha_2=a2, scope=scope, type=kind, name_ro=ro(lang.name)))
    return tuple(out)


def _build_languages() -> ItemSet[Language]:
    langs = _pycountry_languages()
    return ItemSet(langs, name="languages", aliases={lang.alpha_3: lang for lang in langs})


def build_standard(folder: Path, docs: dict[str, Any] | None = None):  # -> Standard
    """Build a :class:`~lantern.standard.Standard` from the YAML in ``folder`` (no validation)."""
    from lantern.standard.core import Standard

    docs = read_yaml_files(folder) if docs is None else docs
    meta = docs.get("standard") or {}
    ind_doc = docs.get("indicators") or {}
    return Standard(
        version=str(meta.get("version", "")),
        meta=meta,
        path=folder,
        dimensions=_build_dimensions(ind_doc),
        indicators=_build_indicators(ind_doc),
        factors=_build_factors(docs.get("factors") or {}),
        definitions=_build_definitions(docs.get("definitions") or {}),
        forced_labour_indicators=_build_forced_labour(ind_doc),
        code_lists=_build_code_lists(docs.get("code_lists") or {}),
        countries=_build_countries(docs.get("countries") or {}),
        languages=_build_languages(),
        mappings=dict((docs.get("mappings") or {}).get("mappings") or {}),
        questionnaire=dict(docs.get("questionnaire") or {}),
        documents=docs,
    )
