"""Evaluation of the risk score on labelled data (such as the simulator's output).

:func:`evaluate` reports discrimination (AUC with a DeLong confidence interval), sensitivity and
specificity at each level's cut-off, the Brier score, a calibration curve and the expected calibration
error, overall and per subgroup (sex, age band, citizenship region) to show whether the score treats
groups alike. Citizenship is read here only to form subgroups; it is never an input of the score.

Caveats
-------
Validated on synthetic data only until an agency validates it on its own data. The transparent score is
not a probability: with ``method="score"`` the Brier score and calibration read ``score / 100`` as one,
which shows how far the points are from probabilities; ``method="model"`` fits the calibrated
:class:`~lantern.screening.model.RiskModel` on one half of the people and evaluates it on the other.

References
----------
DeLong, E. R., DeLong, D. M. & Clarke-Pearson, D. L. (1988). Comparing the areas under two or more
correlated receiver operating characteristic curves: a nonparametric approach. Biometrics 44, 837–845.
Sun, X. & Xu, W. (2014). Fast implementation of DeLong's algorithm. IEEE Signal Processing Letters 21.
Naeini, M. P., Cooper, G. & Hauskrecht, M. (2015). Obtaining well calibrated probabilities using Bayesian
binning. AAAI (expected calibration error).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from lantern.errors import LanternError, Problem
from lantern.screening.batch import screen_batch
from lantern.screening.spec import spec_for

LABEL_CANDIDATES = ("exploited", "is_exploited", "victim", "label")


def delong_auc(y: np.ndarray, score: np.ndarray) -> tuple[float, float]:
    """AUC and its DeLong variance (fast midrank algorithm of Sun & Xu 2014)."""
    from scipy.stats import rankdata

    y = np.asarray(y).astype(bool)
    score = np.asarray(score, dtype=float)
    pos, neg = score[y], score[~y]
    m, n = len(pos), len(neg)
    if m == 0 or n == 0:
        return float("nan"), float("nan")
    tx = rankdata(pos)
    ty = rankdata(neg)
    tz = rankdata(np.concatenate([pos, neg]))
    auc = (tz[:m].sum() - m * (m + 1) / 2) / (m * n)
    v01 = (tz[:m] - tx) / n
    v10 = 1.0 - (tz[m:] - ty) / m
    sx = np.var(v01, ddof=1) if m > 1 else 0.0
    sy = np.var(v10, ddof=1) if n > 1 else 0.0
    return float(auc), float(sx / m + sy / n)


def auc_ci(y: np.ndarray, score: np.ndarray, level: float = 0.95) -> tuple[float, list[float]]:
    """AUC with a DeLong confidence interval (normal approximation, clipped to [0, 1])."""
    from scipy.stats import norm

    auc, var = delong_auc(y, score)
    if not np.isfinite(auc):
        return auc, [float("nan"), float("nan")]
    half = float(norm.ppf(0.5 + level / 2)) * float(np.sqrt(max(var, 0.0)))
    return auc, [max(0.0, auc - half), min(1.0, auc + half)]


def calibration(y: np.ndarray, prob: np.ndarray, bins: int = 10) -> tuple[float, list[dict[str, float]]]:
    """Expected calibration error (equal-width bins, weighted by size) and the calibration curve."""
    y = np.asarray(y, dtype=float)
    prob = np.clip(np.asarray(prob, dtype=float), 0.0, 1.0)
    idx = np.minimum((prob * bins).astype(int), bins - 1)
    curve, ece = [], 0.0
    for b in range(bins):
        sel = idx == b
        k = int(sel.sum())
        if not k:
            continue
        mp, fp = float(prob[sel].mean()), float(y[sel].mean())
        ece += k / len(y) * abs(mp - fp)
        curve.append({"bin": b, "lower": b / bins, "upper": (b + 1) / bins, "n": k, "mean_predicted": mp,
                      "fraction_positive": fp})
    return float(ece), curve


def _metrics(y: np.ndarray, prob: np.ndarray, level_rank: np.ndarray, level_names: list[str], bins: int,
             *, detail: bool) -> dict[str, Any]:
    n = len(y)
    pos = int(y.sum())
    out: dict[str, Any] = {"n": n, "positives": pos, "prevalence": pos / n if n else float("nan")}
    if n and 0 < pos < n:
        auc, ci = auc_ci(y, prob)
    else:
        auc, ci = float("nan"), [float("nan"), float("nan")]
    out["auc"], out["auc_ci"] = auc, ci
    out["brier"] = float(np.mean((prob - y) ** 2)) if n else float("nan")
    ece, curve = calibration(y, prob, bins) if n else (float("nan"), [])
    out["ece"] = ece
    if detail:
        out["calibration_curve"] = curve
    out["mean_score"] = float(prob.mean() * 100) if n else float("nan")
    levels = []
    for rank, name in enumerate(level_names[1:], start=1):
        flagged = level_rank >= rank
        tp = int((flagged & (y == 1)).sum())
        tn = int((~flagged & (y == 0)).sum())
        fp = int((flagged & (y == 0)).sum())
        levels.append({
            "level": name, "cutoff": f">= {name}", "flagged": int(flagged.sum()),
            "sensitivity": tp / pos if pos else float("nan"),
            "specificity": tn / (n - pos) if n - pos else float("nan"),
            "ppv": tp / (tp + fp) if tp + fp else float("nan"),
        })
    out["levels"] = levels
    return out


def _age_band(age: pl.Series, bands: list[list[Any]]) -> list[str]:
    values = age.cast(pl.Float64).to_list()
    out = []
    for a in values:
        if a is None or a != a:
            out.append("unknown")
            continue
        out.append(next((str(lbl) for lo, hi, lbl in bands if lo <= a <= hi), "unknown"))
    return out


def citizenship_regions(codes: pl.Series, spec: Any) -> list[str]:
    """Map ISO alpha-2 citizenship to the evaluation regions of ``scoring.yaml`` (subgroups only)."""
    ev = spec.scoring.get("evaluation") or {}
    lookup = {c: region for region, cs in (ev.get("citizenship_regions") or {}).items() for c in cs}
    eu = set(ev.get("eu_eea") or [])
    out = []
    for c in codes.cast(pl.Utf8).to_list():
        if c is None:
            out.append("unknown")
        elif c in eu:
            out.append("eu_eea")
        else:
            out.append(lookup.get(c, "other_non_eu"))
    return out


def evaluate(assessments: Any, truth: Any, *, label: str | None = None, method: str = "score",
             standard: Any = None, seed: int = 0, min_group: int = 30) -> dict[str, Any]:
    """Evaluate the risk score (or the fitted model) against known labels.

    Parameters
    ----------
    assessments : polars.DataFrame
        Flat assessments with ``subject_ref``.
    truth : polars.DataFrame
        One row per person with ``person_id`` and the label column.
    label : str, optional
        Label column of ``truth`` (default: the first of ``exploited``, ``is_exploited``, ``victim``, ``label``).
    method : {"score", "model"}
        ``score``: the transparent score; ``model``: a :class:`RiskModel` fitted on half of the people
        (split by person, seeded) and evaluated on the other half.
    min_group : int
        Subgroups smaller than this are reported with counts only (no AUC / calibration).

    Returns
    -------
    dict
        ``n``, ``positives``, ``prevalence``, ``auc``, ``auc_ci``, ``brier``, ``ece``,
        ``calibration_curve``, ``levels`` (sensitivity / specificity at each level's cut-off),
        ``subgroups`` (by ``sex``, ``age_band``, ``citizenship_region``), ``method``, ``caveat``.
    """
    if method not in ("score", "model"):
        raise LanternError("method must be 'score' or 'model'", field="method")
    for name, frame, col in (("assessments", assessments, "subject_ref"), ("truth", truth, "person_id")):
        if col not in frame.columns:
            raise LanternError("required column is missing", field=col, record=name)
    if label is None:
        label = next((c for c in LABEL_CANDIDATES if c in truth.columns), None)
        if label is None:
            raise LanternError(f"no label column; expected one of {', '.join(LABEL_CANDIDATES)}", field="label",
                               record="truth")
    elif label not in truth.columns:
        raise LanternError("label column is missing", field=label, record="truth")
    keep = ["person_id", label] + [c for c in ("sex", "age", "citizenship") if c in truth.columns and c not in assessments.columns]
    lab = truth.select(keep).unique("person_id").rename({label: "_label"})
    joined = assessments.join(lab, left_on="subject_ref", right_on="person_id", how="left")
    if joined["_label"].null_count() == joined.height:
        raise LanternError("no assessment's subject_ref matches a person_id of the truth", field="subject_ref",
                           record="assessments")
    unmatched = int(joined["_label"].null_count())
    joined = joined.filter(pl.col("_label").is_not_null())
    spec = spec_for(standard) if standard is not None else None
    screened = screen_batch(joined.drop([c for c in joined.columns if c == "_label" or c.startswith("_")]),
                            standard=standard)
    spec = spec or spec_for(None)
    y = joined["_label"].cast(pl.Int8).to_numpy().astype(int)
    names = spec.level_names
    level_rank = np.array([names.index(v) for v in screened["risk_level"].to_list()], dtype=int)
    if method == "score":
        prob = screened["risk_score"].to_numpy() / 100.0
        sel = np.ones(len(y), dtype=bool)
    else:
        from lantern.screening.model import RiskModel

        people = joined["subject_ref"].unique().sort().to_numpy()
        rng = np.random.default_rng(seed)
        test_people = set(rng.choice(people, size=len(people) // 2, replace=False).tolist())
        sel = np.array([p in test_people for p in joined["subject_ref"].to_list()])
        model = RiskModel(seed=seed, standard=standard).fit(joined.filter(pl.Series(~sel)), y[~sel])
        prob = np.zeros(len(y))
        prob[sel] = model.predict_proba(joined.filter(pl.Series(sel)))
        # levels for the model: same level bands on 100 × probability
        mins = np.array([float(r["min"]) for r in spec.scoring["levels"]])
        level_rank = np.clip(np.searchsorted(mins, prob * 100 + 1e-9, side="right") - 1, 0, len(mins) - 1)
    bins = int((spec.scoring.get("evaluation") or {}).get("calibration_bins", 10))
    y_s, p_s, r_s = y[sel], prob[sel], level_rank[sel]
    report = _metrics(y_s, p_s, r_s, names, bins, detail=True)
    ev = spec.scoring.get("evaluation") or {}
    groups = {
        "sex": joined["sex"].cast(pl.Utf8).fill_null("unknown").to_list() if "sex" in joined.columns else None,
        "age_band": _age_band(joined["age"], ev.get("age_bands") or [[0, 17, "0-17"], [18, 150, "18+"]])
        if "age" in joined.columns else None,
        "citizenship_region": citizenship_regions(joined["citizenship"], spec) if "citizenship" in joined.columns else None,
    }
    subgroups: dict[str, list[dict[str, Any]]] = {}
    for key, values in groups.items():
        if values is None:
            continue
        arr = np.array(values, dtype=object)[sel]
        rows = []
        for value in sorted(set(arr.tolist())):
            g = arr == value
            if g.sum() >= min_group:
                m = _metrics(y_s[g], p_s[g], r_s[g], names, bins, detail=False)
            else:
                m = {"n": int(g.sum()), "positives": int(y_s[g].sum()), "note": f"fewer than {min_group}: no metrics"}
            rows.append({"group": value, **m})
        subgroups[key] = rows
    report.update({
        "method": method, "label": label, "unmatched_assessments": unmatched, "subgroups": subgroups,
        "standard_version": spec.version,
        "caveat": "Validated on synthetic data only until an agency validates it on its own data. "
                  + ("The transparent score is read as a probability (score / 100) for Brier and calibration."
                     if method == "score" else "Model fitted on half of the people, evaluated on the other half."),
    })
    return report


def read_simulation(data: str | Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Read ``DIR/assessments.parquet`` (or ``.csv``) and ``DIR/truth/people.parquet`` (or ``.csv``)."""
    root = Path(data)
    problems = []
    found = {}
    for key, stem in (("assessments", root / "assessments"), ("people", root / "truth" / "people")):
        for ext, reader in ((".parquet", pl.read_parquet), (".csv", lambda p: pl.read_csv(p, infer_schema_length=10000))):
            path = stem.with_suffix(ext)
            if path.exists():
                try:
                    found[key] = reader(path)
                except Exception as exc:
                    problems.append(Problem(f"cannot be read: {exc}", record=str(path)))
                break
        else:
            problems.append(Problem("file not found (.parquet or .csv)", record=str(stem)))
    if problems:
        raise LanternError(problems)
    return found["assessments"], found["people"]


def report_html(report: dict[str, Any]) -> str:
    """A self-contained HTML evaluation report (inline SVG calibration plot, no external resources)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    fig, ax = plt.subplots(figsize=(4.2, 4.2))
    curve = report.get("calibration_curve") or []
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1)
    ax.plot([c["mean_predicted"] for c in curve], [c["fraction_positive"] for c in curve], marker="o")
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("observed fraction exploited")
    ax.set_title("Calibration")
    buf = io.StringIO()
    fig.tight_layout()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    plt.close(fig)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    env = Environment(loader=FileSystemLoader(str(Path(__file__).parent / "templates")),
                      autoescape=select_autoescape(["html"]))
    return env.get_template("evaluation.html").render(r=report, svg=svg)
