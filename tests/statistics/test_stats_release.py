"""Release workflow, exports (CSV, Excel, crim_thb, CTDC k=11) and the EU merge."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lantern.errors import LanternError
from lantern.statistics.combine import merge_national, read_published
from lantern.statistics.export import (
    crim_thb_frame,
    ctdc_microdata,
    k_anonymise,
    write_csv,
    write_excel,
)
from lantern.statistics.release import CHECKED, DRAFT, Release
from lantern.statistics.sdc import SDCRules
from lantern.statistics.spec import parse_spec
from lantern.statistics.synthetic import synthetic_assessments
from lantern.statistics.tables import Dataset, compute_tables

SPEC = parse_spec({
    "defaults": {"population": "all", "measure": "registered_victims"},
    "tables": [
        {"id": "sex", "by": ["period", "country", "sex"]},
        {"id": "exp", "by": ["period", "country", "exploitation_group"]},
        {"id": "cit", "by": ["period", "citizenship_group"]},
    ],
})


@pytest.fixture(scope="module")
def tables(assessments):
    return compute_tables(assessments, SPEC)


def test_release_check_then_publish(tables, tmp_path):
    release = Release("r1", "test", tables)
    report = release.check(actor="analyst")
    assert release.state == CHECKED and report.ok
    assert sum(t.primary for t in report.tables) > 0  # the data has small cells, and they were handled
    files = release.publish(tmp_path, actor="lead")
    assert {p.suffix for p in files} == {".csv", ".xlsx", ".json"}
    assert [h["action"] for h in release.history] == ["checked", "published"]


def test_a_release_that_fails_disclosure_control_publishes_nothing(assessments, tmp_path):
    unsafe = compute_tables(assessments, SPEC, rules=SDCRules.none())
    release = Release("r2", "unsafe", unsafe)
    with pytest.raises(LanternError, match="not publishable"):
        release.check()
    assert release.state == DRAFT
    with pytest.raises(LanternError, match="only a checked release"):
        release.publish(tmp_path)
    assert not list(tmp_path.iterdir())


def test_tampered_table_fails_the_check(assessments):
    (table,) = compute_tables(assessments, parse_spec({"tables": [{"id": "t", "measure": "presumed_victims", "by": ["period", "sector"]}]}))
    p = table.protected
    idx = np.argwhere(p.status == "primary")
    assert len(idx), "the fixture must have a small cell"
    p.status[tuple(idx[0])] = "published"
    p.released[tuple(idx[0])] = p.counts[tuple(idx[0])]
    with pytest.raises(LanternError) as err:
        Release("r3", "t", [table]).check()
    reasons = " ".join(pr.reason for pr in err.value.problems)
    assert "under the threshold" in reasons


def test_csv_and_excel_exports(tables, tmp_path):
    csv = write_csv(tables, tmp_path / "t.csv")
    frame = pd.read_csv(csv)
    assert set(frame.table_id) == {"sex", "exp", "cit"}
    assert not ((frame.value > 0) & (frame.value < 11)).any()
    book = openpyxl.load_workbook(write_excel(tables, tmp_path / "t.xlsx"))
    assert book.sheetnames == ["about", "sex", "exp", "cit"]
    about = {r[0].value: r[1].value for r in book["about"].iter_rows(min_row=2)}
    assert about["standard version"] == "1.0"


def test_crim_thb_layout(tables):
    frame = crim_thb_frame(tables)
    assert list(frame.columns[:11]) == ["freq", "unit", "leg_stat", "sex", "age", "citizen", "c_exploit", "geo", "TIME_PERIOD", "OBS_VALUE", "OBS_FLAG"]
    assert set(frame.sex) <= {"T", "M", "F", "UNK"}
    assert set(frame.citizen) <= {"TOTAL", "NAT", "EU27_2020_FOR", "NEU27_2020_FOR", "UNK"}
    assert set(frame.c_exploit) <= {"TOTAL", "SEX_EXP", "LAB_EXP", "OTH_EXP", "UNK"}
    confidential = frame.OBS_FLAG == "c"
    assert frame.loc[confidential, "OBS_VALUE"].isna().all()
    assert (frame.loc[~confidential, "OBS_VALUE"].dropna() % 5 == 0).all()


def test_ctdc_microdata_is_11_anonymous(assessments):
    ds = Dataset(assessments)
    persons = ds.con.execute("SELECT * FROM persons").df()
    data, report = k_anonymise(ctdc_microdata(persons), k=11)
    assert report.records_out > 0.5 * report.records_in
    qis = ["typeOfLabour", "citizenship", "ageBroad", "gender", "CountryOfExploitation", "yearOfRegistration",
           "isForcedLabour", "isSexualExploit", "isForcedMarriage", "isOtherExploit"]
    assert data.groupby(qis).size().min() >= 11
    assert "given_name" not in data.columns and "subject_ref" not in data.columns


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(20, 400), st.integers(2, 15))
def test_k_anonymity_holds_for_any_data(seed, n, k):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "a": rng.choice(list("abcdefgh"), n), "b": rng.integers(0, 5, n).astype(str), "c": rng.choice(["x", "y"], n),
        "majorityStatus": rng.choice(["Adult", "Minor"], n),
    })
    data, report = k_anonymise(frame, k=k, quasi_identifiers=["a", "b", "c"])
    if len(data):
        assert data.groupby(["a", "b", "c"]).size().min() >= k
    assert report.records_out == len(data)


def test_eu_merge_of_published_national_tables(tmp_path):
    ro = synthetic_assessments(4000, seed=1).assign(country_of_interview="RO")
    bg = synthetic_assessments(800, seed=2).assign(country_of_interview="BG")
    spec = parse_spec({"tables": [{"id": "v", "measure": "vulnerable", "by": ["period", "citizenship"]}]})
    paths = []
    for name, df in (("RO", ro), ("BG", bg)):
        paths.append(write_csv(compute_tables(df, spec), tmp_path / f"{name}.csv"))
    frames = [read_published(p) for p in paths]
    eu = merge_national(frames)
    complete = eu[eu.status == "complete"]
    # a complete EU cell is the sum of the national released values
    key = complete.iloc[0]
    parts = [f[(f.period == key.period) & (f.citizenship == key.citizenship)]["value"].item() for f in frames]
    assert key.value == sum(parts)
    partial = eu[eu.status == "partial"]
    if len(partial):
        assert partial["value"].isna().all()
        assert (partial["lower"] <= partial["upper"]).all()
    # the EU grand total is exact: national totals are released
    total = eu[(eu.period == "TOTAL") & (eu.citizenship == "TOTAL")]
    assert total.status.item() == "complete"
    other = frames[1].assign(standard_version="2.0")
    with pytest.raises(LanternError, match="standard versions"):
        merge_national([frames[0], other])


def test_compare_countries_side_by_side(tmp_path):
    from lantern.statistics.combine import compare_countries

    spec = parse_spec({"tables": [{"id": "v", "measure": "vulnerable", "by": ["period"]}]})
    frames = []
    for name, seed in (("RO", 1), ("BG", 2)):
        frames.append(read_published(write_csv(compute_tables(synthetic_assessments(1500, seed=seed), spec), tmp_path / f"{name}.csv")))
    wide = compare_countries(frames)
    assert list(wide.columns[-2:]) == ["RO", "BG"]
    row = wide[wide.period == "TOTAL"]
    assert row["RO"].item() == frames[0].loc[frames[0].period == "TOTAL", "display"].item()


def test_linked_tables_suppress_their_common_margins_alike(assessments):
    from lantern.statistics.release import check_linked
    from lantern.statistics.tables import Dataset, _shared_cells, compute_table

    spec = parse_spec({
        "defaults": {"population": "all", "measure": "registered_victims"},
        "tables": [{"id": "sex", "by": ["period", "country", "sex"]}, {"id": "age", "by": ["period", "country", "age_band"]}],
    })
    small = assessments.sample(2500, random_state=1)
    ds = Dataset(small)
    # protected one by one, the tables disagree on shared margins: one would reveal the other's cells
    alone = [compute_table(ds, t, rules=SDCRules()) for t in spec.tables]
    assert check_linked(alone)
    with pytest.raises(LanternError, match="shared with table"):
        Release("r", "alone", alone).check()
    # protected together: one pattern, and the joint LP audit (all tables read together) passes
    tables = compute_tables(ds, spec)
    ia, ib = _shared_cells(tables[0], tables[1])
    assert ((tables[0].protected.status.ravel()[ia] != "published") == (tables[1].protected.status.ravel()[ib] != "published")).all()
    assert Release("r", "together", tables).check().ok


def test_crim_thb_age_codes_follow_eurostat():
    from lantern.statistics.export import _crim_age

    codes = {label: _crim_age(label) for label in ["0-17", "18+", "0-11", "12-17", "18-24", "65+", "UNK", "TOTAL"]}
    assert codes == {"0-17": "Y_LT18", "18+": "Y_GE18", "0-11": "Y_LT12", "12-17": "Y12-17", "18-24": "Y18-24",
                     "65+": "Y_GE65", "UNK": "UNK", "TOTAL": "TOTAL"}
