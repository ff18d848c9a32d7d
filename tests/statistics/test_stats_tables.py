"""Table specs and counts against hand computations on generated data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lantern.errors import LanternError
from lantern.statistics import _std
from lantern.statistics.sdc import TOTAL, SDCRules
from lantern.statistics.spec import load_spec, parse_spec
from lantern.statistics.tables import Dataset, compute_tables


def first_assessment_per_person(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df["k"] = pd.to_datetime(df["interview_date"]).dt.strftime("%Y-%m-%d") + df["assessment_id"]
    first = df.sort_values("k").groupby("subject_ref", as_index=False).first()
    flags = df.groupby("subject_ref")[["vulnerable", "presumed_victim"]].any().reset_index()
    return first.drop(columns=["vulnerable", "presumed_victim"]).merge(flags, on="subject_ref")


def test_counts_match_a_hand_computation(assessments):
    spec = parse_spec({"tables": [{"id": "v", "measure": "vulnerable", "by": ["period", "citizenship"]}]})
    (table,) = compute_tables(assessments, spec, rules=SDCRules.none())
    persons = first_assessment_per_person(assessments)
    eu = _std.eu_codes()
    tcn = persons[persons.citizenship.notna() & ~persons.citizenship.isin(eu)]
    expected = tcn[tcn.vulnerable].groupby([pd.to_datetime(tcn.interview_date).dt.year.astype(str), "citizenship"]).size()
    got = table.true_frame()
    body = got[(got.period != TOTAL) & (got.citizenship != TOTAL)].set_index(["period", "citizenship"])["true_value"]
    for key, value in expected.items():
        assert body[key] == value
    assert got.loc[(got.period == TOTAL) & (got.citizenship == TOTAL), "true_value"].item() == int(tcn.vulnerable.sum())
    # EU citizens are not TCNs
    assert not set(got.citizenship) & (set(eu) - {TOTAL})


def test_a_person_is_counted_once_at_the_first_assessment():
    df = pd.DataFrame(
        {
            "assessment_id": ["a1", "a2", "a3"],
            "subject_ref": ["p1", "p1", "p2"],
            "interview_date": pd.to_datetime(["2025-03-01", "2026-01-05", "2025-07-01"]),
            "citizenship": ["NP", "NP", "IN"],
            "country_of_interview": ["RO", "HU", "RO"],
            "sex": ["male", "male", "female"],
            "age": [30, 31, 40],
            "vulnerable": [False, True, True],
            "presumed_victim": [False, False, False],
        }
    )
    spec = parse_spec({"tables": [{"id": "t", "measure": "vulnerable", "by": ["period", "country"]}]})
    (table,) = compute_tables(df, spec, rules=SDCRules.none())
    f = table.true_frame().set_index(["period", "country"])["true_value"]
    assert f[("2025", "RO")] == 2  # p1 registered in RO in 2025; vulnerable at a later assessment
    assert ("2026", "HU") not in f.index
    assert f[(TOTAL, TOTAL)] == 2


def test_each_table_states_its_standard_version_and_sdc_applies(assessments):
    spec = parse_spec({"standard_version": "1.0", "tables": [{"id": "s", "measure": "presumed_victims", "by": ["period", "sex", "age_band"]}]})
    (table,) = compute_tables(assessments, spec)
    f = table.frame()
    assert set(f.standard_version) == {"1.0"}
    assert "true_value" not in f.columns
    shown = f["value"].dropna().astype(int)
    assert not ((shown > 0) & (shown < 11)).any()
    assert set(f.loc[f.status == "primary", "display"]) <= {"<11"}
    assert set(f.age_band) <= {"0-17", "18+", "UNK", TOTAL}


def test_unknown_variable_in_a_spec_is_a_clear_error():
    with pytest.raises(LanternError) as err:
        parse_spec({"tables": [{"id": "bad", "measure": "vulnerable", "by": ["period", "shoe_size"]}]}, source="s.yaml")
    problem = err.value.problems[0]
    assert problem.field == "by" and "shoe_size" in problem.reason and "bad" in problem.record


def test_every_problem_in_a_spec_is_reported():
    with pytest.raises(LanternError) as err:
        parse_spec({"tables": [{"id": "a", "measure": "nope", "by": ["period"], "period": "decade", "colour": 1}]})
    fields = {p.field for p in err.value.problems}
    assert {"measure", "period", "colour"} <= fields


def test_identified_victims_needs_the_column(assessments):
    spec = parse_spec({"tables": [{"id": "i", "measure": "identified_victims", "by": ["period"]}]})
    with pytest.raises(LanternError, match="identified_victim"):
        compute_tables(assessments.drop(columns=["identified_victim"]), spec)


def test_missing_required_column_names_the_column(assessments):
    with pytest.raises(LanternError) as err:
        Dataset(assessments.drop(columns=["citizenship"]))
    assert err.value.problems[0].field == "citizenship"


def test_example_specs_load():
    from pathlib import Path

    folder = Path(__file__).parents[2] / "examples" / "stats"
    specs = sorted(folder.glob("*.yaml"))
    assert specs, "example specs are shipped"
    for path in specs:
        assert load_spec(path).tables


def test_filters_and_population_all(assessments):
    spec = parse_spec(
        {"tables": [{"id": "f", "measure": "persons", "population": "all", "by": ["citizenship_group"], "filter": {"country": ["RO"]}}]}
    )
    (table,) = compute_tables(assessments, spec, rules=SDCRules.none())
    persons = first_assessment_per_person(assessments)
    ro = persons[persons.country_of_interview == "RO"]
    f = table.true_frame().set_index("citizenship_group")["true_value"]
    assert f[TOTAL] == len(ro)
    assert f["REPORTING"] == int((ro.citizenship == "RO").sum())
    assert np.isclose(f[["NON_EU", "OTHER_EU", "REPORTING"]].sum(), len(ro))


def test_simulator_output_with_screening_flags(tmp_path):
    simulate = pytest.importorskip("lantern.simulate")
    pytest.importorskip("lantern.screening")
    world = simulate.simulate("romania", people=1500, seed=3)
    world.write(tmp_path / "sim")
    spec = parse_spec({"tables": [{"id": "p", "measure": "persons", "by": ["period", "citizenship"]},
                                  {"id": "v", "measure": "vulnerable", "by": ["period", "sex"]}]})
    persons_t, vulnerable_t = compute_tables(tmp_path / "sim", spec, rules=SDCRules.none())
    assessments = pd.read_parquet(tmp_path / "sim" / "assessments.parquet")
    tcn = assessments[~assessments.citizenship.isin(_std.eu_codes()) & assessments.citizenship.notna()]
    total = persons_t.true_frame().query("period == 'TOTAL' and citizenship == 'TOTAL'")["true_value"].item()
    assert total == tcn.subject_ref.nunique()
    from lantern.screening import screen_batch

    flags = screen_batch(tcn).to_pandas()
    vulnerable_people = tcn.loc[tcn.assessment_id.isin(flags.loc[flags.vulnerable, "assessment_id"]), "subject_ref"].nunique()
    got = vulnerable_t.true_frame().query("period == 'TOTAL' and sex == 'TOTAL'")["true_value"].item()
    assert got == vulnerable_people


def test_person_cache_gives_the_same_tables(assessments_dir, tmp_path):
    spec = parse_spec({"tables": [{"id": "v", "measure": "vulnerable", "by": ["period", "sex"]}]})
    first = compute_tables(Dataset(assessments_dir, cache=tmp_path), spec)[0].true_frame()
    cached = list(tmp_path.glob("persons-*.parquet"))
    assert len(cached) == 1
    again = compute_tables(Dataset(assessments_dir, cache=tmp_path), spec)[0].true_frame()
    pd.testing.assert_frame_equal(first, again)


def test_one_scan_for_all_tables_gives_the_same_counts_as_table_by_table(assessments):
    from lantern.statistics.tables import compute_table

    spec = load_spec(__import__("pathlib").Path(__file__).parents[2] / "examples" / "stats" / "tcn_counts.yaml")
    ds = Dataset(assessments)
    batch = compute_tables(ds, spec, rules=SDCRules.none())
    for t, b in zip(spec.tables, batch, strict=True):
        pd.testing.assert_frame_equal(compute_table(ds, t, rules=SDCRules.none()).true_frame(), b.true_frame())
