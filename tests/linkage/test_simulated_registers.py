"""Issue 5's accuracy targets on simulated lists with transliteration noise ('romania-registers').

The scenario is 'romania' — same people, journeys, capture and true capture histories, six
romanisation systems per script, typos, dropped middle names, given/family swaps, 1 January
placeholders, day/month swaps, within-list duplicates — with identifiers recorded as registers do:
1 % of dates of birth and family names missing (in 'romania' 15–25 % of the inspectorate's and the
NGOs' records lack a date of birth; see tests/linkage/test_simulated.py and docs/linkage.md).

Targets asserted at 30,000 people, seed 1 (the benchmark's size): pairwise F1 ≥ 0.97, ≥ 97 % of
people with their exact true capture history, the MSE estimate from the linked lists within 3 % of
the estimate from the true histories, blocking recall ≥ 99.5 %, privacy-preserving F1 within one
point. Measured (docs/linkage.md): F1 0.980, exact 0.988, estimate +0.04 %, blocking 0.998,
encoded F1 0.974; seeds 1–7 give F1 0.980–0.987 and estimates within +0.04 … +2.5 %.
"""

from __future__ import annotations

import pandas as pd
import pytest

from lantern.linkage import link_lists
from lantern.linkage.bloom import encode_list
from lantern.linkage.clusters import blocking_recall
from lantern.linkage.features import prepare_features
from lantern.linkage.io import read_lists
from lantern.linkage.pipeline import evaluate_against_truth


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    from lantern.simulate import load_scenario, simulate

    out = tmp_path_factory.mktemp("sim_registers")
    simulate(load_scenario("romania-registers"), people=30_000, seed=1).write(out, format="parquet")
    return out


@pytest.fixture(scope="module")
def linked(sim):
    paths = sorted((sim / "lists").glob("*.parquet"))
    truth = pd.read_parquet(sim / "truth" / "records.parquet")
    result = link_lists(paths)
    return paths, truth, result, evaluate_against_truth(result, truth)


def test_pairwise_f1_exact_histories_and_estimate_meet_the_targets(linked):
    _, _, _, ev = linked
    print("romania-registers plaintext", ev)
    assert ev["f1"] >= 0.97
    assert ev["exact_history_share"] >= 0.97
    assert abs(ev["estimate_relative_difference"]) <= 0.03


def test_blocking_keeps_true_pairs(linked):
    paths, truth, result, _ = linked
    raw, roles = read_lists(paths)
    features = prepare_features(raw, roles)
    key = features[["list", "record_id"]].merge(truth[["list", "record_id", "person_id"]], on=["list", "record_id"], how="left")
    rec = blocking_recall(features, key["person_id"].to_numpy())
    assert rec["recall"] >= 0.995


def test_privacy_preserving_f1_within_one_point(linked, secret, tmp_path):
    paths, truth, _, ev = linked
    encs = [encode_list(p, tmp_path / f"{p.stem}.enc", secret=secret) for p in paths]
    ev_e = evaluate_against_truth(link_lists(encs, encoded=True), truth)
    print("romania-registers encoded", ev_e)
    assert ev_e["f1"] >= ev["f1"] - 0.01


def test_no_warning_on_register_quality_lists(linked):
    # ... and neither fires on 'romania-registers' (1 % missing; the estimate stable over 0.3-0.9)
    _, _, result, _ = linked
    assert result.summary()["warnings"] == []
