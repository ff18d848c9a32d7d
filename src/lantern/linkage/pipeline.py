"""Link lists end to end: read → features (or encodings) → Splink model → clusters → histories.

The entry points are :func:`link_lists` (returns a :class:`LinkageResult`), :func:`write_outputs`
(the ``lantern link`` output directory) and :func:`link_to_histories` (the contract with
:mod:`lantern.estimation`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from lantern.errors import LanternError
from lantern.linkage.clusters import (
    capture_histories,
    cluster_labels,
    cluster_size_distribution,
    clusters_frame,
    estimated_precision_recall,
    weight_histogram,
)
from lantern.linkage.io import ColumnMap

#: Default match-probability threshold: 0.5, the Bayes decision point for calibrated probabilities
#: (accept a pair when it is more likely a match than not). On FEBRL4 F1 is flat between 0.5 and
#: 0.95; on simulated lists 0.5 beats 0.8 on F1, exact histories and the estimate (docs/linkage.md).
DEFAULT_THRESHOLD = 0.5
#: Thresholds at which the histories (and the estimate, when available) are recomputed.
THRESHOLD_BAND = (0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999)

Progress = Callable[[str], None]


@dataclass
class LinkageResult:
    """Everything one linkage run produced.

    Attributes
    ----------
    records : DataFrame
        ``uid, list, record_id`` for every input record.
    pairs : DataFrame
        Scored pairs ``uid_l, uid_r, match_weight, match_probability`` (probability ≥ 0.001).
    threshold : float
    lists : list of str
        List keys in input order.
    encoded : bool
    lambda_ : float
        Estimated probability that two random records match.
    model : dict
        The trained Splink model (settings with m and u values).
    """

    records: pd.DataFrame
    pairs: pd.DataFrame
    threshold: float
    lists: list[str]
    encoded: bool
    lambda_: float
    model: dict
    engine: str = "duckdb"
    timings: dict = field(default_factory=dict)
    completeness: dict = field(default_factory=dict)

    def labels(self, threshold: float | None = None) -> np.ndarray:
        return cluster_labels(len(self.records), self.pairs, self.threshold if threshold is None else threshold)

    def clusters(self, threshold: float | None = None) -> pd.DataFrame:
        """``list, record_id, person_id`` — every input record once."""
        return clusters_frame(self.records, self.labels(threshold))

    def histories(self, threshold: float | None = None) -> pd.DataFrame:
        return capture_histories(self.clusters(threshold), self.lists)

    def threshold_band(self, thresholds=THRESHOLD_BAND) -> list[dict]:
        """People, histories and (when :mod:`lantern.estimation` is available) the estimate per threshold."""
        rows = []
        for t in sorted(set(thresholds) | {self.threshold}):
            clusters = self.clusters(t)
            hist = capture_histories(clusters, self.lists)
            row = {"threshold": t, "people": int(hist["count"].sum()), **estimated_precision_recall(self.pairs, t)}
            row.update(estimate_from_histories(hist))
            rows.append(row)
        return rows

    def summary(self) -> dict:
        clusters = self.clusters()
        hist = capture_histories(clusters, self.lists)
        return {
            "lists": {k: int(v) for k, v in self.records["list"].value_counts().reindex(self.lists).items()},
            "records": len(self.records),
            "people": int(hist["count"].sum()),
            "threshold": self.threshold,
            "engine": self.engine,
            "encoded": self.encoded,
            "probability_two_random_records_match": self.lambda_,
            "scored_pairs": len(self.pairs),
            **estimated_precision_recall(self.pairs, self.threshold),
            "cluster_sizes": cluster_size_distribution(clusters),
            "match_weight_histogram": weight_histogram(self.pairs),
            "threshold_band": (band := self.threshold_band()),
            "identifier_completeness": self.completeness,
            "warnings": linkage_warnings(self.completeness, band),
            "timings_s": self.timings,
        }


#: a list where more records than this lack a date of birth gets a warning (see :func:`linkage_warnings`)
MISSING_DOB_WARNING = 0.05
#: relative spread of the estimate over thresholds 0.3–0.9 above which the summary warns
ESTIMATE_SPREAD_WARNING = 0.10


def identifier_completeness(features: pd.DataFrame) -> dict:
    """Per list: records and the share lacking a date of birth, a given name, a family name, and
    the share with a 1 January placeholder date (plaintext features or encodings alike)."""
    out = {}
    for name, grp in features.groupby("list", sort=False):
        row: dict[str, float] = {"records": len(grp)}
        for col, label in (("dob", "no_date_of_birth"), ("gn", "no_given_name"), ("fn", "no_family_name")):
            if col in grp.columns:
                row[label] = round(float(grp[col].isna().mean()), 4)
        if "dob_ph" in grp.columns:
            row["placeholder_date_of_birth"] = round(float(grp["dob_ph"].fillna(False).astype(bool).mean()), 4)
        out[str(name)] = row
    return out


def linkage_warnings(completeness: dict, band: list[dict]) -> list[str]:
    """Plain-language warnings for the analyst: lists whose records often lack a date of birth, and
    an estimate that moves a lot with the threshold.

    Missing dates are what linkage cannot repair: two records of namesakes without a date cannot be
    told apart, so links are missed (or false), and every missed link splits a person into two
    single-list "people", which inflates a multiple systems estimate (on simulated lists with 15–25 %
    of dates missing in three of six lists the estimate came out 20–25 % too high; with 1 % missing,
    within 3 %; docs/linkage.md).
    """
    warnings = []
    for name, row in completeness.items():
        share = row.get("no_date_of_birth")
        if share is not None and share > MISSING_DOB_WARNING:
            warnings.append(
                f"{name}: {share:.0%} of records have no date of birth. Namesakes without a date cannot be told apart, "
                "so some links are missed or false; missed links inflate the population estimate.")
    ests = [r["estimate"] for r in band if r.get("estimate") is not None and 0.3 <= r["threshold"] <= 0.9]
    if len(ests) >= 2 and min(ests) > 0 and max(ests) / min(ests) - 1 > ESTIMATE_SPREAD_WARNING:
        warnings.append(
            f"The population estimate moves from {min(ests):,.0f} to {max(ests):,.0f} between thresholds 0.3 and 0.9: "
            "linkage uncertainty is a large part of the estimate's uncertainty; report the range, not one figure.")
    return warnings


def estimate_from_histories(hist: pd.DataFrame) -> dict:
    """The population estimate from ``lantern.estimation`` (default method: stepwise).

    Returns ``{"estimate": float, "estimate_method": str}``, or ``{"estimate": None, "estimate_note": …}``
    when no estimate exists for these histories (the reason is the note).
    """
    from lantern.estimation import estimate

    try:
        res = estimate(hist)
    except LanternError as exc:
        return {"estimate": None, "estimate_note": str(exc)}
    return {"estimate": float(res.estimate), "estimate_method": res.method}


def link_lists(
    paths: list[str | Path],
    *,
    columns: ColumnMap | None = None,
    threshold: float | None = None,
    engine: str = "duckdb",
    encoded: bool = False,
    secret: bytes | None = None,
    seed: int = 42,
    progress: Progress | None = None,
    spark=None,
) -> LinkageResult:
    """Link and deduplicate the lists at ``paths`` in one unsupervised model.

    Parameters
    ----------
    paths : list of paths
        Plain lists (CSV/Parquet) or, with ``encoded=True``, files from :func:`lantern.linkage.bloom.encode_list`.
    columns : ColumnMap, optional
        Column roles (plain lists only; the default fits the simulator's lists).
    threshold : float, optional
        Match probability at or above which a pair is the same person (default :data:`DEFAULT_THRESHOLD`).
    engine : {"duckdb", "spark"}
    encoded : bool
        Link Bloom-filter encodings (privacy-preserving mode). Plain and encoded lists cannot be mixed.
    secret : bytes, optional
        With ``encoded=True``, checked against the lists' key fingerprint if given (the linker
        does not need it).
    seed : int
        Seed for the random sampling of *u* probabilities.
    """
    import time

    from lantern.linkage.model import ENGINES, train_and_score

    threshold = DEFAULT_THRESHOLD if threshold is None else float(threshold)
    if not 0.0 < threshold < 1.0:
        raise LanternError("the threshold is a match probability strictly between 0 and 1", field="threshold", record=str(threshold))
    if engine not in ENGINES:
        raise LanternError(f"unknown engine; choose one of {', '.join(ENGINES)}", field="engine", record=str(engine))
    say = progress or (lambda _msg: None)
    timings = {}
    t0 = time.perf_counter()
    say("reading lists")
    if encoded:
        from lantern.linkage.bloom import check_secret, read_encoded

        features, meta = read_encoded(paths)
        if secret is not None:
            check_secret(meta, secret)
    else:
        from lantern.linkage.features import prepare_features
        from lantern.linkage.io import read_lists

        raw, roles = read_lists(paths, columns)
        say("normalising names and dates")
        features = prepare_features(raw, roles)
    timings["prepare"] = round(time.perf_counter() - t0, 2)
    lists = list(dict.fromkeys(features["list"]))
    say(f"training and scoring on {engine}")
    t1 = time.perf_counter()
    trained = train_and_score(features, engine=engine, seed=seed, spark=spark)
    timings["train_and_score"] = round(time.perf_counter() - t1, 2)
    timings.update({f"splink_{k}": v for k, v in trained.stages.items()})
    return LinkageResult(
        records=features[["uid", "list", "record_id"]].copy(),
        pairs=trained.pairs,
        threshold=threshold,
        lists=lists,
        encoded=encoded,
        lambda_=trained.lambda_,
        model=trained.model_json,
        engine=engine,
        timings=timings,
        completeness=identifier_completeness(features),
    )


def write_outputs(result: LinkageResult, out: str | Path, *, report: str | Path | None = None) -> dict:
    """Write ``clusters.csv``, ``histories.csv``, ``pairs.parquet``, ``model.json`` and ``summary.json``.

    The files are written to a temporary directory next to ``out`` and moved into place only
    when all are complete, so a failure leaves nothing half-written.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".lantern-link-", dir=out.parent))
    try:
        clusters = result.clusters()
        clusters.to_csv(tmp / "clusters.csv", index=False)
        capture_histories(clusters, result.lists).to_csv(tmp / "histories.csv", index=False)
        ids = result.records.set_index("uid")
        pairs = result.pairs.copy()
        for side in ("l", "r"):
            pairs[f"list_{side}"] = ids["list"].to_numpy()[pairs[f"uid_{side}"].to_numpy()]
            pairs[f"record_id_{side}"] = ids["record_id"].to_numpy()[pairs[f"uid_{side}"].to_numpy()]
        pairs = pairs[["list_l", "record_id_l", "list_r", "record_id_r", "match_weight", "match_probability"]]
        pairs.to_parquet(tmp / "pairs.parquet", index=False)
        (tmp / "model.json").write_text(json.dumps(result.model, indent=1, default=str))
        summary = result.summary()
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
        if report is not None:
            from lantern.linkage.report import render_report

            (tmp / "report.html").write_text(render_report(summary), encoding="utf-8")
        out.mkdir(parents=True, exist_ok=True)
        for f in tmp.iterdir():
            if f.name == "report.html":
                continue
            os.replace(f, out / f.name)
        if report is not None:
            Path(report).parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(tmp / "report.html"), str(report))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return summary


def link_to_histories(paths: list[str | Path], *, threshold: float | None = None, engine: str = "duckdb",
                      columns: ColumnMap | None = None, encoded: bool = False) -> pd.DataFrame:
    """Link the lists and return capture histories: one 0/1 column per list and ``count``.

    This is the input format of :mod:`lantern.estimation` (``lantern estimate --from-lists``).
    Encoded lists (``.enc`` files from ``lantern link encode``) are detected by their metadata.
    """
    if not encoded and paths and all(_is_encoded(p) for p in paths):
        encoded = True
    result = link_lists(paths, threshold=threshold, engine=engine, columns=columns, encoded=encoded)
    return result.histories()


def _is_encoded(path: str | Path) -> bool:
    try:
        import pyarrow.parquet as pq

        from lantern.linkage.bloom import METADATA_KEY

        return METADATA_KEY in (pq.read_schema(path).metadata or {})
    except Exception:
        return False


def evaluate_against_truth(result: LinkageResult, truth: pd.DataFrame | str | Path) -> dict:
    """Measured accuracy when the truth is known (simulated lists): pairwise precision/recall/F1,
    the share of people with their exact true capture history, and the estimate from the linked
    versus the true histories (when :mod:`lantern.estimation` is available).

    ``truth`` is the simulator's ``truth/records.parquet`` (``list, record_id, person_id``) or a frame.
    """
    from lantern.linkage.clusters import exact_history_share, pairwise_accuracy

    if not isinstance(truth, pd.DataFrame):
        truth = pd.read_parquet(truth) if str(truth).endswith(".parquet") else pd.read_csv(truth, dtype=str)
    key = truth[["list", "record_id", "person_id"]].astype({"list": str, "record_id": str})
    merged = result.records.merge(key, on=["list", "record_id"], how="left", validate="one_to_one")
    if merged["person_id"].isna().any():
        raise LanternError(f"{int(merged['person_id'].isna().sum())} linked records are not in the truth file",
                           field="record_id", record="truth")
    labels = result.labels()
    true_labels = merged["person_id"].astype(str).to_numpy()
    out = pairwise_accuracy(labels, true_labels)
    out["exact_history_share"] = exact_history_share(labels, true_labels)
    true_clusters = pd.DataFrame({"list": merged["list"], "record_id": merged["record_id"], "person_id": true_labels})
    linked = estimate_from_histories(result.histories())
    true_est = estimate_from_histories(capture_histories(true_clusters, result.lists))
    out["estimate_linked"] = linked.get("estimate")
    out["estimate_true_histories"] = true_est.get("estimate")
    if out["estimate_linked"] is not None and out["estimate_true_histories"]:
        out["estimate_relative_difference"] = out["estimate_linked"] / out["estimate_true_histories"] - 1
    out["people_linked"] = int(len(np.unique(labels)))
    out["people_true"] = int(len(np.unique(true_labels)))
    return out
