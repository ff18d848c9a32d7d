"""From scored pairs to people, capture histories, diagnostics and accuracy against a known truth.

Clustering is the transitive closure of the accepted pairs (connected components, with
:func:`scipy.sparse.csgraph.connected_components`): two records belong to the same person when a
chain of pairs at or above the threshold joins them. It is the rule Splink applies
(``cluster_pairwise_predictions_at_threshold``); doing it on the pair table in memory lets a whole
band of thresholds be evaluated without re-scoring.

Caveat: transitive closure can chain distinct people through one bad link; the cluster-size
diagnostics show when that happens (a few very large clusters).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def cluster_labels(n_records: int, pairs: pd.DataFrame, threshold: float) -> np.ndarray:
    """Component label per record (0..n_records-1) using pairs with ``match_probability ≥ threshold``."""
    keep = pairs["match_probability"].to_numpy() >= threshold
    left = pairs["uid_l"].to_numpy()[keep]
    right = pairs["uid_r"].to_numpy()[keep]
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n_records, n_records))
    _, labels = connected_components(graph, directed=False)
    return labels


def clusters_frame(records: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """``list, record_id, person_id``: every record once; person ids ``P000001``… in order of first record."""
    _, first = np.unique(labels, return_index=True)
    order = np.argsort(np.argsort(first))  # rank of each label by first appearance
    lookup = np.empty(labels.max() + 1, dtype=np.int64)
    lookup[np.unique(labels)] = order
    pid = lookup[labels] + 1
    width = max(6, len(str(pid.max())))
    return pd.DataFrame({
        "list": records["list"].to_numpy(),
        "record_id": records["record_id"].to_numpy(),
        "person_id": [f"P{p:0{width}d}" for p in pid],
    })


def capture_histories(clusters: pd.DataFrame, lists: list[str]) -> pd.DataFrame:
    """Capture histories in the input format of :mod:`lantern.estimation`.

    One row per observed pattern: a 0/1 column per list (in the order given) and ``count``, the
    number of people with that pattern. A person on a list several times (within-list duplicates)
    counts once for that list.
    """
    present = (
        clusters.assign(v=1)
        .pivot_table(index="person_id", columns="list", values="v", aggfunc="max", fill_value=0)
        .reindex(columns=lists, fill_value=0)
        .astype(int)
    )
    hist = present.value_counts().rename("count").reset_index()
    hist = hist.sort_values(lists, ascending=False).reset_index(drop=True)
    hist.columns.name = None
    return hist[[*lists, "count"]]


def weight_histogram(pairs: pd.DataFrame, bins: int = 30) -> list[dict]:
    """Histogram of match weights (log2 Bayes factors) of the scored pairs."""
    if pairs.empty:
        return []
    counts, edges = np.histogram(pairs["match_weight"].to_numpy(), bins=bins)
    return [{"from": float(a), "to": float(b), "pairs": int(c)} for a, b, c in zip(edges[:-1], edges[1:], counts, strict=True)]


def cluster_size_distribution(clusters: pd.DataFrame) -> dict[int, int]:
    """Number of people (clusters) per cluster size."""
    sizes = clusters.groupby("person_id").size()
    return {int(k): int(v) for k, v in sizes.value_counts().sort_index().items()}


def estimated_precision_recall(pairs: pd.DataFrame, threshold: float) -> dict:
    """Model-based precision and recall of the accepted pairs (no truth needed).

    Expected true matches among accepted pairs = Σ p over accepted pairs; precision = that / number
    accepted; recall = that / Σ p over all scored pairs. Assumes calibrated match probabilities
    and ignores true pairs that blocking never scored, so it is optimistic — compare with the
    measured figures on simulated data.
    """
    p = pairs["match_probability"].to_numpy()
    acc = p >= threshold
    exp_tp = float(p[acc].sum())
    total = float(p.sum())
    return {
        "accepted_pairs": int(acc.sum()),
        "estimated_precision": exp_tp / acc.sum() if acc.any() else None,
        "estimated_recall": exp_tp / total if total > 0 else None,
    }


def _pairs_within(groups: np.ndarray) -> int:
    _, counts = np.unique(groups, return_counts=True)
    return int((counts * (counts - 1) // 2).sum())


def pairwise_accuracy(predicted: np.ndarray, truth: np.ndarray) -> dict:
    """Pairwise precision, recall and F1 of a clustering against the true person of each record.

    ``predicted`` and ``truth`` are labels per record (same order). A pair counts as predicted
    when both records are in one cluster, as true when they are the same person.
    """
    pred_codes = pd.factorize(predicted)[0]
    true_codes = pd.factorize(truth)[0]
    joint = pred_codes.astype(np.int64) * (true_codes.max() + 1) + true_codes
    tp = _pairs_within(joint)
    npred = _pairs_within(pred_codes)
    ntrue = _pairs_within(true_codes)
    precision = tp / npred if npred else 1.0
    recall = tp / ntrue if ntrue else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_pairs": ntrue, "predicted_pairs": npred, "tp": tp}


def exact_history_share(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Share of true people whose records form exactly one cluster holding nobody else.

    Such a person's linked capture history equals their true one.
    """
    df = pd.DataFrame({"p": pd.factorize(predicted)[0], "t": pd.factorize(truth)[0]})
    per_true = df.groupby("t")["p"].nunique()
    per_pred = df.groupby("p")["t"].nunique()
    one_cluster = per_true[per_true == 1].index
    cluster_of = df.drop_duplicates("t").set_index("t")["p"]
    ok = per_pred.reindex(cluster_of.loc[one_cluster].to_numpy()).to_numpy() == 1
    return float(ok.sum() / len(per_true))


def true_pairs(truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All record pairs (i < j, by position) that belong to the same true person."""
    codes = pd.factorize(truth)[0]
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    sizes = np.diff(np.r_[starts, len(codes)])
    left, right = [], []
    for size in np.unique(sizes[sizes > 1]):
        groups = order[starts[sizes == size][:, None] + np.arange(size)]  # (n_groups, size)
        iu, ju = np.triu_indices(size, k=1)
        left.append(groups[:, iu].ravel())
        right.append(groups[:, ju].ravel())
    if not left:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    return np.concatenate(left), np.concatenate(right)


def blocking_recall(features: pd.DataFrame, truth: np.ndarray) -> dict:
    """Share of true pairs that the blocking rules bring together (pairs never scored cannot link).

    ``features`` are plaintext features or encodings (same ``bk_*`` columns, row order = ``truth``).
    """
    from lantern.linkage.features import CROSS_BLOCKING

    a, b = true_pairs(truth)
    hit = np.zeros(len(a), dtype=bool)
    cross = {k for pair in CROSS_BLOCKING for k in pair}
    keys = [c for c in features.columns if c.startswith("bk_") and c not in cross]
    for key in keys:
        v = features[key].to_numpy(dtype=object)
        hit |= (v[a] == v[b]) & pd.notna(v[a])
    for k1, k2 in CROSS_BLOCKING:
        if k1 not in features.columns or k2 not in features.columns:
            continue  # e.g. the citizenship keys of lists without citizenship
        v1 = features[k1].to_numpy(dtype=object)
        v2 = features[k2].to_numpy(dtype=object)
        hit |= ((v1[a] == v2[b]) & pd.notna(v1[a])) | ((v2[a] == v1[b]) & pd.notna(v2[a]))
    return {"true_pairs": int(len(a)), "blocked_true_pairs": int(hit.sum()),
            "recall": float(hit.mean()) if len(a) else 1.0}
