"""Identified and registered victims (Eurostat: registered = presumed ∪ identified) from the recorded
``identified_victim`` column: hand-checked on a tiny frame, and counted from the simulator's interviews."""

from __future__ import annotations

import pandas as pd
import pytest

from lantern.statistics import _std
from lantern.statistics.sdc import TOTAL, SDCRules
from lantern.statistics.spec import parse_spec
from lantern.statistics.tables import compute_tables

MEASURES = ("persons", "presumed_victims", "identified_victims", "registered_victims")


def _spec(by):
    return parse_spec({"tables": [{"id": m, "measure": m, "by": by} for m in MEASURES]})


def _totals(tables, dim_values):
    out = {}
    for t in tables:
        f = t.true_frame()
        for d, v in dim_values.items():
            f = f[f[d] == v]
        out[t.spec.measure] = int(f["true_value"].iloc[0])
    return out


def test_registered_is_presumed_or_identified_on_a_tiny_frame():
    # person  presumed  identified           counted as
    # a       yes       yes                  presumed, identified, registered
    # b       yes       no                   presumed, registered
    # c       no        yes (2nd interview)  identified, registered (a person's flag: any assessment)
    # d       no        unknown (null)       none: unknown is not "identified"
    # e       no        no                   none
    # f       no        yes, but EU citizen  outside the TCN population
    rows = [
        ("a1", "a", "2025-02-01", "NP", True, 1),
        ("b1", "b", "2025-03-01", "NP", True, 0),
        ("c1", "c", "2025-04-01", "VN", False, 0),
        ("c2", "c", "2025-05-01", "VN", False, 1),
        ("d1", "d", "2025-06-01", "VN", False, None),
        ("e1", "e", "2025-07-01", "NP", False, 0),
        ("f1", "f", "2025-08-01", "DE", False, 1),
    ]
    frame = pd.DataFrame(rows, columns=["assessment_id", "subject_ref", "interview_date", "citizenship",
                                        "presumed_victim", "identified_victim"])
    frame["interview_date"] = pd.to_datetime(frame["interview_date"]).dt.date
    frame["identified_victim"] = frame["identified_victim"].astype("Int8")
    frame["vulnerable"] = frame["presumed_victim"]
    frame["country_of_interview"] = "RO"
    tables = compute_tables(frame, _spec(["period", "citizenship"]), rules=SDCRules.none())
    assert _totals(tables, {"period": "2025", "citizenship": TOTAL}) == {
        "persons": 5, "presumed_victims": 2, "identified_victims": 2, "registered_victims": 3}
    assert _totals(tables, {"period": "2025", "citizenship": "VN"}) == {
        "persons": 2, "presumed_victims": 0, "identified_victims": 1, "registered_victims": 1}
    # population "all" brings in the EU citizen, identified
    spec = parse_spec({"tables": [{"id": m, "measure": m, "by": ["period"], "population": "all"} for m in MEASURES]})
    assert _totals(compute_tables(frame, spec, rules=SDCRules.none()), {"period": "2025"}) == {
        "persons": 6, "presumed_victims": 2, "identified_victims": 3, "registered_victims": 4}


@pytest.fixture(scope="module")
def simulated():
    from lantern.simulate import simulate

    return simulate("romania", people=8_000, seed=21).assessments.to_pandas()


def test_identified_victims_counted_from_simulator_output(simulated):
    assert "identified_victim" in simulated.columns  # the simulator records formal identification
    tables = compute_tables(simulated, _spec(["period"]), rules=SDCRules.none())
    by = {t.spec.measure: t.true_frame().set_index("period")["true_value"] for t in tables}
    # hand count: a person is identified if any of their interviews says so, counted in the year of the
    # first interview, TCNs only
    df = simulated.sort_values(["interview_date", "assessment_id"])
    first = df.groupby("subject_ref").first()
    identified = df.groupby("subject_ref")["identified_victim"].apply(lambda s: bool((s == 1).any()))
    eu = _std.eu_codes()
    tcn = first.citizenship.notna() & ~first.citizenship.isin(eu)
    year = pd.to_datetime(first.interview_date).dt.year.astype(str)
    expected = identified[tcn].groupby(year[tcn]).sum()
    assert expected.sum() > 20
    for period, n in expected.items():
        assert by["identified_victims"][period] == n, period
    assert by["identified_victims"][TOTAL] == expected.sum()
    # registered = presumed ∪ identified: at least each, at most their sum
    for period in by["persons"].index:
        p, i, r = (by[m][period] for m in ("presumed_victims", "identified_victims", "registered_victims"))
        assert max(p, i) <= r <= p + i <= 2 * by["persons"][period]
    assert by["registered_victims"][TOTAL] > by["presumed_victims"][TOTAL]  # some identified are not presumed


def test_synthetic_data_records_formal_identification_like_the_simulator():
    from lantern.statistics.synthetic import IDENTIFICATION_UNKNOWN, synthetic_assessments

    frame = synthetic_assessments(30_000, seed=4)
    ident = frame["identified_victim"]
    assert str(ident.dtype) == "Int8"  # the simulator's type: 1 / 0 / null
    assert set(ident.dropna().unique()) == {0, 1}
    assert abs(ident.isna().mean() - IDENTIFICATION_UNKNOWN) < 0.01
    known = frame[ident.notna()]
    # identified only if "exploited" (presumed, or a few vulnerable not presumed); the police more often
    assert not (known.identified_victim == 1)[~known.vulnerable].any()
    presumed = known[known.presumed_victim]
    police = presumed.agency == "police"
    assert presumed.identified_victim[police].mean() > 1.5 * presumed.identified_victim[~police].mean()
    assert ((known.identified_victim == 1) & ~known.presumed_victim).sum() > 0
    # and the presumed / identified / registered counts work on it
    tables = compute_tables(frame, _spec(["period"]), rules=SDCRules.none())
    totals = _totals(tables, {"period": TOTAL})
    assert totals["identified_victims"] > 50
    assert max(totals["presumed_victims"], totals["identified_victims"]) < totals["registered_victims"]
    assert totals["registered_victims"] < totals["presumed_victims"] + totals["identified_victims"]
