"""Screening and evaluation on the real simulator's output (a small world, known truth)."""

from __future__ import annotations

import pytest

from lantern.screening import screen_assessment, screen_batch
from lantern.screening.evaluate import evaluate


@pytest.fixture(scope="module")
def sim():
    from lantern.simulate import simulate

    return simulate(scenario="romania", people=5000, seed=4)


def test_screens_the_simulator_output(sim, std):
    out = screen_batch(sim.assessments, standard=std)
    assert out.height == sim.assessments.height
    assert out["assessment_id"].to_list() == sim.assessments["assessment_id"].to_list()
    assert out["unknown_answers"].sum() > 0  # the simulator leaves answers unknown
    row = sim.assessments.row(0, named=True)
    res = screen_assessment(row, standard=std)
    assert res.risk_score == pytest.approx(out["risk_score"][0], abs=0.011)


def test_evaluate_on_the_simulator(sim, std):
    r = evaluate(sim.assessments, sim.people, standard=std)
    assert r["label"] == "exploited"
    assert r["n"] == sim.assessments.height and r["unmatched_assessments"] == 0
    assert r["auc_ci"][0] <= r["auc"] <= r["auc_ci"][1]
    assert r["auc"] > 0.7  # the simulator's indicators are informative about its truth
    assert {"sex", "age_band", "citizenship_region"} <= set(r["subgroups"])
