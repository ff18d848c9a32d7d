import numpy as np
import pandas as pd

from lantern.linkage.clusters import (
    capture_histories,
    cluster_labels,
    clusters_frame,
    exact_history_share,
    pairwise_accuracy,
    true_pairs,
)


def test_transitive_closure_and_threshold():
    pairs = pd.DataFrame({"uid_l": [0, 1, 3], "uid_r": [1, 2, 4], "match_probability": [0.99, 0.95, 0.5],
                          "match_weight": [7.0, 4.0, 0.0]})
    labels = cluster_labels(5, pairs, 0.9)
    assert labels[0] == labels[1] == labels[2]
    assert labels[3] != labels[4]
    labels = cluster_labels(5, pairs, 0.4)
    assert labels[3] == labels[4]


def test_clusters_to_histories_counts_each_person_once_per_list():
    records = pd.DataFrame({"list": ["a", "a", "b", "c", "c"], "record_id": ["1", "2", "1", "1", "2"]})
    labels = np.array([0, 0, 0, 1, 2])  # person 0: twice on a, once on b
    clusters = clusters_frame(records, labels)
    assert list(clusters["person_id"]) == ["P000001"] * 3 + ["P000002", "P000003"]
    hist = capture_histories(clusters, ["a", "b", "c"])
    assert list(hist.columns) == ["a", "b", "c", "count"]
    got = {tuple(r[:3]): r[3] for r in hist.itertuples(index=False)}
    assert got == {(1, 1, 0): 1, (0, 0, 1): 2}


def test_pairwise_accuracy_against_truth():
    truth = np.array([1, 1, 1, 2, 2, 3])
    perfect = pairwise_accuracy(np.array([9, 9, 9, 8, 8, 7]), truth)
    assert perfect["f1"] == 1.0 and perfect["true_pairs"] == 4
    split = pairwise_accuracy(np.array([9, 9, 6, 8, 8, 7]), truth)  # person 1 split: 1 of 3 pairs kept
    assert split["precision"] == 1.0 and split["recall"] == 2 / 4
    merged = pairwise_accuracy(np.array([9, 9, 9, 9, 9, 7]), truth)
    assert merged["recall"] == 1.0 and merged["precision"] == 4 / 10
    assert exact_history_share(np.array([9, 9, 6, 8, 8, 7]), truth) == 2 / 3
    a, b = true_pairs(truth)
    assert sorted(zip(a.tolist(), b.tolist(), strict=True)) == [(0, 1), (0, 2), (1, 2), (3, 4)]
