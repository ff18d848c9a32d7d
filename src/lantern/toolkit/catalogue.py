"""The interventions catalogue: typed, validated against the data standard.

The catalogue lives in the standard (``interventions.yaml``, read as ``std.documents["interventions"]``):
each intervention names the IOM factors and ILO–EC dimensions it addresses, the risk levels it suits,
its urgency, the agency types that provide it (code list ``agency_type``) and its legal basis, with a
``verified`` flag on every legal reference. :func:`load_catalogue` refuses a catalogue that names a
factor, dimension, level or agency type the standard does not have.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lantern.errors import LanternError, Problem

LEVELS: tuple[str, ...] = ("low", "medium", "high", "urgent")
URGENCIES: tuple[str, ...] = ("routine", "priority", "immediate")
LANGS: tuple[str, ...] = ("en", "ro")


def _text(value: Any, lang: str) -> str:
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("en") or "")
    return "" if value is None else str(value)


@dataclass(frozen=True)
class LegalBasis:
    """A legal reference; ``verified`` is False when the article was not checked against the text."""

    ref: str
    verified: bool = False


@dataclass(frozen=True)
class Intervention:
    """One intervention of the toolkit."""

    id: str
    strand: str
    labels: dict[str, str]
    description: dict[str, str]
    factors: tuple[str, ...]
    dimensions: tuple[str, ...]
    levels: tuple[str, ...]
    urgency: str
    providers: tuple[str, ...]
    legal_basis: tuple[LegalBasis, ...] = ()

    def label(self, lang: str = "en") -> str:
        return _text(self.labels, lang)

    def describe(self, lang: str = "en") -> str:
        return _text(self.description, lang)


@dataclass(frozen=True)
class VulnerabilityType:
    """A type of vulnerability the toolkit is organised by: a group of factors and dimensions."""

    id: str
    labels: dict[str, str]
    factors: tuple[str, ...]
    dimensions: tuple[str, ...]

    def label(self, lang: str = "en") -> str:
        return _text(self.labels, lang)


@dataclass(frozen=True)
class Catalogue:
    """The validated catalogue of one standard version, with the labels needed to show it."""

    version: str
    interventions: tuple[Intervention, ...]
    types: tuple[VulnerabilityType, ...]
    strands: dict[str, dict[str, str]]
    urgency_labels: dict[str, dict[str, str]]
    factor_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    factor_kinds: dict[str, str] = field(default_factory=dict)
    dimension_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    agency_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    #: risk-level labels of the standard's scoring (``scoring.yaml`` ``levels``): level -> {lang: text}
    level_labels: dict[str, dict[str, str]] = field(default_factory=dict)

    def level_label(self, level: str, lang: str) -> str:
        """The scoring's label of ``level`` in ``lang``, capitalised as a heading (the id if unlabelled)."""
        text = (self.level_labels.get(level) or {}).get(lang) or level
        return text[:1].upper() + text[1:]

    def __len__(self) -> int:
        return len(self.interventions)

    def get(self, ident: str) -> Intervention:
        for item in self.interventions:
            if item.id == ident:
                return item
        raise LanternError("no such intervention", field="intervention", record=ident)

    def strand_label(self, strand: str, lang: str = "en") -> str:
        return _text(self.strands.get(strand), lang) or strand

    def factor_label(self, ident: str, lang: str = "en") -> str:
        return _text(self.factor_labels.get(ident), lang) or ident

    def dimension_label(self, ident: str, lang: str = "en") -> str:
        return _text(self.dimension_labels.get(ident), lang) or ident.replace("_", " ")

    def agency_label(self, ident: str, lang: str = "en") -> str:
        return _text(self.agency_labels.get(ident), lang) or ident

    def urgency_label(self, ident: str, lang: str = "en") -> str:
        return _text(self.urgency_labels.get(ident), lang) or ident

    def for_type(self, vtype: VulnerabilityType | str, level: str | None = None) -> list[Intervention]:
        """Interventions addressing a vulnerability type (and suiting ``level``), most urgent first."""
        if isinstance(vtype, str):
            vtype = next(t for t in self.types if t.id == vtype)
        items = [
            i for i in self.interventions
            if (set(i.factors) & set(vtype.factors) or set(i.dimensions) & set(vtype.dimensions))
            and (level is None or level in i.levels)
        ]
        return sorted(items, key=lambda i: (-URGENCIES.index(i.urgency), i.strand, i.id))


def _labels_of(items: Any) -> dict[str, dict[str, str]]:
    out = {}
    for item in items or ():
        labels = getattr(item, "labels", None) or {}
        out[str(item.id)] = dict(labels)
    return out


def load_catalogue(standard: Any = None) -> Catalogue:
    """Read and validate the interventions catalogue of a standard (current version by default).

    Raises
    ------
    LanternError
        The standard has no catalogue, or an intervention names something the standard lacks, lacks an
        English or Romanian label, or has an unknown level, urgency or strand.
    """
    if standard is None:
        from lantern.standard import load_standard

        standard = load_standard()
    version = str(getattr(standard, "version", "?"))
    doc = (getattr(standard, "documents", None) or {}).get("interventions")
    if not isinstance(doc, dict):
        raise LanternError(f"standard {version} has no interventions catalogue", field="interventions",
                           record=f"standard {version}")
    factor_ids = {f.id for f in standard.factors}
    dim_ids = {d.id for d in standard.dimensions}
    try:
        agencies = standard.code_list("agency_type").items
    except LanternError:
        agencies = []
    agency_ids = {a.id for a in agencies}
    strands = {s["id"]: dict(s.get("labels") or {}) for s in doc.get("strands") or []}
    urgency = {u["id"]: dict(u.get("labels") or {}) for u in doc.get("urgency") or []}
    problems: list[Problem] = []
    seen: set[str] = set()
    items = []
    for raw in doc.get("interventions") or []:
        ident = str(raw.get("id"))
        rec = f"intervention {ident}"
        if ident in seen:
            problems.append(Problem("duplicate id", field="id", record=rec))
        seen.add(ident)
        for lang in LANGS:
            if not _text(raw.get("labels"), lang) or not (raw.get("labels") or {}).get(lang):
                problems.append(Problem(f"missing {lang} label", field="labels", record=rec))
            if not (raw.get("description") or {}).get(lang):
                problems.append(Problem(f"missing {lang} description", field="description", record=rec))
        if raw.get("strand") not in strands:
            problems.append(Problem(f"unknown strand {raw.get('strand')!r}", field="strand", record=rec))
        for f in raw.get("factors") or []:
            if f not in factor_ids:
                problems.append(Problem(f"factor {f!r} is not in the standard", field="factors", record=rec))
        for d in raw.get("dimensions") or []:
            if d not in dim_ids:
                problems.append(Problem(f"dimension {d!r} is not in the standard", field="dimensions", record=rec))
        levels = raw.get("levels") or []
        if not levels or any(lv not in LEVELS for lv in levels):
            problems.append(Problem(f"levels must be among {LEVELS}, got {levels}", field="levels", record=rec))
        if raw.get("urgency") not in URGENCIES:
            problems.append(Problem(f"urgency must be one of {URGENCIES}", field="urgency", record=rec))
        providers = raw.get("providers") or []
        if not providers:
            problems.append(Problem("no provider agency type", field="providers", record=rec))
        for p in providers:
            if agency_ids and p not in agency_ids:
                problems.append(Problem(f"agency type {p!r} is not in code list agency_type", field="providers", record=rec))
        legal = tuple(LegalBasis(str(lb["ref"]), bool(lb.get("verified", False))) for lb in raw.get("legal_basis") or [])
        items.append(Intervention(
            id=ident, strand=str(raw.get("strand")), labels=dict(raw.get("labels") or {}),
            description=dict(raw.get("description") or {}), factors=tuple(raw.get("factors") or ()),
            dimensions=tuple(raw.get("dimensions") or ()), levels=tuple(levels), urgency=str(raw.get("urgency")),
            providers=tuple(providers), legal_basis=legal,
        ))
    types = []
    for raw in doc.get("vulnerability_types") or []:
        for f in raw.get("factors") or []:
            if f not in factor_ids:
                problems.append(Problem(f"factor {f!r} is not in the standard", field="factors", record=f"type {raw.get('id')}"))
        types.append(VulnerabilityType(str(raw["id"]), dict(raw.get("labels") or {}), tuple(raw.get("factors") or ()),
                                       tuple(raw.get("dimensions") or ())))
    if problems:
        raise LanternError(problems)
    return Catalogue(
        version=version, interventions=tuple(items), types=tuple(types), strands=strands, urgency_labels=urgency,
        factor_labels=_labels_of(standard.factors), factor_kinds={f.id: f.kind for f in standard.factors},
        dimension_labels=_labels_of(standard.dimensions), agency_labels=_labels_of(agencies),
        level_labels={row["level"]: dict(row.get("labels") or {})
                      for row in ((standard.documents or {}).get("scoring") or {}).get("levels") or []},
    )
