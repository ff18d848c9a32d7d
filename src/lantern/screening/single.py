"""Screening of one assessment with every decision and every point explained.

:func:`screen_assessment` returns a :class:`ScreeningResult`: the ILO–EC dimensions with the
indicators that made each present, the presumed-victim determination with its deciding indicators,
the unknown answers and whether answering them could change the outcome, the IOM vulnerability
profile by level, and the transparent score as a list of contributions that sum to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from lantern.errors import LanternError, Problem
from lantern.screening.batch import dimension_present, presumed
from lantern.screening.guard import assert_no_protected
from lantern.screening.spec import GRADES, LISTS, ScreeningSpec, load, spec_for

# Explanation sentences in the label languages of the standard (en, ro).
_MSG = {
    "en": {
        "age_unknown": "age unknown: the adult list applies; the child list counts towards 'could change'",
        "form_unknown": "suspected form unknown: the labour list applies; the sexual list counts towards 'could change'",
        "scaled_ind": "scaled from {b:g} (caps: {d:g} per dimension, {i:g} for all indicators)",
        "scaled_risk": "scaled from {b:g} (risk factors add at most {c:g})",
        "scaled_prot": "scaled from -{b:g} (protective factors remove at most {c:g})",
        "band": "score {s:.1f} is in the '{lv}' band",
        "raised": "raised to '{lv}': {why}",
        "pv": "presumed victim under the ILO–EC rule",
        "dim": "dimension {d} present",
        "v_pv": "presumed victim",
        "v_dim": "ILO–EC dimension present: {ds}",
        "v_net": "{r} risk factors against {p} protective (threshold {t})",
    },
    "ro": {
        "age_unknown": "vârstă necunoscută: se aplică lista pentru adulți; lista pentru copii contează la „s-ar putea schimba”",
        "form_unknown": "forma suspectată necunoscută: se aplică lista pentru muncă; lista pentru exploatare sexuală contează la „s-ar putea schimba”",
        "scaled_ind": "redus de la {b:g} (plafoane: {d:g} pe dimensiune, {i:g} pentru toți indicatorii)",
        "scaled_risk": "redus de la {b:g} (factorii de risc adaugă cel mult {c:g})",
        "scaled_prot": "redus de la -{b:g} (factorii de protecție scad cel mult {c:g})",
        "band": "scorul {s:.1f} se află în intervalul „{lv}”",
        "raised": "ridicat la „{lv}”: {why}",
        "pv": "presupusă victimă conform regulii ILO–CE",
        "dim": "dimensiunea {d} este prezentă",
        "v_pv": "presupusă victimă",
        "v_dim": "dimensiune ILO–CE prezentă: {ds}",
        "v_net": "{r} factori de risc față de {p} de protecție (prag {t})",
    },
}

_YES = {1, "1", "yes", "y", "true", "da"}
_NO = {0, "0", "no", "n", "false", "nu"}
_UNKNOWN = {None, "", "unknown", "null", "na", "n/a"}


@dataclass(frozen=True)
class IndicatorHit:
    """An indicator answered "yes", with its grade in the list applied."""

    id: str
    dimension: str
    grade: str
    label: str


@dataclass(frozen=True)
class DimensionResult:
    """One ILO–EC dimension: present or not, and whether it could be with the unknown answers."""

    id: str
    role: str
    present: bool
    possible: bool
    strong: int
    medium: int
    weak: int
    unknown: int
    indicators: list[IndicatorHit]


@dataclass(frozen=True)
class Contribution:
    """Points one answer adds to (or, for a protective factor, removes from) the score."""

    id: str
    kind: str  # indicator | risk_factor | protective_factor
    label: str
    base_points: float
    points: float
    note: str = ""


@dataclass(frozen=True)
class LevelProfile:
    """Risk and protective factors of one IOM level."""

    level: str
    risk: list[str]
    protective: list[str]
    unknown: list[str]
    absent_protective: list[str] = field(default_factory=list)  # protective factors answered "no"


@dataclass(frozen=True)
class ScreeningResult:
    """The outcome of screening one assessment, with its explanation."""

    assessment_id: str | None
    standard_version: str
    ilo_list: str
    dimensions: list[DimensionResult]
    presumed_victim: bool
    presumed_victim_possible: bool
    deciding_indicators: list[IndicatorHit]
    vulnerable: bool
    vulnerable_reasons: list[str]
    profile: list[LevelProfile]
    risk_score: float
    risk_score_max: float  # the score if every unknown indicator and risk factor were answered "yes"
    risk_level: str
    level_reasons: list[str]
    contributions: list[Contribution]
    unknown_answers: int
    unknown_ids: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def could_change(self) -> bool:
        """True when answering the unknown questions could turn the outcome into "presumed victim"."""
        return self.presumed_victim_possible and not self.presumed_victim

    def dimension(self, ident: str) -> DimensionResult:
        return next(d for d in self.dimensions if d.id == ident)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["could_change"] = self.could_change
        return out


def _answer(value: Any, *, ident: str, record: str) -> int | None:
    if isinstance(value, float) and value != value:  # NaN
        return None
    key = value.strip().lower() if isinstance(value, str) else value
    if key in _UNKNOWN:
        return None
    if key in _YES:
        return 1
    if key in _NO:
        return 0
    raise LanternError(f"answer must be yes (1), no (0) or unknown (empty), got {value!r}", field=ident, record=record)


def screen_assessment(assessment: Mapping[str, Any], *, standard: Any = None, lang: str = "en") -> ScreeningResult:
    """Screen one assessment and explain the outcome.

    Parameters
    ----------
    assessment : mapping
        Column name → value, as in the flat assessment format: ``assessment_id``, ``age``,
        ``exploitation_form`` and the answers (1 / 0 / None, or "yes" / "no" / "unknown").
        An answer left out is unknown.
    standard : loaded standard, optional
        Defaults to the version named in ``standard_version`` (or the current one).
    lang : str
        Language of the labels in the explanation (falls back to English).

    Raises
    ------
    LanternError
        Unknown standard version, an answer to an indicator the standard does not have, a value
        that is not yes / no / unknown, or a protected attribute among the answers.
    """
    record = f"assessment {assessment.get('assessment_id')}" if assessment.get("assessment_id") else "assessment"
    version = assessment.get("standard_version")
    if standard is None:
        standard = load(str(version)) if version else load()
    spec = spec_for(standard)
    if version and str(version) != spec.version:
        raise LanternError(
            f"captured under standard {version!r}, but screening uses standard {spec.version}",
            field="standard_version", record=record,
        )
    known = set(spec.answer_ids)
    problems = [
        Problem(f"not an indicator or factor of standard {spec.version}", field=key, record=record)
        for key in assessment
        if "." in str(key) and key not in known and not str(key).startswith("dim.")
    ]
    if problems:
        raise LanternError(problems)
    given = [k for k in assessment if k in known]
    assert_no_protected(given, spec=spec, where="risk score")
    answers: dict[str, int | None] = {}
    bad: list[Problem] = []
    for ident in spec.answer_ids:
        try:
            answers[ident] = _answer(assessment.get(ident), ident=ident, record=record)
        except LanternError as exc:
            bad.extend(exc.problems)
    if bad:
        raise LanternError(bad)
    return _explain(spec, assessment, answers, lang=lang, record=record)


def _label(labels: dict[str, str], ident: str, lang: str) -> str:
    return labels.get(lang) or labels.get("en") or ident


def _context(spec: ScreeningSpec, assessment: Mapping[str, Any], lang: str = "en") -> tuple[int, list[int], list[str]]:
    msg = _MSG.get(lang, _MSG["en"])
    notes = []
    below = int(spec.rule.get("child_age_below", 18))
    age = assessment.get("age")
    try:
        age = None if age is None or (isinstance(age, float) and age != age) else float(age)
    except (TypeError, ValueError) as exc:
        raise LanternError(f"age must be a number of years, got {age!r}", field="age") from exc
    form = assessment.get("exploitation_form")
    sexual_forms = [str(f) for f in spec.rule.get("sexual_forms", ["sexual_exploitation"])]
    child = age is not None and age < below
    sexual = form is not None and str(form) in sexual_forms
    li = 2 * int(child) + int(sexual)
    if age is None:
        notes.append(msg["age_unknown"])
    if form is None:
        notes.append(msg["form_unknown"])
    cand = []
    for idx in range(len(LISTS)):
        c_child, c_sex = divmod(idx, 2)
        if (age is None or child == bool(c_child)) and (form is None or sexual == bool(c_sex)):
            cand.append(idx)
    return li, cand, notes


def _explain(spec: ScreeningSpec, assessment: Mapping[str, Any], answers: dict[str, int | None], *,
             lang: str, record: str) -> ScreeningResult:
    li, cand, notes = _context(spec, assessment, lang)
    msg = _MSG.get(lang, _MSG["en"])
    codes = spec.grade_codes()
    rule = spec.rule["dimension_rule"]

    def dims_for(list_idx: int, answers: dict[str, int | None] = answers) -> list[DimensionResult]:
        out = []
        for dim in spec.dimensions:
            s = m = w = 0
            us = um = uw = 0
            hits = []
            for j, ind in enumerate(spec.indicators):
                g = int(codes[list_idx, j])
                if ind.dimension != dim or g == 3:
                    continue
                a = answers[ind.id]
                if a == 1:
                    hits.append(IndicatorHit(ind.id, dim, GRADES[g], _label(ind.labels, ind.id, lang)))
                    s, m, w = s + (g == 0), m + (g == 1), w + (g == 2)
                elif a is None:
                    us, um, uw = us + (g == 0), um + (g == 1), uw + (g == 2)
            hits.sort(key=lambda h: GRADES.index(h.grade))
            out.append(DimensionResult(
                id=dim, role=spec.dimension_roles[dim],
                present=bool(dimension_present(rule, s, m, w)),
                possible=bool(dimension_present(rule, s + us, m + um, w + uw)),
                strong=s, medium=m, weak=w, unknown=us + um + uw, indicators=hits,
            ))
        return out

    dims = dims_for(li)
    part = spec.rule["child" if LISTS[li].startswith("child") else "adult"]
    pv = bool(presumed(part, {d.id: d.present for d in dims}, spec.dimension_roles))
    pv_possible = pv
    for idx in cand:
        dd = dims_for(idx) if idx != li else dims
        p = spec.rule["child" if LISTS[idx].startswith("child") else "adult"]
        pv_possible = pv_possible or bool(presumed(p, {d.id: d.possible for d in dd}, spec.dimension_roles))
    needed_roles = {c.get("any_role") for c in part["all_of"] if "any_role" in c}
    deciding = [h for d in dims if d.present and d.role in needed_roles for h in d.indicators] if pv else []

    # profile -----------------------------------------------------------------------------------------
    profile = []
    for level in spec.factor_levels:
        fs = [f for f in spec.factors if f.level == level]
        profile.append(LevelProfile(
            level=level,
            risk=[f.id for f in fs if f.kind == "risk" and answers[f.id] == 1],
            protective=[f.id for f in fs if f.kind == "protective" and answers[f.id] == 1],
            unknown=[f.id for f in fs if answers[f.id] is None],
            absent_protective=[f.id for f in fs if f.kind == "protective" and answers[f.id] == 0],
        ))
    n_risk = sum(len(p.risk) for p in profile)
    n_prot = sum(len(p.protective) for p in profile)

    # score -----------------------------------------------------------------------------------------
    sc = spec.scoring

    def score_of(dims: list[DimensionResult], answers: dict[str, int | None]) -> tuple[list[Contribution], float]:
        dim_cap = float(sc.get("dimension_cap", float("inf")))
        ind_cap = float(sc.get("indicators_cap", float("inf")))
        contribs: list[Contribution] = []
        ind_rows: list[tuple[IndicatorHit, float, float]] = []  # hit, base, after dimension cap
        for d in dims:
            base = [(h, spec.indicator_points(h.grade)) for h in d.indicators]
            total = sum(b for _, b in base)
            k = min(1.0, dim_cap / total) if total > 0 else 1.0
            ind_rows.extend((h, b, b * k) for h, b in base)
        ind_total = sum(v for _, _, v in ind_rows)
        k_ind = min(1.0, ind_cap / ind_total) if ind_total > 0 else 1.0
        for h, b, v in ind_rows:
            pts = v * k_ind
            note = "" if abs(pts - b) < 1e-9 else msg["scaled_ind"].format(b=b, d=dim_cap, i=ind_cap)
            contribs.append(Contribution(h.id, "indicator",
                                         f"{h.label} ({spec.term(h.grade, lang)}, {spec.term(LISTS[li], lang)})",
                                         b, pts, note))
        ind_pts = ind_total * k_ind
        risk_rows = [(f, spec.factor_points(f)) for f in spec.factors if f.kind == "risk" and answers[f.id] == 1]
        prot_rows = [(f, -spec.factor_points(f)) for f in spec.factors if f.kind == "protective" and answers[f.id] == 1]
        r_total = sum(p for _, p in risk_rows)
        r_cap = float(sc.get("risk_factors_cap", float("inf")))
        k_r = min(1.0, r_cap / r_total) if r_total > 0 else 1.0
        for f, b in risk_rows:
            note = "" if k_r == 1.0 else msg["scaled_risk"].format(b=b, c=r_cap)
            contribs.append(Contribution(f.id, "risk_factor", _label(f.labels, f.id, lang), b, b * k_r, note))
        p_total = sum(p for _, p in prot_rows)
        p_cap = min(float(sc.get("protective_cap", float("inf"))), ind_pts + r_total * k_r)
        k_p = min(1.0, p_cap / p_total) if p_total > 0 else 1.0
        for f, b in prot_rows:
            note = "" if k_p == 1.0 else msg["scaled_prot"].format(b=b, c=p_cap)
            contribs.append(Contribution(f.id, "protective_factor", _label(f.labels, f.id, lang), -b, -b * k_p, note))
        score = min(100.0, max(0.0, sum(c.points for c in contribs)))
        return contribs, score

    contribs, score = score_of(dims, answers)
    protective = {f.id for f in spec.factors if f.kind == "protective"}
    answers_max = {k: (1 if v is None and k not in protective else v) for k, v in answers.items()}
    _, score_max = score_of(dims_for(li, answers_max), answers_max)

    level = spec.level_for(score)
    names = spec.level_names
    level_reasons = [msg["band"].format(s=score, lv=spec.term(level, lang))]
    for floor in sc.get("level_floors") or []:
        when = str(floor["when"])
        hit = pv if when == "presumed_victim" else next(d.present for d in dims if d.id == when.split(":", 1)[1])
        if hit and names.index(floor["level"]) > names.index(level):
            level = floor["level"]
            why = (msg["pv"] if when == "presumed_victim"
                   else msg["dim"].format(d=spec.term(when.split(":", 1)[1], lang)))
            level_reasons.append(msg["raised"].format(lv=spec.term(level, lang), why=why))

    vr = spec.vulnerable_rule
    vreasons = []
    if pv:
        vreasons.append(msg["v_pv"])
    if vr.get("any_dimension", True) and any(d.present for d in dims):
        vreasons.append(msg["v_dim"].format(ds=", ".join(d.id for d in dims if d.present)))
    if vr.get("min_net_risk_factors") is not None and n_risk - n_prot >= int(vr["min_net_risk_factors"]):
        vreasons.append(msg["v_net"].format(r=n_risk, p=n_prot, t=vr["min_net_risk_factors"]))

    unknown_ids = [k for k, v in answers.items() if v is None]
    return ScreeningResult(
        assessment_id=None if assessment.get("assessment_id") is None else str(assessment.get("assessment_id")),
        standard_version=spec.version,
        ilo_list=LISTS[li],
        dimensions=dims,
        presumed_victim=pv,
        presumed_victim_possible=pv_possible,
        deciding_indicators=deciding,
        vulnerable=bool(vreasons),
        vulnerable_reasons=vreasons,
        profile=profile,
        risk_score=round(score, 2),
        risk_score_max=round(score_max, 2),
        risk_level=level,
        level_reasons=level_reasons,
        contributions=contribs,
        unknown_answers=len(unknown_ids),
        unknown_ids=unknown_ids,
        notes=notes,
    )
