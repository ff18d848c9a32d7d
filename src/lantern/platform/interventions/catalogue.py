"""The platform's view of the toolkit (``lantern.toolkit``): the catalogue of a standard version, loaded once
per process, and the screening explanation with suggested interventions for one stored assessment."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from lantern.platform import vocab

LEVELS = ("low", "medium", "high", "urgent")
LEVEL_LABELS = {"low": _("low"), "medium": _("medium"), "high": _("high"), "urgent": _("urgent")}
PROFILE_LEVELS = {"individual": _("individual"), "household": _("household"), "community": _("community"),
                  "structural": _("structural")}
ILO_LISTS = {"adult_labour": _("adults, labour exploitation"), "adult_sexual": _("adults, sexual exploitation"),
             "child_labour": _("children, labour exploitation"), "child_sexual": _("children, sexual exploitation")}
#: default time to the due date of an item added from a suggestion, by the intervention's urgency (days)
DUE_DAYS = {"immediate": 0, "priority": 7, "routine": 30}


@functools.lru_cache(maxsize=8)
def catalogue(version: str | None = None):
    """The interventions catalogue of a standard version (default: the current one), validated."""
    from lantern.toolkit import load_catalogue

    return load_catalogue(vocab.standard_for(version or vocab.current_version()))


def lang_of(code: str | None) -> str:
    """``en`` or ``ro`` from a Django language code (``ro``, ``ro-RO``, ``en-gb`` …)."""
    return "ro" if (code or "").lower().startswith("ro") else "en"


def intervention_or_none(intervention_id: str, version: str | None = None):
    try:
        return catalogue(version).get(intervention_id)
    except Exception:  # KeyError or a LanternError from the catalogue: "no such intervention"
        return None


def explain(assessment, *, lang: str = "en", limit: int = 8) -> dict[str, Any]:
    """Screen one stored assessment (``lantern.screening.screen_assessment``) and match interventions.

    Returns the screening result as a dict (score, level, contributions traceable to answers, deciding
    indicators, profile by level, unknown answers, could-change) plus labelled profile rows and the
    suggested interventions with their reasons, all in ``lang``.
    """
    from lantern.platform.cases.export import assessment_flat_row
    from lantern.screening import screen_assessment
    from lantern.toolkit import match_interventions, vulnerability_types

    std = vocab.standard_for(assessment.standard_version)
    cols = [c.name for c in std.assessment_columns()]
    flat = assessment_flat_row(assessment)
    row = {c: flat.get(c) for c in cols}
    row["assessment_id"] = assessment.ref
    result = screen_assessment(row, standard=std, lang=lang)
    data = result.to_dict()
    cat = catalogue(assessment.standard_version)
    with translation.override(lang):
        _label_levels(data)
    data["profile"] = [{
        "level": p["level"], "level_label": p["level_label"],
        "risk": [cat.factor_label(f, lang) for f in p.get("risk", [])],
        "protective": [cat.factor_label(f, lang) for f in p.get("protective", [])],
        "absent_protective": [cat.factor_label(f, lang) for f in p.get("absent_protective", [])],
        "unknown": len(p.get("unknown", [])),
    } for p in data["profile"]]
    data["present_dimensions"] = [cat.dimension_label(d["id"], lang) for d in data["dimensions"] if d["present"]]
    data["indicator_points"] = sum(c["points"] for c in data["contributions"] if c["kind"] == "indicator")
    data["factor_points"] = sum(c["points"] for c in data["contributions"] if c["kind"] != "indicator")
    today = timezone.localdate()
    data["suggestions"] = [{
        "id": m.intervention.id, "label": m.intervention.label(lang), "description": m.intervention.describe(lang),
        "strand": cat.strand_label(m.intervention.strand, lang), "urgency": m.intervention.urgency,
        "urgency_label": cat.urgency_label(m.intervention.urgency, lang), "points": m.points, "reasons": m.reasons,
        "providers": list(m.intervention.providers),
        "provider_labels": [cat.agency_label(p, lang) for p in m.intervention.providers],
        "due_date": (today + dt.timedelta(days=DUE_DAYS.get(m.intervention.urgency, 30))).isoformat(),
    } for m in match_interventions(result, catalogue=cat, lang=lang, limit=limit)]
    data["types"] = [{"id": t.id, "label": t.label(lang)} for t, _why in vulnerability_types(result, catalogue=cat)]
    return data


def _label_levels(data: dict[str, Any]) -> None:
    """Labels of the risk level, the ILO–EC list and the profile levels, in the active language."""
    data["risk_level_label"] = str(LEVEL_LABELS.get(data["risk_level"], data["risk_level"]))
    data["ilo_list_label"] = str(ILO_LISTS.get(data["ilo_list"], data["ilo_list"]))
    for p in data["profile"]:
        p["level_label"] = str(PROFILE_LEVELS.get(p["level"], p["level"]))
