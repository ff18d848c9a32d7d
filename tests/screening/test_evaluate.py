"""Evaluation: DeLong AUC and variance, ECE, the report, and `lantern screen evaluate`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

from lantern.screening.evaluate import calibration, delong_auc, evaluate, report_html


def test_delong_hand_example():
    # y = 0,0,1,1 with scores .1,.4,.35,.8: AUC = 3/4; placement values V10 = (.5, 1), V01 = (1, .5),
    # so var = var(V10)/2 + var(V01)/2 = .125/2 + .125/2 = .125 (DeLong et al. 1988, eq. for one AUC)
    auc, var = delong_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    assert auc == pytest.approx(0.75)
    assert var == pytest.approx(0.125)


def test_delong_matches_sklearn_and_bootstrap():
    rng = np.random.default_rng(0)
    y = rng.random(600) < 0.3
    s = rng.normal(size=600) + y * 1.0
    s = np.round(s, 1)  # ties
    auc, var = delong_auc(y, s)
    assert auc == pytest.approx(roc_auc_score(y, s))
    boots = []
    for _ in range(300):
        i = rng.integers(0, 600, 600)
        boots.append(roc_auc_score(y[i], s[i]))
    assert np.sqrt(var) == pytest.approx(np.std(boots), rel=0.2)


def test_ece_hand_example():
    ece, curve = calibration(np.array([0, 1, 1, 1]), np.array([0.05, 0.05, 0.95, 0.95]), bins=10)
    # bin 0: predicted .05, observed .5 (weight .5); bin 9: predicted .95, observed 1 (weight .5)
    assert ece == pytest.approx(0.5 * 0.45 + 0.5 * 0.05)
    assert [c["n"] for c in curve] == [2, 2]


def test_evaluate_keys_and_subgroups(world, std):
    a, p = world
    r = evaluate(a, p, standard=std)
    for key in ("auc", "auc_ci", "brier", "ece", "levels", "subgroups", "calibration_curve"):
        assert key in r
    assert 0.5 < r["auc"] <= 1 and r["auc_ci"][0] <= r["auc"] <= r["auc_ci"][1]
    assert [lv["level"] for lv in r["levels"]] == ["medium", "high", "urgent"]
    sens = [lv["sensitivity"] for lv in r["levels"]]
    assert sens == sorted(sens, reverse=True)  # higher cut-off, fewer flagged
    assert set(r["subgroups"]) == {"sex", "age_band", "citizenship_region"}
    regions = {g["group"] for g in r["subgroups"]["citizenship_region"]}
    assert "southern_asia" in regions and "eastern_europe_non_eu" in regions
    assert sum(g["n"] for g in r["subgroups"]["sex"]) == r["n"]
    assert "synthetic" in r["caveat"]
    html = report_html(r)
    assert "<svg" in html and "Synthetic data only" in html
    for bad in ('src="http', 'href="http', "@import", "<script"):
        assert bad not in html


def test_evaluate_model_method(world, std):
    a, p = world
    r = evaluate(a, p, standard=std, method="model", seed=2)
    assert r["method"] == "model"
    assert r["n"] < a.height  # only the held-out half is evaluated
    assert r["ece"] < 0.1


def test_cli_evaluate_json_and_report(world, tmp_path):
    from lantern.cli import app

    a, p = world
    (tmp_path / "truth").mkdir()
    a.head(1500).write_parquet(tmp_path / "assessments.parquet")
    p.write_parquet(tmp_path / "truth" / "people.parquet")
    report = tmp_path / "out.html"
    res = CliRunner().invoke(app, ["screen", "evaluate", "--data", str(tmp_path), "--format", "json",
                                   "--report", str(report)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    for key in ("auc", "auc_ci", "brier", "ece", "levels", "subgroups"):
        assert key in data
    assert report.read_text().startswith("<!DOCTYPE html>")


def test_cli_errors_exit_2(tmp_path):
    from lantern.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["screen", "evaluate", "--data", str(tmp_path / "nowhere")])
    assert exc.value.code == 2


def test_cli_run_and_explain(world, tmp_path):
    import polars as pl

    from lantern.cli import app

    a, _ = world
    a.head(200).write_parquet(tmp_path / "a.parquet")
    out = tmp_path / "screened.parquet"
    res = CliRunner().invoke(app, ["screen", "run", "--data", str(tmp_path / "a.parquet"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert pl.read_parquet(out).height == 200
    res = CliRunner().invoke(app, ["screen", "explain", "--data", str(tmp_path / "a.parquet"),
                                   "--assessment", a["assessment_id"][3], "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert sum(c["points"] for c in data["contributions"]) == pytest.approx(data["risk_score"], abs=0.01)
    assert "interventions" in data
