"""Identifier completeness per list and the analyst's warnings in the linkage summary."""

from __future__ import annotations

import pandas as pd

from lantern.linkage.pipeline import identifier_completeness, linkage_warnings
from lantern.linkage.report import render_report


def _features():
    return pd.DataFrame({
        "list": ["a"] * 4 + ["b"] * 2,
        "gn": ["X", "Y", None, "Z", "U", "V"],
        "fn": ["P", "Q", "R", "S", None, "T"],
        "dob": ["1990-01-01", None, "1991-02-03", "1992-03-04", "1990-05-06", "1990-07-08"],
        "dob_ph": [True, False, False, False, False, False],
    })


def test_completeness_counts_missing_identifiers_per_list():
    comp = identifier_completeness(_features())
    assert comp["a"] == {"records": 4, "no_date_of_birth": 0.25, "no_given_name": 0.25, "no_family_name": 0.0,
                         "placeholder_date_of_birth": 0.25}
    assert comp["b"]["no_date_of_birth"] == 0.0 and comp["b"]["no_family_name"] == 0.5


def test_warnings_name_the_list_and_the_estimate_spread():
    comp = identifier_completeness(_features())
    band = [{"threshold": 0.3, "estimate": 100.0}, {"threshold": 0.5, "estimate": 104.0}, {"threshold": 0.99, "estimate": 500.0}]
    warnings = linkage_warnings(comp, band)
    assert len(warnings) == 1 and warnings[0].startswith("a: 25% of records have no date of birth")
    band[1]["estimate"] = 115.0  # 15 % spread within 0.3-0.9 (0.99 is outside the window)
    warnings = linkage_warnings(comp, band)
    assert len(warnings) == 2 and "moves from 100 to 115" in warnings[1]
    assert linkage_warnings({"b": comp["b"]}, band[:1]) == []


def test_report_shows_warnings_and_completeness():
    comp = identifier_completeness(_features())
    summary = {"lists": {"a": 4, "b": 2}, "records": 6, "people": 5, "threshold": 0.5, "engine": "duckdb", "encoded": False,
               "threshold_band": [], "match_weight_histogram": [], "cluster_sizes": {1: 4, 2: 1},
               "probability_two_random_records_match": 0.01, "scored_pairs": 3,
               "identifier_completeness": comp, "warnings": linkage_warnings(comp, [])}
    html = render_report(summary)
    assert "<h2>Warnings</h2>" in html and "a: 25% of records have no date of birth" in html
    assert "<td>a</td><td>4</td><td>25.0%</td><td>25.0%</td><td>25.0%</td><td>0.0%</td>" in html
