"""Matching: a vulnerability profile → ranked interventions, each with the reasons it was suggested.

Ranking is a transparent point count, not a model:

* 3 points for each ILO–EC dimension present that the intervention addresses;
* 2 points for each risk factor answered "yes" that it addresses;
* 1 point for each protective factor the person lacks (answered "no") that it builds;
* +2 for an ``immediate`` and +1 for a ``priority`` intervention when the level is high or urgent.

Only interventions that suit the person's level and address at least one of their dimensions or
factors are suggested. Ties are broken by urgency, then id, so the order is deterministic.

Caveats
-------
The catalogue and the weights are expert judgement, not evidence of effect; the caseworker decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lantern.toolkit.catalogue import LEVELS, URGENCIES, Catalogue, Intervention, load_catalogue

_REASONS = {
    "dimension": {"en": "ILO–EC dimension present: {x}", "ro": "Dimensiune ILO–CE prezentă: {x}"},
    "risk": {"en": "risk factor: {x}", "ro": "factor de risc: {x}"},
    "protective": {"en": "builds a missing protective factor: {x}", "ro": "dezvoltă un factor de protecție absent: {x}"},
    "level": {"en": "suits the '{x}' level", "ro": "potrivit pentru nivelul „{x}”"},
    "urgency": {"en": "urgency: {x}", "ro": "urgență: {x}"},
}
_LEVEL_RO = {"low": "scăzut", "medium": "mediu", "high": "ridicat", "urgent": "urgent"}


@dataclass(frozen=True)
class Profile:
    """What matching needs to know about a person.

    Attributes
    ----------
    level : str
        Risk level (low, medium, high, urgent).
    dimensions : frozenset of str
        ILO–EC dimensions present.
    risk_factors : frozenset of str
        Risk factors answered "yes".
    missing_protective : frozenset of str
        Protective factors answered "no" (unknown is not "no": not counted).
    """

    level: str
    dimensions: frozenset[str] = frozenset()
    risk_factors: frozenset[str] = frozenset()
    missing_protective: frozenset[str] = frozenset()

    @classmethod
    def from_result(cls, result: Any) -> Profile:
        """Build from a :class:`lantern.screening.ScreeningResult`."""
        dims = frozenset(d.id for d in result.dimensions if d.present)
        risk = frozenset(f for lvl in result.profile for f in lvl.risk)
        missing = frozenset(f for lvl in result.profile for f in lvl.absent_protective)
        if result.ilo_list.startswith("child"):
            risk = risk | {"individual.minor"}
        return cls(level=result.risk_level, dimensions=dims, risk_factors=risk, missing_protective=missing)


@dataclass(frozen=True)
class Match:
    """A suggested intervention, its points and the reasons (in the language asked)."""

    intervention: Intervention
    points: int
    reasons: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)


def match_interventions(profile: Profile | Any, *, catalogue: Catalogue | None = None, lang: str = "en",
                        limit: int | None = None, strands: Iterable[str] | None = None) -> list[Match]:
    """Rank the catalogue's interventions for a profile.

    Parameters
    ----------
    profile : Profile or ScreeningResult
        The person's level, dimensions present and factors.
    catalogue : Catalogue, optional
        Defaults to the current standard's catalogue.
    lang : {"en", "ro"}
        Language of the reasons.
    limit : int, optional
        Keep the first ``limit`` matches.
    strands : iterable of str, optional
        Keep only these strands (integration, rights, protection, labour_market, criminal_justice).
    """
    if not isinstance(profile, Profile):
        profile = Profile.from_result(profile)
    if profile.level not in LEVELS:
        from lantern.errors import LanternError

        raise LanternError(f"level must be one of {LEVELS}", field="level", record="profile")
    cat = catalogue if catalogue is not None else load_catalogue()
    wanted = set(strands) if strands is not None else None
    out = []
    tmpl = {k: v.get(lang, v["en"]) for k, v in _REASONS.items()}
    for item in cat.interventions:
        if profile.level not in item.levels or (wanted is not None and item.strand not in wanted):
            continue
        points = 0
        reasons = []
        addresses = []
        for d in item.dimensions:
            if d in profile.dimensions:
                points += 3
                reasons.append(tmpl["dimension"].format(x=cat.dimension_label(d, lang)))
                addresses.append(d)
        for f in item.factors:
            if f in profile.risk_factors:
                points += 2
                reasons.append(tmpl["risk"].format(x=cat.factor_label(f, lang)))
                addresses.append(f)
            elif f in profile.missing_protective:
                points += 1
                reasons.append(tmpl["protective"].format(x=cat.factor_label(f, lang)))
                addresses.append(f)
        if not points:
            continue
        if profile.level in ("high", "urgent"):
            points += {"immediate": 2, "priority": 1}.get(item.urgency, 0)
        level_name = _LEVEL_RO.get(profile.level, profile.level) if lang == "ro" else profile.level
        reasons.append(tmpl["level"].format(x=level_name))
        reasons.append(tmpl["urgency"].format(x=cat.urgency_label(item.urgency, lang)))
        out.append(Match(item, points, reasons, addresses))
    out.sort(key=lambda m: (-m.points, -URGENCIES.index(m.intervention.urgency), m.intervention.id))
    return out[:limit] if limit is not None else out


def vulnerability_types(profile: Profile | Any, *, catalogue: Catalogue | None = None) -> list[tuple[Any, list[str]]]:
    """The toolkit's vulnerability types that apply to a profile, each with the ids that put it there.

    Lets a caseworker jump from a screening result to the matching sections of the toolkit document.
    """
    if not isinstance(profile, Profile):
        profile = Profile.from_result(profile)
    cat = catalogue if catalogue is not None else load_catalogue()
    found = set(profile.dimensions) | set(profile.risk_factors) | set(profile.missing_protective)
    out = []
    for vtype in cat.types:
        why = [i for i in (*vtype.factors, *vtype.dimensions) if i in found]
        if why:
            out.append((vtype, why))
    return out
