"""`lantern stats …` end to end on generated data."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from lantern.cli import main

EXAMPLES = Path(__file__).parents[2] / "examples" / "stats"


def run(argv, capsys):
    code = 0
    try:
        main(argv)
    except SystemExit as exc:
        code = exc.code or 0
    out = capsys.readouterr()
    return code, out.out + out.err


def test_stats_table_csv_xlsx_and_crim_thb(assessments_dir, tmp_path, capsys):
    code, text = run(["stats", "table", "--spec", str(EXAMPLES / "eurostat_crim_thb.yaml"), "--data", str(assessments_dir),
                      "--out", str(tmp_path / "thb.xlsx"), "--crim-thb", str(tmp_path / "crim.csv")], capsys)
    assert code == 0, text
    assert "disclosure check passed" in text
    assert (tmp_path / "thb.xlsx").is_file()
    crim = pd.read_csv(tmp_path / "crim.csv")
    assert {"geo", "TIME_PERIOD", "OBS_VALUE", "OBS_FLAG"} <= set(crim.columns)
    code, text = run(["stats", "table", "--spec", str(EXAMPLES / "tcn_counts.yaml"), "--data", str(assessments_dir),
                      "--out", str(tmp_path / "tcn.csv")], capsys)
    assert code == 0, text
    code, text = run(["stats", "rates", "--table", str(tmp_path / "tcn.csv"), "--denominators",
                      str(EXAMPLES / "denominators_example.csv"), "--out", str(tmp_path / "rates.csv")], capsys)
    assert code == 0, text
    rates = pd.read_csv(tmp_path / "rates.csv")
    assert rates["rate"].notna().any()


def test_stats_table_sdc_none_warns(assessments_dir, tmp_path, capsys):
    code, text = run(["stats", "table", "--spec", str(EXAMPLES / "quarterly_romania.yaml"), "--data", str(assessments_dir),
                      "--out", str(tmp_path / "q.csv"), "--sdc", "none"], capsys)
    assert code == 0, text
    assert "do not publish" in text


def test_unknown_variable_exits_2_and_writes_nothing(assessments_dir, tmp_path, capsys):
    spec = tmp_path / "bad.yaml"
    spec.write_text("tables:\n  - {id: t, measure: vulnerable, by: [period, shoe_size]}\n")
    code, text = run(["stats", "table", "--spec", str(spec), "--data", str(assessments_dir), "--out", str(tmp_path / "o.csv")], capsys)
    assert code == 2
    assert "shoe_size" in text and "Traceback" not in text
    assert not (tmp_path / "o.csv").exists()


def test_bad_denominators_exit_2(tmp_path, capsys):
    table = tmp_path / "t.csv"
    table.write_text("table_id,period,country,measure,value,status,display,standard_version\nt,2025,RO,vulnerable,15,published,15,1.0\n")
    den = tmp_path / "d.csv"
    den.write_text("geo,time,value\nRO,2025,100\n")
    code, text = run(["stats", "rates", "--table", str(table), "--denominators", str(den), "--out", str(tmp_path / "r.csv")], capsys)
    assert code == 2 and "citizen" in text
    assert not (tmp_path / "r.csv").exists()


def test_dp_command_shows_accuracy_then_refuses_past_budget(assessments_dir, tmp_path, capsys):
    ledger = str(tmp_path / "ledger.duckdb")
    base = ["stats", "dp", "--data", str(assessments_dir), "--ledger", ledger, "--release", "r1"]
    code, text = run([*base, "--epsilon", "0.6", "--budget", "1.0", "--by", "sex=female,male,unknown"], capsys)
    assert code == 0 and "within ±" in text and "not released" in text
    code, text = run([*base, "--epsilon", "0.6", "--yes"], capsys)
    assert code == 0, text
    code, text = run([*base, "--epsilon", "0.6", "--yes"], capsys)
    assert code == 2 and "refused" in text


@pytest.mark.skipif(sys.platform != "linux", reason="figures tested on Linux")
def test_routes_and_sources_commands(tmp_path, capsys):
    sys.path.insert(0, str(Path(__file__).parents[1] / "routes"))
    from routes_truth import make_legs
    from sources_truth import make_directory

    make_directory(tmp_path / "sim", n_people=800)
    make_legs()[0].to_parquet(tmp_path / "sim" / "truth" / "journeys.parquet", index=False)
    code, text = run(["stats", "routes", "--data", str(tmp_path / "sim"), "--out", str(tmp_path / "routes")], capsys)
    assert code == 0, text
    assert (tmp_path / "routes" / "sankey.svg").is_file()
    code, text = run(["stats", "sources", "--data", str(tmp_path / "sim"), "--report", str(tmp_path / "s.html")], capsys)
    assert code == 0, text
    assert "ngo" in (tmp_path / "s.html").read_text()


def test_rates_on_a_fully_suppressed_table(tmp_path, capsys):
    table = tmp_path / "t.csv"
    table.write_text(
        "table_id,period,country,sex,measure,value,status,display,standard_version\n"
        "t,2025,RO,,vulnerable,,primary,<11,1.0\nt,2025,TOTAL,,vulnerable,,primary,<11,1.0\n"
    )
    den = tmp_path / "d.csv"
    den.write_text("geo,citizen,time,value\nRO,TOTAL,2025,100\n")
    code, text = run(["stats", "rates", "--table", str(table), "--denominators", str(den), "--out", str(tmp_path / "r.csv")], capsys)
    assert code == 0, text
    rates = pd.read_csv(tmp_path / "r.csv")
    assert rates["rate"].isna().all() and set(rates["rate_note"]) == {"count suppressed"}


def test_stats_table_nested_example_with_optimal_suppression(assessments_dir, tmp_path, capsys):
    out = tmp_path / "regions.csv"
    code, text = run(["stats", "table", "--spec", str(EXAMPLES / "regions_within_country.yaml"), "--data",
                      str(assessments_dir), "--out", str(out), "--sdc", "optimal"], capsys)
    assert code == 0, text
    assert "disclosure check passed" in text and "vulnerable_by_region:" in text
    frame = pd.read_csv(out)
    assert set(frame.table_id) == {"vulnerable_by_region", "vulnerable_by_country", "vulnerable_by_country_age",
                                   "vulnerable_by_age"}
    regions = frame[frame.table_id == "vulnerable_by_region"].region.dropna()
    assert regions.str.match(r"^(RO|BG|HU|AT|DE)[0-9A-Z][0-9]$|^UNK$|^TOTAL$").all()  # NUTS-2 regions of the synthetic data
    code, text = run(["stats", "table", "--spec", str(EXAMPLES / "regions_within_country.yaml"), "--data",
                      str(assessments_dir), "--out", str(tmp_path / "x.csv"), "--sdc", "best"], capsys)
    assert code == 2 and "optimal" in text
    assert not (tmp_path / "x.csv").exists()
