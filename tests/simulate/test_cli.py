"""`lantern simulate`: writes the layout, prints a summary, refuses bad input without writing."""

from __future__ import annotations

import json

import polars as pl
import pytest

from lantern.cli import main


def _run(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out = capsys.readouterr()
    return exc.value.code, out.out + out.err


def test_simulate_writes_the_documented_layout(tmp_path, capsys):
    out = tmp_path / "world"
    code, text = _run(["simulate", "--scenario", "romania", "--people", "3000", "--seed", "9", "--out", str(out)], capsys)
    assert code in (0, None), text
    assert "3,000 people" in text and "exploited" in text and "border_police" in text
    assert "overlaps" in text
    for rel in ("manifest.json", "truth/people.parquet", "truth/journeys.parquet", "truth/records.parquet",
                "assessments.parquet", "lists/border_police.parquet", "lists/ngo_b.parquet"):
        assert (out / rel).exists(), rel
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"] == "romania" and manifest["seed"] == 9 and manifest["standard_version"] == "1.0"
    journeys = pl.read_parquet(out / "truth/journeys.parquet")
    assert journeys.columns[:10] == ["person_id", "leg_no", "from_country", "to_country", "entry_date", "exit_date",
                                     "mode", "crossing_point", "facilitator_type", "intra_eu"]


def test_simulate_csv(tmp_path, capsys):
    out = tmp_path / "csv"
    code, text = _run(["simulate", "--people", "800", "--out", str(out), "--format", "csv"], capsys)
    assert code in (0, None), text
    lst = pl.read_csv(out / "lists/immigration.csv", infer_schema_length=0)
    assert "person_id" not in lst.columns and lst.height > 0


def test_bad_scenario_exits_2_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: romania\nname: bad\nexploitation:\n  prevalence: 2\n  colour: red\n", encoding="utf-8")
    out = tmp_path / "never"
    code, text = _run(["simulate", "--scenario", str(bad), "--people", "100", "--out", str(out)], capsys)
    assert code == 2
    assert "exploitation.prevalence" in text and "outside [0, 1]" in text
    assert "exploitation.colour" in text and "unknown key" in text
    assert not out.exists()
    code, text = _run(["simulate", "--people", "-1", "--out", str(out)], capsys)
    assert code == 2 and "--people" in text
    assert not out.exists()


def test_check_validates_without_writing(tmp_path, capsys):
    code, text = _run(["simulate", "--scenario", "independent-lists", "--check"], capsys)
    assert code in (0, None), text
    assert "scenario 'independent-lists' is valid" in text and "dependence: 0.0" in text
    code, text = _run(["simulate", "--people", "10"], capsys)
    assert code == 2 and "--out" in text
