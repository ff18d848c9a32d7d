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

import contextlib
from typing import Any

import numpy as np
import polars as pl

from lantern.errors import LanternError, Problem
from lantern.screening.guard import assert_no_protected
from lantern.screening.spec import GRADES, LISTS, ScreeningSpec, load, spec_for

_CHUNK = 65_536
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
        # float columns: whole numbers only (integer columns are range-checked on the int8 codes)
        floats = [c for c in present if df.schema[c].is_float()]
        if floats:
            frac = df.select([(pl.col(c) != pl.col(c).round()).any().alias(c) for c in floats]).row(0)
            problems += locate_bad_values(df, [c for c, f in zip(floats, frac, strict=True) if f])
        if problems:
            raise LanternError(problems)
    return present


def locate_bad_values(df: pl.DataFrame, columns: list[str]) -> list[Problem]:
    """Problems naming the first rows of each column whose answer is not 1 / 0 / null."""
    problems: list[Problem] = []
    for col in columns:
        if len(problems) >= _MAX_PROBLEMS:
            break
        bad = (df[col].is_not_null() & ~df[col].cast(pl.Float64).is_in([0.0, 1.0])).to_numpy()
        rows = np.flatnonzero(bad)[:3].tolist()
        for rid, r in zip(_rid(df, rows), rows, strict=True):
            problems.append(Problem(f"answer must be 1 (yes), 0 (no) or empty (unknown), got {df[col][r]!r}",
                                    field=col, record=rid))
    return problems


def answer_codes(df: pl.DataFrame, present: list[str]) -> np.ndarray:
    """The answers as an int8 matrix: 1 yes, 0 no, -1 unknown; any other value is refused."""
    if not present:
        return np.zeros((df.height, 0), dtype=np.int8)
    try:
        codes = df.select([pl.col(c).cast(pl.Int8).fill_null(-1) for c in present]).to_numpy()
    except pl.exceptions.PolarsError:  # a value that does not fit int8
        codes = None
    if codes is not None:
        # -1 marks a null; an answer of -1 in the input would show as more -1 codes than nulls
        nulls = np.array(df.select([pl.col(c).null_count() for c in present]).row(0))
        wrong = (np.asarray(((codes > 1) | (codes < -1)).any(axis=0)) | ((codes == -1).sum(axis=0) != nulls)).tolist()
        if not any(wrong):
            return codes
        columns = [c for c, w in zip(present, wrong, strict=True) if w]
    else:
        columns = present
    raise LanternError(locate_bad_values(df, columns) or [Problem("answers must be 1, 0 or empty", record="assessments")])


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


# -- the packed matrix -------------------------------------------------------------------------------
# Each answer becomes one float32: "no" 0, "yes" _BASE, unknown 1. One matrix product then gives, in
# every output column, _BASE × (weighted "yes" total) + (weighted unknown total); both totals are small
# integers, so float32 holds them exactly (checked in _matrix).
_BASE = 4096.0
_SHIFT = 12  # log2(_BASE)
_MASK = 4095


def _packed(block: np.ndarray) -> np.ndarray:
    """int8 codes (1 yes, 0 no, -1 unknown) → float32 (_BASE, 0, 1): v · (2048.5 v + 2047.5), exact."""
    v = block.astype(np.float32)
    return v * (np.float32(2048.5) * v + np.float32(2047.5))


def _matrix(spec: ScreeningSpec, present: list[str]) -> np.ndarray:
    """(answers present × outputs): counts per (list, dimension, grade), then factor points and counts."""
    codes = spec.grade_codes()  # lists × indicators
    n_dims, n_lists = len(spec.dimensions), len(LISTS)
    ind_pos = {i.id: j for j, i in enumerate(spec.indicators)}
    fac_pos = {f.id: j for j, f in enumerate(spec.factors)}
    dim_index = {d: i for i, d in enumerate(spec.dimensions)}
    n_count = n_lists * n_dims * 3
    mat = np.zeros((len(present), n_count + 5), dtype=np.float32)
    mat[:, n_count + 4] = 1.0  # every answer: the unknown part of this column counts the unknowns
    for row, col in enumerate(present):
        if col in ind_pos:
            j = ind_pos[col]
            d = dim_index[spec.indicators[j].dimension]
            for li in range(n_lists):
                g = int(codes[li, j])
                if g < 3:
                    mat[row, (li * n_dims + d) * 3 + g] = 1.0
        else:
            f = spec.factors[fac_pos[col]]
            p = spec.factor_points(f)
            if p != round(p) or abs(p) > 64:
                raise LanternError("factor points must be whole numbers between -64 and 64", field=f.id,
                                   record="scoring.yaml")
            if f.kind == "risk":
                mat[row, n_count], mat[row, n_count + 2] = p, 1.0
            else:
                mat[row, n_count + 1], mat[row, n_count + 3] = -p, 1.0
    if len(present) and float(np.abs(mat).sum(axis=0).max()) >= _BASE:  # keeps both totals exact in float32
        raise LanternError("the weights are too large for the packed computation", record="scoring.yaml")
    return mat


def _blas_single_thread() -> Any:
    """Limit BLAS to one thread (threadpoolctl, shipped with scikit-learn) for the chunked products."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def _rule_table(rule: Any) -> tuple[np.ndarray, int]:
    """The dimension rule tabulated on counts clipped at its largest threshold (exact for any counts)."""
    clauses = rule["any_of"] if isinstance(rule, dict) else rule
    top = max(int(v) for clause in clauses for v in clause.values())
    r = np.arange(top + 1)
    s, m, w = np.meshgrid(r, r, r, indexing="ij")
    return np.asarray(dimension_present(rule, s, m, w), dtype=bool).ravel(), top


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
        ``risk_score`` (0–100), ``risk_score_max`` (the score if every unknown indicator and risk factor
        were "yes"), ``risk_level`` (low|medium|high|urgent), ``unknown_answers`` (int).

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
    mat = _matrix(spec, present)
    n_count = n_lists * n_dims * 3
    tail = np.arange(n_count, n_count + 5)
    list_mats = [
        np.ascontiguousarray(mat[:, np.r_[np.arange(i * n_dims * 3, (i + 1) * n_dims * 3), tail]])
        for i in range(n_lists)
    ]
    missing = [c for c in spec.answer_ids if c not in present]
    missing_unknown = np.zeros(n_count, dtype=np.int32)
    if missing:
        missing_ind = [c for c in missing if c in set(spec.indicator_ids)]
        missing_unknown = _matrix(spec, missing_ind)[:, :n_count].sum(axis=0).astype(np.int32)
    missing_fac = [c for c in missing if c not in set(spec.indicator_ids)]
    missing_risk_pts = float(_matrix(spec, missing_fac)[:, n_count].sum()) if missing_fac else 0.0
    table, top = _rule_table(spec.rule["dimension_rule"])
    radix = top + 1
    roles = spec.dimension_roles
    sc = spec.scoring
    grade_pts = np.array([spec.indicator_points(g) for g in GRADES])
    dim_cap = float(sc.get("dimension_cap", np.inf))
    ind_cap = float(sc.get("indicators_cap", np.inf))
    risk_cap = float(sc.get("risk_factors_cap", np.inf))
    prot_cap = float(sc.get("protective_cap", np.inf))
    parts = [spec.rule["child" if name.startswith("child") else "adult"] for name in LISTS]

    dims = np.zeros((n, n_dims), dtype=bool)
    pv = np.zeros(n, dtype=bool)
    pv_possible = np.zeros(n, dtype=bool)
    score = np.zeros(n, dtype=np.float64)
    score_max = np.zeros(n, dtype=np.float64)
    n_risk = np.zeros(n, dtype=np.int32)
    n_prot = np.zeros(n, dtype=np.int32)
    n_unknown = np.full(n, len(missing), dtype=np.int32)
    codes = np.ascontiguousarray(answer_codes(df, present))

    def lookup(c: np.ndarray) -> np.ndarray:
        cl = np.minimum(c, top)
        return table[(cl[..., 0] * radix + cl[..., 1]) * radix + cl[..., 2]]

    # skinny products on chunks: one BLAS thread avoids spinning threads on a busy machine
    with _blas_single_thread() if n >= 50_000 else contextlib.nullcontext():
        for start in range(0, n, _CHUNK):
            stop = min(n, start + _CHUNK)
            m = stop - start
            lic = li[start:stop]
            # one product per list present in the chunk, on that list's columns only
            per = n_dims * 3
            yes = np.zeros((m, per + 5), dtype=np.int32)
            unk = np.zeros((m, per + 5), dtype=np.int32)
            block = codes[start:stop]
            if present:
                for idx in range(n_lists):
                    sel = np.flatnonzero(lic == idx)
                    if not sel.size:
                        continue
                    sub = block if sel.size == m else block[sel]
                    out = (_packed(sub) @ list_mats[idx]).astype(np.int32)  # exact: whole numbers < 2**24
                    yes[sel] = out >> _SHIFT
                    unk[sel] = out & _MASK
                n_unknown[start:stop] += unk[:, per + 4]
            c_app = yes[:, :per].reshape(m, n_dims, 3)  # m × dims × grades, on the list that applies
            u_app = c_app + unk[:, :per].reshape(m, n_dims, 3) + missing_unknown.reshape(n_lists, n_dims, 3)[lic]
            present_app = lookup(c_app)
            possible_app = lookup(u_app)
            flags = {d: present_app[:, i] for i, d in enumerate(spec.dimensions)}
            flags_pos = {d: possible_app[:, i] for i, d in enumerate(spec.dimensions)}
            is_child = lic >= 2
            pv_c = np.where(is_child, presumed(spec.rule["child"], flags, roles), presumed(spec.rule["adult"], flags, roles))
            pos_c = np.where(is_child, presumed(spec.rule["child"], flags_pos, roles),
                             presumed(spec.rule["adult"], flags_pos, roles))
            # rows whose age or suspected form is unknown: the other lists count towards "could be"
            multi = np.flatnonzero(cand[start:stop].sum(axis=1) > 1)
            if multi.size:
                if present:
                    out = (_packed(block[multi]) @ mat[:, :n_count]).astype(np.int32)
                else:
                    out = np.zeros((multi.size, n_count), dtype=np.int32)
                c4 = (out >> _SHIFT).reshape(-1, n_lists, n_dims, 3)
                u4 = (out & _MASK).reshape(-1, n_lists, n_dims, 3)
                u_all = c4 + u4 + missing_unknown.reshape(n_lists, n_dims, 3)
                possible_all = lookup(u_all)  # k × lists × dims
                for idx in range(n_lists):
                    ok = cand[start:stop][multi, idx]
                    flags = {d: possible_all[:, idx, i] for i, d in enumerate(spec.dimensions)}
                    pos_c[multi] |= ok & presumed(parts[idx], flags, roles)
            dims[start:stop] = present_app
            pv[start:stop] = pv_c
            pv_possible[start:stop] = pv_c | pos_c
            # transparent score
            raw = c_app @ grade_pts  # m × dims
            ind = np.minimum(np.minimum(raw, dim_cap).sum(axis=1), ind_cap)
            fac = yes[:, per:]
            risk = np.minimum(fac[:, 0], risk_cap)
            prot = np.minimum(np.minimum(fac[:, 1], prot_cap), ind + risk)
            score[start:stop] = np.clip(ind + risk - prot, 0.0, 100.0)
            # the score if every unknown indicator and risk factor were "yes" (unknown protective: "no")
            ind_max = np.minimum(np.minimum(u_app @ grade_pts, dim_cap).sum(axis=1), ind_cap)
            risk_max = np.minimum(fac[:, 0] + unk[:, per] + missing_risk_pts, risk_cap)
            prot_max = np.minimum(np.minimum(fac[:, 1], prot_cap), ind_max + risk_max)
            score_max[start:stop] = np.clip(ind_max + risk_max - prot_max, 0.0, 100.0)
            n_risk[start:stop] = fac[:, 2]
            n_prot[start:stop] = fac[:, 3]

    level_mins = np.array([float(r["min"]) for r in sc["levels"]])
    level_idx = np.clip(np.searchsorted(level_mins, score + 1e-9, side="right") - 1, 0, len(level_mins) - 1)
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

    vr = spec.vulnerable_rule
    vulnerable = pv.copy()
    if vr.get("any_dimension", True):
        vulnerable |= dims.any(axis=1)
    if vr.get("min_net_risk_factors") is not None:
        vulnerable |= (n_risk - n_prot) >= int(vr["min_net_risk_factors"])

    ids = df["assessment_id"] if "assessment_id" in df.columns else pl.Series("assessment_id", [str(i) for i in range(n)])
    out = {
        "assessment_id": ids,
        "ilo_list": pl.Series(LISTS, dtype=pl.Utf8).gather(li),
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
            "risk_score_max": pl.Series(np.round(score_max, 2)),
            "risk_level": pl.Series(names, dtype=pl.Utf8).gather(level_idx),
            "unknown_answers": pl.Series(n_unknown),
        }
    )
    return pl.DataFrame(out)
