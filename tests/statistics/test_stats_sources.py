"""Data-source suitability against a simulated directory whose truth is known."""

from __future__ import annotations

import pandas as pd
import pytest
from sources_truth import make_directory

from lantern.errors import LanternError
from lantern.statistics.sources import assess_sources, write_report


@pytest.fixture(scope="module")
def directory(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sources")
    people, records, truth = make_directory(folder)
    return folder, people, records, truth


def test_completeness_validity_duplicates_overlap_and_coverage(directory):
    folder, people, records, truth = directory
    report = assess_sources(folder)
    by = {s.name: s for s in report.sources}
    police = by["police"].fields.set_index("field")
    expected_dob = records["police"]["date_of_birth"].notna().mean()
    assert police.loc["date_of_birth", "completeness"] == pytest.approx(expected_dob)
    assert police.loc["citizenship", "validity"] == pytest.approx(
        records["police"]["citizenship"].isin(["NP", "LK", "IN", "BD"]).mean()
    )
    assert by["ngo"].fields.set_index("field").loc["sex", "validity"] == 1.0
    # duplicates: the truth says 5% of each list's persons come twice
    for name, source in by.items():
        mine = truth[truth["list"] == name]
        assert source.duplicates["true_repeats"] == len(mine) - mine["person_id"].nunique()
    assert by["ngo"].duplicates["found_by_exact_key"] == 1.0  # clean source: the exact key finds them all
    assert by["police"].duplicates["found_by_exact_key"] < 1.0  # missing dates of birth hide repeats
    # overlap equals the truth
    ngo = set(truth.loc[truth.list == "ngo", "person_id"])
    police_ids = set(truth.loc[truth.list == "police", "person_id"])
    assert by["ngo"].overlap["police"] == len(ngo & police_ids)
    # coverage: lists are independent here, so the estimate is close to the truth
    assert report.estimate["available"]
    assert report.estimate["estimate"] == pytest.approx(len(people), rel=0.15)
    assert by["ngo"].coverage["estimated"] == pytest.approx(by["ngo"].coverage["true_all"], abs=0.06)
    # actionable findings for the poor and the stale source, none invented for the good one
    assert any("date_of_birth" in r for r in by["police"].recommendations)
    assert any("days older" in r for r in by["labour"].recommendations)
    assert not any("date_of_birth" in r or "days older" in r for r in by["ngo"].recommendations)


def test_html_report_has_no_names(directory, tmp_path):
    folder, people, records, truth = directory
    out = write_report(assess_sources(folder), tmp_path / "sources.html")
    html = out.read_text()
    assert "<table>" in html and "ngo" in html and "What to do" in html
    assert "http" not in html.replace("http-equiv", "")  # self-contained, no CDN
    for name in pd.concat([records["ngo"]["given_name"].head(50), records["ngo"]["family_name"].head(50)]):
        assert name not in html


def test_no_lists_is_a_clear_error(tmp_path):
    with pytest.raises(LanternError, match="lists"):
        assess_sources(tmp_path)


def test_overlap_from_record_linkage_is_close_to_the_truth(tmp_path):
    """On the simulator's lists (realistic names, typos, transliterations) the linkage finds the overlap."""
    pytest.importorskip("lantern.linkage")
    simulate = pytest.importorskip("lantern.simulate")
    simulate.simulate("romania", people=3000, seed=5).write(tmp_path / "sim")
    report = assess_sources(tmp_path / "sim", link=True)
    assert report.overlap_method.startswith("record linkage")
    truth = pd.read_parquet(tmp_path / "sim" / "truth" / "records.parquet")
    by = {s.name: s for s in report.sources}
    a, b = "border_police", "immigration"
    expected = len(set(truth.loc[truth.list == a, "person_id"]) & set(truth.loc[truth.list == b, "person_id"]))
    assert expected > 20
    assert by[a].overlap[b] == pytest.approx(expected, rel=0.15)
