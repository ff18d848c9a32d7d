"""Vectorised screening of many assessments: ILO–EC rules, vulnerable flag and the transparent score.

The answers of a batch become an ``int8`` matrix (1 yes, 0 no, 2 unknown); counts of strong /
medium / weak "yes" answers per list and dimension, the score's raw points and the factor totals are
then one matrix product per chunk of rows. The rule is evaluated for all four ILO–EC lists at once and
the applicable list is picked per row, so a batch mixing adults and children, labour and sexual
exploitation costs the same as a uniform one.

The arithmetic is the same as :func:`lantern.screening.screen_assessment` (which explains each
point); the test-suite checks both agree row by row.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from lantern.errors import LanternError, Problem
from lantern.screening.guard import assert_no_protected
from lantern.screening.spec import GRADES, LISTS, ScreeningSpec, load, spec_for

_CHUNK = 262_144
_MAX_PROBLEMS = 20
# columns of the flat assessment format that are not answers (never scored)
_NON_ANSWER = {
    "assessment_id", "subject_ref", "standard_version", "agency", "interview_date", "sex", "age",
    "citizenship", "country_of_interview", "region", "legal_status", "education", "sector",
    "exploitation_form",
}


# -- rule helpers shared with the single-assessment path -------------------------------------------
def _clause_met(clause: dict[str, Any], s: Any, m: Any, w: Any) -> Any:
    counts = {"strong": s, "medium": m, "weak": w, "medium_or_weak": m + w, "any": s + m + w}
    met: Any = True
    for key, minimum in clause.items():
        met = met & (counts[key] >= int(minimum))
    return met


def dimension_present(rule: Any, s: Any, m: Any, w: Any) -> Any:
    """Whether the ILO–EC dimension rule holds for counts of strong, medium and weak "yes" answers.

    Works on Python ints or NumPy arrays alike.
    """
    clauses = rule["any_of"] if isinstance(rule, dict) else rule
    out: Any = False
    for clause in clauses:
        out = out | _clause_met(clause, s, m, w)
    return out


def presumed(rule_part: dict[str, Any], dims_present: dict[str, Any], roles: dict[str, str]) -> Any:
    """Presumed-victim rule (``all_of`` of ``any_role`` / ``dimension`` conditions) on dimension flags."""
    out: Any = True
    for cond in rule_part["all_of"]:
        if "any_role" in cond:
            members = [d for d, r in roles.items() if r == cond["any_role"]]
        else:
            members = list(np.atleast_1d(cond.get("any_dimension") or cond.get("dimension")))
        part: Any = False
        for d in members:
            part = part | dims_present[d]
        out = out & part
    return out


def list_index(is_child: Any, is_sexual: Any) -> Any:
    """Index into :data:`LISTS` (adult_labour, adult_sexual, child_labour, child_sexual)."""
    return 2 * is_child + is_sexual


# -- input checks ----------------------------------------------------------------------------------
def _rid(df: pl.DataFrame, rows: list[int]) -> list[str]:
    if "assessment_id" in df.columns:
        ids = df["assessment_id"].gather(rows).cast(pl.Utf8).to_list()
        return [f"assessment {i}" for i in ids]
    return [f"row {r + 1}" for r in rows]


def check_frame(df: pl.DataFrame, spec: ScreeningSpec) -> list[str]:
    """Refuse unknown answer columns and values other than 1 / 0 / null; return the answer columns present."""
    problems: list[Problem] = []
    known = set(spec.answer_ids)
    unknown_cols = [c for c in df.columns if "." in c and c not in known and not c.startswith("dim.")]
    for col in unknown_cols:
        problems.append(
            Problem(f"not an indicator or factor of standard {spec.version}", field=col, record="assessments")
        )
    if "assessment_id" not in df.columns:
        problems.append(Problem("required column is missing", field="assessment_id", record="assessments"))
    present = [c for c in spec.answer_ids if c in df.columns]
    if problems:
        raise LanternError(problems)
    assert_no_protected(present, spec=spec, where="risk score")
    if present:
        bad_dtype = [c for c in present if not (df.schema[c].is_numeric() or df.schema[c] == pl.Boolean or df.schema[c] == pl.Null)]
        for col in bad_dtype:
            problems.append(Problem(f"answers must be 1, 0 or empty, got type {df.schema[col]}", field=col, record="assessments"))
        if problems:
            raise LanternError(problems)
        exprs = [
            (pl.col(c).is_not_null() & ~pl.col(c).cast(pl.Float64).is_in([0.0, 1.0])).alias(c) for c in present
        ]
        bad = df.select(exprs)
        totals = bad.sum().row(0)
        for col, total in zip(present, totals, strict=True):
            if total and len(problems) < _MAX_PROBLEMS:
                rows = np.flatnonzero(bad[col].to_numpy())[:3].tolist()
                for rid in _rid(df, rows):
                    value = df[col][rows[0]]
                    problems.append(Problem(f"answer must be 1 (yes), 0 (no) or empty (unknown), got {value!r}", field=col, record=rid))
        if problems:
            raise LanternError(problems)
    return present


def check_versions(df: pl.DataFrame, standard: Any) -> Any:
    """Resolve the standard to screen with; an unknown or mismatched version is refused."""
    if "standard_version" not in df.columns or df.height == 0:
        return standard if standard is not None else load()
    versions = [v for v in df["standard_version"].cast(pl.Utf8).unique().to_list() if v is not None]
    if standard is None:
        if len(versions) > 1:
            raise LanternError(
                f"the batch mixes standard versions {sorted(versions)}; screen each version separately",
                field="standard_version", record="assessments",
            )
        return load(versions[0]) if versions else load()
    own = str(getattr(standard, "version", None) or standard.get("version"))  # type: ignore[union-attr]
    wrong = [v for v in versions if v != own]
    if wrong:
        rows = df.with_row_index("_r").filter(pl.col("standard_version").cast(pl.Utf8).is_in(wrong))["_r"].head(3).to_list()
        raise LanternError(
            [Problem(f"captured under standard {v!r}, but screening uses standard {own}", field="standard_version", record=r)
             for v, r in zip(wrong, _rid(df, rows), strict=False)]
            or [Problem(f"standard versions {wrong} differ from {own}", field="standard_version")]
        )
    return standard


# -- context per row: list applied and lists still possible ------------------------------------------
def row_context(df: pl.DataFrame, spec: ScreeningSpec) -> tuple[np.ndarray, np.ndarray]:
    """Per row: index of the applied list, and a (n × 4) mask of lists consistent with unknown age/form."""
    n = df.height
    below = int(spec.rule.get("child_age_below", 18))
    sexual_forms = [str(f) for f in spec.rule.get("sexual_forms", ["sexual_exploitation"])]
    if "age" in df.columns:
        age = df["age"].cast(pl.Float64).to_numpy()
        age_known = ~np.isnan(age)
        child = age_known & (np.nan_to_num(age, nan=99.0) < below)
    else:
        age_known = np.zeros(n, dtype=bool)
        child = np.zeros(n, dtype=bool)
    if "exploitation_form" in df.columns:
        form = df["exploitation_form"].cast(pl.Utf8)
        form_known = form.is_not_null().to_numpy()
        sexual = form.is_in(sexual_forms).fill_null(False).to_numpy()
    else:
        form_known = np.zeros(n, dtype=bool)
        sexual = np.zeros(n, dtype=bool)
    li = list_index(child.astype(np.int8), sexual.astype(np.int8))
    cand = np.zeros((n, len(LISTS)), dtype=bool)
    for idx in range(len(LISTS)):
        c_child, c_sex = divmod(idx, 2)
        ok_age = ~age_known | (child == bool(c_child))
        ok_form = ~form_known | (sexual == bool(c_sex))
        cand[:, idx] = ok_age & ok_form
    return li.astype(np.intp), cand


# -- the matrices ----------------------------------------------------------------------------------
def _matrices(spec: ScreeningSpec, present: list[str]) -> dict[str, np.ndarray]:
    """Column blocks of one big (answers × outputs) matrix, for the answer columns present."""
    codes = spec.grade_codes()  # lists × indicators
    n_dims, n_lists = len(spec.dimensions), len(LISTS)
    ind_pos = {i.id: j for j, i in enumerate(spec.indicators)}
    fac_pos = {f.id: j for j, f in enumerate(spec.factors)}
    k = len(present)
    count = np.zeros((k, n_lists * n_dims * 3), dtype=np.float32)  # list, dim, grade
    points = np.zeros((k, n_lists * n_dims), dtype=np.float32)
    fac = np.zeros((k, 4), dtype=np.float32)  # risk points, protective points, n risk, n protective
    pts_grade = [spec.indicator_points(g) for g in GRADES]
    dim_index = {d: i for i, d in enumerate(spec.dimensions)}
    for row, col in enumerate(present):
        if col in ind_pos:
            j = ind_pos[col]
            d = dim_index[spec.indicators[j].dimension]
            for li in range(n_lists):
                g = int(codes[li, j])
                if g < 3:
                    count[row, (li * n_dims + d) * 3 + g] = 1.0
                    points[row, li * n_dims + d] = pts_grade[g]
        else:
            f = spec.factors[fac_pos[col]]
            p = spec.factor_points(f)
            if f.kind == "risk":
                fac[row, 0], fac[row, 2] = p, 1.0
            else:
                fac[row, 1], fac[row, 3] = -p, 1.0
    return {"count": count, "points": points, "fac": fac}


def screen_batch(df: Any, *, standard: Any = None) -> pl.DataFrame:
    """Screen a batch of assessments in the flat assessment format.

    Parameters
    ----------
    df : polars.DataFrame or pandas.DataFrame
        One row per interview; columns named by the standard's ids (see docs/architecture.md). An
        answer is 1 (yes), 0 (no) or null (unknown); a column the questionnaire did not ask is unknown
        for every row.
    standard : loaded standard, optional
        Defaults to the version named in the rows' ``standard_version`` (or the current one).

    Returns
    -------
    polars.DataFrame
        ``assessment_id``, ``ilo_list``, ``dim.<dimension>`` (bool), ``presumed_victim`` (bool),
        ``presumed_victim_possible`` (bool: the outcome could become "presumed victim" if the unknown
        answers were answered), ``vulnerable`` (bool), ``n_risk_factors``, ``n_protective_factors``,
        ``risk_score`` (0–100), ``risk_level`` (low|medium|high|urgent), ``unknown_answers`` (int).

    Raises
    ------
    LanternError
        Unknown standard version, a column that is not an indicator or factor of the standard,
        an answer other than 1 / 0 / null, a protected attribute among the inputs.

    Notes
    -----
    Unknown is never "no": unknown answers add no points and do not satisfy a rule, and
    ``presumed_victim_possible`` shows whether answering them could change the determination. When age
    or the suspected form is unknown, the adult / labour list applies and the other lists count
    towards ``presumed_victim_possible``.
    """
    if not isinstance(df, pl.DataFrame):
        try:
            df = pl.from_pandas(df)
        except Exception as exc:  # pragma: no cover - defensive
            raise LanternError(f"cannot read the assessments as a table: {exc}", record="assessments") from exc
    std = check_versions(df, standard)
    spec = spec_for(std)
    present = check_frame(df, spec)
    n = df.height
    n_dims, n_lists = len(spec.dimensions), len(LISTS)
    li, cand = row_context(df, spec)
    mats = _matrices(spec, present)
    big = np.hstack([mats["count"], mats["points"], mats["fac"]])
    n_count = mats["count"].shape[1]
    n_pts = mats["points"].shape[1]

    counts = np.empty((n, n_count), dtype=np.float32)
    unknown_counts = np.empty((n, n_count), dtype=np.float32)
    pts = np.empty((n, n_pts), dtype=np.float32)
    fac = np.empty((n, 4), dtype=np.float32)
    n_unknown = np.zeros(n, dtype=np.int32)
    missing_cols = len(spec.answer_ids) - len(present)
    if present:
        enc = df.select([pl.col(c).cast(pl.Int8).fill_null(2) for c in present])
        for start in range(0, n, _CHUNK):
            block = enc.slice(start, _CHUNK).to_numpy()
            stop = start + block.shape[0]
            yes = (block == 1).astype(np.float32)
            unk = block == 2
            out = yes @ big
            counts[start:stop] = out[:, :n_count]
            pts[start:stop] = out[:, n_count:n_count + n_pts]
            fac[start:stop] = out[:, n_count + n_pts:]
            unknown_counts[start:stop] = unk.astype(np.float32) @ mats["count"]
            n_unknown[start:stop] = unk.sum(axis=1)
    else:
        counts[:] = 0
        unknown_counts[:] = 0
        pts[:] = 0
        fac[:] = 0
    # columns the questionnaire did not ask are unknown for every row
    if missing_cols:
        n_unknown += missing_cols
        missing_mat = _matrices(spec, [c for c in spec.indicator_ids if c not in present])["count"]
        unknown_counts += missing_mat.sum(axis=0, keepdims=True)

    rule = spec.rule["dimension_rule"]
    c4 = counts.reshape(n, n_lists, n_dims, 3)
    u4 = (counts + unknown_counts).reshape(n, n_lists, n_dims, 3)
    present_all = dimension_present(rule, c4[..., 0], c4[..., 1], c4[..., 2])  # n × lists × dims
    possible_all = dimension_present(rule, u4[..., 0], u4[..., 1], u4[..., 2])
    roles = spec.dimension_roles
    pv_all = np.zeros((n, n_lists), dtype=bool)
    pv_pos_all = np.zeros((n, n_lists), dtype=bool)
    for idx, name in enumerate(LISTS):
        part = spec.rule["child" if name.startswith("child") else "adult"]
        flags = {d: present_all[:, idx, i] for i, d in enumerate(spec.dimensions)}
        flags_pos = {d: possible_all[:, idx, i] for i, d in enumerate(spec.dimensions)}
        pv_all[:, idx] = presumed(part, flags, roles)
        pv_pos_all[:, idx] = presumed(part, flags_pos, roles)
    rows = np.arange(n)
    dims = present_all[rows, li]  # n × dims
    pv = pv_all[rows, li]
    pv_possible = pv | (pv_pos_all & cand).any(axis=1)

    # transparent score ---------------------------------------------------------------------------
    sc = spec.scoring
    raw = pts.reshape(n, n_lists, n_dims)[rows, li].astype(np.float64)
    dim_pts = np.minimum(raw, float(sc.get("dimension_cap", np.inf)))
    ind = np.minimum(dim_pts.sum(axis=1), float(sc.get("indicators_cap", np.inf)))
    risk = np.minimum(fac[:, 0].astype(np.float64), float(sc.get("risk_factors_cap", np.inf)))
    prot = np.minimum(np.minimum(fac[:, 1].astype(np.float64), float(sc.get("protective_cap", np.inf))), ind + risk)
    score = np.clip(ind + risk - prot, 0.0, 100.0)

    level_mins = np.array([float(r["min"]) for r in sc["levels"]])
    level_idx = np.searchsorted(level_mins, score + 1e-9, side="right") - 1
    level_idx = np.clip(level_idx, 0, len(level_mins) - 1)
    names = spec.level_names
    dim_index = {d: i for i, d in enumerate(spec.dimensions)}
    for floor in sc.get("level_floors") or []:
        target = names.index(floor["level"])
        when = str(floor["when"])
        if when == "presumed_victim":
            hit = pv
        elif when.startswith("dimension:"):
            hit = dims[:, dim_index[when.split(":", 1)[1]]]
        else:
            raise LanternError(f"unknown level floor condition {when!r}", field="level_floors", record="scoring.yaml")
        level_idx = np.where(hit, np.maximum(level_idx, target), level_idx)

    n_risk = fac[:, 2].astype(np.int32)
    n_prot = fac[:, 3].astype(np.int32)
    vr = spec.vulnerable_rule
    vulnerable = pv.copy()
    if vr.get("any_dimension", True):
        vulnerable |= dims.any(axis=1)
    if vr.get("min_net_risk_factors") is not None:
        vulnerable |= (n_risk - n_prot) >= int(vr["min_net_risk_factors"])

    ids = df["assessment_id"] if "assessment_id" in df.columns else pl.Series("assessment_id", [str(i) for i in range(n)])
    out = {
        "assessment_id": ids,
        "ilo_list": pl.Series(np.array(LISTS)[li]) if n else pl.Series([], dtype=pl.Utf8),
    }
    for i, d in enumerate(spec.dimensions):
        out[f"dim.{d}"] = pl.Series(dims[:, i], dtype=pl.Boolean)
    out.update(
        {
            "presumed_victim": pl.Series(pv, dtype=pl.Boolean),
            "presumed_victim_possible": pl.Series(pv_possible, dtype=pl.Boolean),
            "vulnerable": pl.Series(vulnerable, dtype=pl.Boolean),
            "n_risk_factors": pl.Series(n_risk),
            "n_protective_factors": pl.Series(n_prot),
            "risk_score": pl.Series(np.round(score, 2)),
            "risk_level": pl.Series(np.array(names)[level_idx]) if n else pl.Series([], dtype=pl.Utf8),
            "unknown_answers": pl.Series(n_unknown),
        }
    )
    return pl.DataFrame(out)
