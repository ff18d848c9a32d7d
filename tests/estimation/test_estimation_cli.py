"""`lantern estimate` and input validation: clear errors (exit 2), JSON keys, reports."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from lantern.cli import app
from lantern.errors import LanternError
from lantern.estimation import MSE, read_table, table_from_frame

DATA = Path("/work/shared/data/mse")
runner = CliRunner()


def _run(args):
    """Invoke like lantern.cli.main: a LanternError becomes exit status 2."""
    try:
        result = runner.invoke(app, args, catch_exceptions=False)
    except LanternError as exc:
        return 2, str(exc)
    return result.exit_code, result.output


def _write(tmp_path, text, name="t.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize("text,needle", [
    ("A,B,count\n1,0,5\n0,2,3\n1,1,2\n", "must be 0 or 1"),
    ("A,B,count\n1,0,5\n0,1,-3\n1,1,2\n", "whole number"),
    ("A,B,count\n1,0,5\n0,1,2.5\n1,1,2\n", "whole number"),
    ("A,B,count\n1,0,5\n0,1,\n1,1,2\n", "missing value"),
    ("A,count\n1,5\n", "at least two lists"),
    ("A,B,count\n1,0,5\n1,0,3\n1,1,2\n", "duplicate capture history"),
    ("A,B,count\n1,0,5\n0,0,3\n1,1,2\n", "all-zero history"),
    ("A,B,total\n1,0,5\n0,1,3\n1,1,2\n", "name it 'count'"),
])
def test_bad_input_is_refused_with_a_reason(tmp_path, text, needle):
    path = _write(tmp_path, text)
    with pytest.raises(LanternError, match=needle) as info:
        read_table(path)
    assert "row" in str(info.value) or "lists" in str(info.value)
    code, out = _run(["estimate", str(path)])
    assert code == 2 and needle in out


def test_problems_name_row_and_field(tmp_path):
    path = _write(tmp_path, "A,B,count\n1,0,5\n0,7,3\n1,1,x\n")
    with pytest.raises(LanternError) as info:
        read_table(path)
    probs = info.value.problems
    assert {(p.field, p.record) for p in probs} == {("B", "t.csv row 3"), ("count", "t.csv row 4")}


def test_unknown_list_in_model_exits_2():
    code, out = _run(["estimate", str(DATA / "Korea.csv"), "--method", "fixed", "--model", "[b:x]"])
    assert code == 2 and "unknown list 'x'" in out


def test_model_without_an_estimate_says_why_and_what_to_do():
    code, out = _run(["estimate", str(DATA / "Artificial_3.csv"), "--method", "fixed", "--model", "[12,3]"])
    assert code == 2
    assert "does not exist" in out and "fewer interactions" in out


def test_per_person_input_equals_counted_input():
    counted = read_table(DATA / "Korea.csv")
    rows = []
    for r in counted.to_rows():
        rows += [{k: v for k, v in r.items() if k != "count"}] * r["count"]
    per_person = table_from_frame(pd.DataFrame(rows))
    np.testing.assert_array_equal(per_person.counts, counted.counts)


def test_json_output_has_the_contract_keys():
    code, out = _run(["estimate", str(DATA / "Western.csv"), "--format", "json", "--bootstrap", "50",
                      "--seed", "3", "--method", "stepwise"])
    assert code == 0
    d = json.loads(out)
    for key in ("estimate", "observed", "lists", "method", "model", "intervals", "warnings"):
        assert key in d
    assert d["estimate"] == pytest.approx(2483.384, rel=1e-4)
    assert d["model"]["terms"][0]["term"] == "A:E" and d["model"]["terms"][0]["neg_inf"] is False
    assert set(d["intervals"]) == {"lognormal", "profile", "bca"}
    lo, hi = d["intervals"]["bca"]["0.95"]
    assert lo < d["estimate"] < hi


def test_cli_bootstrap_reproduces_r_by_default_and_takes_rng():
    """`lantern estimate Western.csv --bootstrap 1000` prints SparseMSE's BCa limits (iseed 1234);
    --rng numpy switches stream; a bad --rng is refused with exit 2."""
    code, out = _run(["estimate", str(DATA / "Western.csv"), "--format", "json", "--bootstrap", "1000"])
    assert code == 0
    d = json.loads(out)
    assert d["bootstrap"]["random_stream"] == "r" and d["bootstrap"]["seed"] == 1234
    assert d["intervals"]["bca"]["0.95"] == pytest.approx([1293.213942, 3672.036563], rel=1e-8)
    code, out = _run(["estimate", str(DATA / "Western.csv"), "--format", "json", "--bootstrap", "200",
                      "--rng", "numpy", "--seed", "5"])
    assert code == 0 and json.loads(out)["bootstrap"] == {**json.loads(out)["bootstrap"], "random_stream": "numpy",
                                                          "seed": 5}
    code, out = _run(["estimate", str(DATA / "Western.csv"), "--bootstrap", "10", "--rng", "mersenne"])
    assert code == 2 and "random stream" in out


def test_json_marks_minus_infinity_terms():
    code, out = _run(["estimate", str(DATA / "NewOrl.csv"), "--format", "json", "--method", "fixed",
                      "--model", "A:B + D:E"])
    assert code == 0
    d = json.loads(out)
    assert d["model"]["neg_inf_terms"] == ["A:B"]


def test_text_output_and_html_report(tmp_path):
    report = tmp_path / "korea.html"
    code, out = _run(["estimate", str(DATA / "Korea.csv"), "--method", "bic", "--bootstrap", "100",
                      "--seed", "1", "--report", str(report)])
    assert code == 0 and "157.2" in out
    page = report.read_text()
    assert "<svg" in page and 'src="http' not in page and 'href="http' not in page  # nothing from a CDN
    assert "[12,23]" in page and "Sensitivity" in page and "Bootstrap distribution" in page


def test_pdf_report(tmp_path):
    fit = MSE(method="stepwise", bootstrap=50, seed=2).fit(DATA / "Western.csv")
    from lantern.estimation.report import write_report

    path = write_report(fit.result_, tmp_path / "w.pdf")
    assert path.read_bytes()[:5] == b"%PDF-"
    assert not list(tmp_path.glob(".tmp-report-*"))


def test_from_lists_reaches_linkage(tmp_path):
    code, out = _run(["estimate", "--from-lists", str(tmp_path / "only-one.csv")])
    assert code == 2 and "at least two" in out


def test_from_lists_links_then_estimates(monkeypatch, tmp_path):
    """--from-lists hands the files to lantern.linkage.link_to_histories and estimates its output."""
    import lantern.linkage as linkage

    seen = {}

    def fake_link(paths, *, threshold=None, engine="duckdb"):
        seen.update(paths=paths, threshold=threshold, engine=engine)
        return pd.DataFrame({"a": [1, 0, 1], "b": [0, 1, 1], "count": [60, 30, 10]})

    monkeypatch.setattr(linkage, "link_to_histories", fake_link)
    files = [str(_write(tmp_path, "x", f"l{i}.csv")) for i in range(2)]
    code, out = _run(["estimate", "--from-lists", *files, "--link-threshold", "0.9", "--format", "json"])
    assert code == 0, out
    assert seen["paths"] == files and seen["threshold"] == 0.9
    assert json.loads(out)["estimate"] == pytest.approx(280.0)  # Lincoln-Petersen 70 * 40 / 10


def test_two_lists_is_lincoln_petersen():
    from lantern.estimation.table import CaptureTable

    fit = MSE(intervals=["lognormal", "profile"]).fit(CaptureTable(("A", "B"), np.array([60, 30, 10])))
    assert fit.estimate_ == pytest.approx(70 * 40 / 10)
    assert fit.model_.string == "[1,2]"


def test_stratified_cli(tmp_path):
    from lantern.estimation.simulation import draw_tables, loglinear_probabilities
    from lantern.estimation.table import CaptureTable

    rng = np.random.default_rng(9)
    rows = []
    for sex, p in (("f", [0.3, 0.2, 0.25]), ("m", [0.1, 0.08, 0.12])):
        t = CaptureTable(("A", "B", "C"), draw_tables(2000, loglinear_probabilities(p), 1, rng)[0])
        for r in t.to_rows():
            rows += [{"A": r["A"], "B": r["B"], "C": r["C"], "sex": sex}] * r["count"]
    path = tmp_path / "people.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    code, out = _run(["estimate", str(path), "--by", "sex", "--method", "main", "--format", "json"])
    assert code == 0, out
    d = json.loads(out)
    assert set(d["strata"]) == {"f", "m"}
    assert d["estimate"] == pytest.approx(sum(v["estimate"] for v in d["strata"].values()))
    code, out = _run(["estimate", str(path), "--by", "nationality"])
    assert code == 2 and "no column named 'nationality'" in out
