"""`lantern link` and `lantern link encode`: outputs, and bad input → exit 2, nothing written."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from lantern.cli import main
from lantern.linkage import DEFAULT_THRESHOLD

from ._gen import make_lists


def run(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    captured = capsys.readouterr()
    return exc.value.code, (captured.out + captured.err).replace("\n", "")  # Rich wraps long lines


@pytest.fixture(scope="module")
def lists(tmp_path_factory):
    return make_lists(tmp_path_factory.mktemp("lists"), people=250, fmt="parquet")


def test_link_writes_every_output(lists, tmp_path, capsys):
    paths, truth = lists
    out = tmp_path / "out"
    code, text = run(["link", *map(str, paths), "--out", str(out), "--report", str(tmp_path / "r.html")], capsys)
    assert code == 0, text
    assert {p.name for p in out.iterdir()} == {"clusters.csv", "histories.csv", "pairs.parquet", "model.json", "summary.json"}
    clusters = pd.read_csv(out / "clusters.csv", dtype=str)
    assert list(clusters.columns) == ["list", "record_id", "person_id"]
    assert len(clusters) == len(truth) and not clusters.duplicated(["list", "record_id"]).any()
    hist = pd.read_csv(out / "histories.csv")
    assert list(hist.columns) == ["police", "ngo", "immigration", "count"]
    assert hist["count"].sum() == clusters["person_id"].nunique()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["records"] == len(truth) and summary["threshold"] == DEFAULT_THRESHOLD
    assert len(summary["threshold_band"]) >= 5
    assert "<table>" in (tmp_path / "r.html").read_text()
    pairs = pd.read_parquet(out / "pairs.parquet")
    assert {"list_l", "record_id_l", "list_r", "record_id_r", "match_probability"} <= set(pairs.columns)


def test_encode_then_link_encoded(lists, tmp_path, capsys):
    paths, truth = lists
    secret = tmp_path / "secret"
    secret.write_text("0123456789abcdef0123456789abcdef")
    encs = []
    for p in paths:
        enc = tmp_path / f"{p.stem}.enc"
        code, text = run(["link", "encode", str(p), "--secret-file", str(secret), "--out", str(enc)], capsys)
        assert code == 0, text
        encs.append(str(enc))
    code, text = run(["link", "run", *encs, "--encoded", "--out", str(tmp_path / "out")], capsys)
    assert code == 0, text
    assert len(pd.read_csv(tmp_path / "out" / "clusters.csv")) == len(truth)
    wrong = tmp_path / "wrong"
    wrong.write_text("another-secret-of-enough-length")
    code, text = run(["link", *encs, "--encoded", "--secret-file", str(wrong), "--out", str(tmp_path / "o2")], capsys)
    assert code == 2 and "wrong secret" in text
    assert not (tmp_path / "o2").exists()
    code, text = run(["link", encs[0], str(paths[1]), "--encoded", "--out", str(tmp_path / "o3")], capsys)
    assert code == 2 and "not an encoded list" in text and paths[1].name in text
    code, text = run(["link", encs[0], str(paths[1]), "--out", str(tmp_path / "o4")], capsys)
    assert code == 2 and "encoded list" in text
    assert not (tmp_path / "o3").exists() and not (tmp_path / "o4").exists()


def test_encode_needs_a_secret(lists, tmp_path, capsys):
    paths, _ = lists
    code, text = run(["link", "encode", str(paths[0]), "--out", str(tmp_path / "x.enc")], capsys)
    assert code == 2 and "secret" in text
    assert not (tmp_path / "x.enc").exists()


def test_bad_lists_are_refused_naming_file_and_column(tmp_path, capsys):
    paths, _ = make_lists(tmp_path / "in", people=40)
    df = pd.read_csv(paths[0]).rename(columns={"family_name": "surname"})
    df.to_csv(paths[0], index=False)
    df2 = pd.read_csv(paths[1]).drop(columns=["sex"])
    df2.to_csv(paths[1], index=False)
    pd.read_csv(paths[2]).iloc[:0].to_csv(paths[2], index=False)
    out = tmp_path / "out"
    code, text = run(["link", *map(str, paths), "--out", str(out)], capsys)
    assert code == 2
    assert "police.csv" in text and "'family_name'" in text and "missing" in text
    assert "ngo.csv" in text and "different schemas" in text and "'sex'" in text
    assert "immigration.csv" in text and "empty" in text
    assert not out.exists()


def test_column_flags_map_other_names(tmp_path, capsys):
    paths, truth = make_lists(tmp_path / "in", people=60, lists=("a", "b"))
    for p in paths:
        pd.read_csv(p).rename(columns={"record_id": "id", "family_name": "surname"}).to_csv(p, index=False)
    code, text = run(["link", *map(str, paths), "--id-column", "id", "--family-name-column", "surname",
                      "--out", str(tmp_path / "out")], capsys)
    assert code == 0, text
    code, text = run(["link", *map(str, paths), "--engine", "oracle", "--out", str(tmp_path / "o2")], capsys)
    assert code == 2 and "engine" in text


def test_help_lists_both_spellings(capsys):
    code, text = run(["link", "--help"], capsys)
    assert code == 0 and "encode" in text and "--out DIR" in text


def test_column_map_refuses_an_empty_required_role(tmp_path):
    from lantern.errors import LanternError
    from lantern.linkage.io import ColumnMap

    mapping = tmp_path / "map.yaml"
    mapping.write_text("record_id: id\nfamily_name:\nsex:\n", encoding="utf-8")
    with pytest.raises(LanternError) as info:
        ColumnMap.from_yaml(mapping)
    [problem] = info.value.problems  # sex may be empty; family_name may not
    assert problem.field == "family_name" and problem.record == str(mapping)
    mapping.write_text("record_id: id\nsex:\n", encoding="utf-8")
    assert ColumnMap.from_yaml(mapping).sex is None and ColumnMap.from_yaml(mapping).record_id == "id"
