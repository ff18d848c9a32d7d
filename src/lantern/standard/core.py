"""The :class:`Standard` object and :func:`load_standard`."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lantern.errors import Problem, ValidationError
from lantern.standard.model import (
    Code,
    CodeList,
    Column,
    Country,
    Definition,
    Dimension,
    Factor,
    ForcedLabourIndicator,
    Indicator,
    ItemSet,
    Language,
)
from lantern.standard.questionnaire import Section

# The head of the flat assessment format fixed by docs/architecture.md (a contract with the other
# modules); `validate` checks that the questionnaire's `flat_columns` start with exactly these.
FLAT_HEAD: tuple[str, ...] = (
    "assessment_id", "subject_ref", "standard_version", "agency", "interview_date", "sex", "age",
    "citizenship", "country_of_interview", "region", "legal_status", "education", "sector",
    "exploitation_form",
)


@dataclass(frozen=True, eq=False)
class Standard:
    """One version of the Lantern data standard, loaded from YAML.

    Obtain it with :func:`load_standard`; every attribute is read-only.

    Attributes
    ----------
    version : str
        e.g. ``"1.0"``.
    dimensions, indicators : ItemSet
        The six ILO–EC dimensions and their operational indicators.
    factors : ItemSet
        IOM determinants-of-migrant-vulnerability factors.
    forced_labour_indicators : ItemSet
        The eleven ILO indicators of forced labour (2012), each with ``ilo_ec``: the ILO–EC
        indicator ids that evidence it.
    definitions : ItemSet
        Operational definitions (``tcn``, ``vulnerable_tcn``, ``presumed_victim``, ``identified_victim``)
        with machine-readable ``rule`` dicts.
    code_lists : dict
        Every code list by name; see :meth:`code_list`.
    countries, languages : ItemSet
        ISO 3166-1 countries (with ``eu``/``eea``/``schengen`` flags) and ISO 639 languages,
        built from pycountry at load time.
    mappings : dict
        Mappings to outside classifications (``ctdc``, ``eurostat``); see :meth:`mapping`.
    questionnaire : dict
        The intake questionnaire (sections, questions, journey repeat group).
    documents : dict
        Every YAML file of the version folder, raw, by file stem (e.g. ``documents["scoring"]``).
    """

    version: str
    meta: dict[str, Any]
    path: Path
    dimensions: ItemSet[Dimension]
    indicators: ItemSet[Indicator]
    factors: ItemSet[Factor]
    definitions: ItemSet[Definition]
    forced_labour_indicators: ItemSet[ForcedLabourIndicator]
    code_lists: dict[str, CodeList]
    countries: ItemSet[Country]
    languages: ItemSet[Language]
    mappings: dict[str, Any]
    questionnaire: dict[str, Any]
    documents: dict[str, Any] = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"<Standard {self.version}: {len(self.dimensions)} dimensions, {len(self.indicators)} "
            f"indicators, {len(self.factors)} factors, {len(self.code_lists)} code lists>"
        )

    # -- lookups -------------------------------------------------------------------------------
    def code_list(self, name: str) -> CodeList:
        """The code list ``name``.

        ``country`` and ``language`` are also available as code lists, built from
        :attr:`countries` and from the questionnaire's offered languages.

        Raises
        ------
        ValidationError
            When there is no such list.
        """
        if name in self.code_lists:
            return self.code_lists[name]
        if name == "country":
            return self._country_list()
        if name == "language":
            return self._language_list()
        raise ValidationError(
            f"no code list {name!r}; available: {', '.join(self.code_list_names())}", field="code_list"
        )

    def code_list_names(self) -> list[str]:
        """Names of every code list, including the derived ``country`` and ``language`` lists."""
        return [*self.code_lists, "country", "language"]

    @functools.cached_property
    def _country_code_list(self) -> CodeList:
        items = [
            Code(id=c.id, labels={"en": c.name, "ro": c.label("ro")}, source="ISO 3166-1 via pycountry",
                 verified=True, extra={"alpha_3": c.alpha_3, "eu": c.eu})
            for c in self.countries
        ]
        return CodeList(name="country", items=ItemSet(items, name="code list country"),
                        labels={"en": "Country", "ro": "Țară"},
                        description="ISO 3166-1 alpha-2 country codes.",
                        source="ISO 3166-1 via pycountry", verified=True)

    def _country_list(self) -> CodeList:
        return self._country_code_list

    @functools.cached_property
    def _language_code_list(self) -> CodeList:
        doc = self.documents.get("languages") or {}
        offered = doc.get("offered") or []
        items = []
        for entry in offered:
            code = entry["id"] if isinstance(entry, dict) else str(entry)
            lang = self.languages.get(code)
            if lang is None:
                continue  # reported by validate
            labels = {"en": lang.name, "ro": lang.label("ro")}
            if isinstance(entry, dict):
                labels.update({k: str(v) for k, v in (entry.get("labels") or {}).items()})
            items.append(Code(id=lang.id, labels=labels, source="ISO 639 via pycountry", verified=True,
                              extra={"alpha_3": lang.alpha_3}))
        return CodeList(name="language", items=ItemSet(items, name="code list language"),
                        labels={"en": "Language", "ro": "Limbă"},
                        description=str(doc.get("description") or "Languages offered in forms (ISO 639)."),
                        source=str(doc.get("source") or "ISO 639 via pycountry"), verified=True)

    def _language_list(self) -> CodeList:
        return self._language_code_list

    def indicator(self, indicator_id: str) -> Indicator:
        """The indicator with this id (``KeyError`` if none)."""
        return self.indicators[indicator_id]

    def factor(self, factor_id: str) -> Factor:
        """The factor with this id (``KeyError`` if none)."""
        return self.factors[factor_id]

    def dimension(self, dimension_id: str) -> Dimension:
        """The dimension with this id (``KeyError`` if none)."""
        return self.dimensions[dimension_id]

    def definition(self, definition_id: str) -> Definition:
        """The operational definition with this id (``KeyError`` if none)."""
        return self.definitions[definition_id]

    def country(self, code: str) -> Country:
        """The country with ISO 3166-1 alpha-2 or alpha-3 ``code`` (``KeyError`` if none)."""
        return self.countries[code.upper()]

    def indicators_for(self, list_name: str) -> list[Indicator]:
        """Indicators in one ILO–EC list (e.g. ``child_sexual``), in order."""
        return [i for i in self.indicators if list_name in i.grades and not i.retired]

    def indicators_in(self, dimension_id: str) -> list[Indicator]:
        """Indicators of one dimension, in order."""
        return [i for i in self.indicators if i.dimension == dimension_id]

    def mapping(self, name: str) -> dict[str, Any]:
        """The mapping to an outside classification: ``"ctdc"`` or ``"eurostat"``.

        A dict with ``labels``, ``source``, ``verified`` and ``variables``: each variable maps
        from one of our fields to theirs through ``codes`` (our code -> their value or flag
        variable), ``items`` (our indicator id -> their flag variable(s)), ``bands`` (``[min,
        max, value]`` on an integer field) or ``rule``; see ``docs/standard.md``.

        Raises
        ------
        ValidationError
            When there is no such mapping.
        """
        if name not in self.mappings:
            raise ValidationError(f"no mapping {name!r}; available: {', '.join(self.mapping_names())}",
                                  field="mapping")
        return self.mappings[name]

    def mapping_names(self) -> list[str]:
        """Names of the mappings to outside classifications."""
        return list(self.mappings)

    def item(self, item_id: str) -> Any:
        """Any item by id: indicator, factor, dimension, definition, code list, ``list.code``, country.

        Raises
        ------
        ValidationError
            When nothing has this id.
        """
        for coll in (self.indicators, self.factors, self.dimensions, self.definitions,
                     self.forced_labour_indicators):
            if item_id in coll:
                return coll[item_id]
        if item_id in self.code_lists:
            return self.code_lists[item_id]
        if "." in item_id:
            list_name, code = item_id.split(".", 1)
            if list_name in self.code_lists and code in self.code_lists[list_name]:
                return self.code_lists[list_name][code]
        if item_id.upper() in self.countries:
            return self.countries[item_id.upper()]
        if item_id in self.languages:
            return self.languages[item_id]
        raise ValidationError(f"nothing in standard {self.version} has the id {item_id!r}", field="id")

    # -- questionnaire and flat assessment format ----------------------------------------------
    def form(self) -> tuple[Section, ...]:
        """The intake questionnaire resolved into sections and questions (cached)."""
        return self._form

    @functools.cached_property
    def _form(self) -> tuple[Section, ...]:
        from lantern.standard.questionnaire import build_form

        return build_form(self)

    def assessment_columns(self, *, include_retired: bool = False) -> list[Column]:
        """The flat assessment format: one row per interview (see ``docs/architecture.md``).

        Derived from the questionnaire's ``flat_columns``: the fixed head (``assessment_id`` …
        ``exploitation_form``), then one ``flag`` column per indicator (by dimension) and one per
        factor; flags are 1 / 0 / null where null means *unknown*, never *no*. Each
        :class:`Column` is a ``str`` (its name) and carries ``dtype`` (str, int, date, flag),
        ``kind`` (core, indicator, factor), ``code_list`` (``country`` = ISO 3166-1 alpha-2),
        ``required`` and ``description``.
        """
        if not include_retired:
            return list(self._flat_columns)
        from lantern.standard.questionnaire import flat_columns

        return flat_columns(self, include_retired=True)

    @functools.cached_property
    def _flat_columns(self) -> tuple[Column, ...]:
        from lantern.standard.questionnaire import flat_columns

        return tuple(flat_columns(self))

    def journey_columns(self) -> list[Column]:
        """Columns of a journey-leg table: ``assessment_id``, ``leg_no`` and the repeat's questions."""
        cols = [
            Column("assessment_id", dtype="str", kind="core", required=True,
                   description="The assessment the leg belongs to."),
            Column("leg_no", dtype="int", kind="core", required=True, description="1, 2, … in travel order."),
        ]
        for section in self.form():
            if section.repeat:
                for q in section.questions:
                    dtype = "flag" if q.id == "intra_eu" else (q.dtype or "str")
                    cols.append(Column(q.id, dtype=dtype, kind="journey", code_list=q.code_list,
                                       required=q.required, description=q.label("en")))
        return cols


def _build_or_explain(folder: Path) -> Standard:
    """Build the standard; if the YAML is too broken to build, raise every problem validate finds."""
    from lantern.standard.loader import build_standard

    try:
        return build_standard(folder)
    except ValidationError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        from lantern.standard.validate import validate

        problems = validate(folder) or [
            Problem(reason=f"cannot be loaded: {type(exc).__name__}: {exc}", record=str(folder))
        ]
        raise ValidationError(problems) from exc


@functools.lru_cache(maxsize=8)
def _load_cached(version: str) -> Standard:
    from lantern.standard.loader import version_dir

    folder = version_dir(version)
    std = _build_or_explain(folder)
    if std.version != version:
        raise ValidationError(
            f"folder {folder.name} states version {std.version!r}, expected {version!r}",
            record=f"{folder.name}/standard.yaml", field="version",
        )
    return std


def load_standard(version: str | None = None, *, path: str | Path | None = None) -> Standard:
    """Load the data standard (cached per version).

    Parameters
    ----------
    version : str, optional
        e.g. ``"1.0"``; the current version when omitted.
    path : path, optional
        A folder of YAML files to load instead of the packaged one (not cached), e.g. a draft
        being edited; run :func:`lantern.standard.validate` on it before use.

    Returns
    -------
    Standard

    Raises
    ------
    ValidationError
        Unknown version, unreadable YAML.
    """
    from lantern.standard.loader import CURRENT_VERSION

    if path is not None:
        folder = Path(path)
        if not folder.is_dir():
            raise ValidationError("not a folder", record=str(folder), field="path")
        return _build_or_explain(folder)
    version = str(version or CURRENT_VERSION)
    if version.count(".") == 0:
        version = f"{version}.0"
    return _load_cached(version)


__all__ = ["Standard", "load_standard", "Problem"]
