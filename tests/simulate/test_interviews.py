"""Every generated interview is valid against the data standard (flat assessment format)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from lantern.simulate.stdview import standard_view


def test_columns_are_the_standard_flat_format(world):
    std = standard_view()
    assert tuple(world.assessments.columns) == std.assessment_columns


def test_codes_and_values_are_valid(world):
    std = standard_view()
    a = world.assessments
    assert a.height > 500
    assert a["assessment_id"].n_unique() == a.height
    assert (a["standard_version"] == std.version).all()
    for col, code_list in (("sex", "sex"), ("legal_status", "legal_status"), ("education", "education"),
                           ("sector", "sector"), ("exploitation_form", "exploitation_form")):
        assert set(a[col].drop_nulls().unique()) <= set(std.codes(code_list)), col
    for col in ("citizenship", "country_of_interview"):
        assert set(a[col].unique()) <= set(std.codes("country")), col
    for col in [*std.indicator_ids, *std.factor_ids]:
        assert set(a[col].drop_nulls().unique()) <= {0, 1}, col
    assert a["subject_ref"].is_in(world.people["person_id"].implode()).all()
    assert a["age"].drop_nulls().min() >= 14
    assert a["interview_date"].min() >= dt.date(2024, 1, 1)
    assert a["interview_date"].max() <= dt.date(2025, 12, 31)
    # an interview never happens before the person arrived
    j = a.join(world.people.select("person_id", "entry_date"), left_on="subject_ref", right_on="person_id")
    assert (j["interview_date"] >= j["entry_date"]).all()


def test_rows_validate_against_the_standard_json_schema(world):
    import jsonschema

    from lantern.standard import load_standard
    from lantern.standard.export import json_schema

    validator = jsonschema.Draft202012Validator(json_schema(load_standard()), format_checker=jsonschema.FormatChecker())
    rows = world.assessments.with_columns(pl.col("interview_date").cast(pl.String)).head(400).to_dicts()
    errors = [(r["assessment_id"], e.message) for r in rows for e in validator.iter_errors(r)]
    assert errors == []


def test_interviews_import_through_the_standard_per_agency(world):
    # only the agencies that interview (police, labour inspection, NGOs) produce assessments
    assert set(world.assessments["agency"].unique()) == {"police", "labour_inspection", "ngo_a", "ngo_b"}
    # one interview per person per agency (duplicates in a list are not re-interviewed)
    assert world.assessments.select("subject_ref", "agency").is_unique().all()


def test_formal_identification_follows_exploitation_and_agency(world):
    a = world.assessments.join(world.people.select("person_id", "exploited"), left_on="subject_ref", right_on="person_id")
    assert a["identified_victim"].dtype == pl.Int8
    assert set(a["identified_victim"].drop_nulls().unique()) == {0, 1}
    # never for a person who was not exploited (identified_if_not_exploited defaults to 0)
    assert a.filter(~pl.col("exploited"))["identified_victim"].drop_nulls().sum() == 0
    # unknown (null) about 10 % of the time, exploited or not
    assert 0.06 < a["identified_victim"].null_count() / a.height < 0.14
    ex = a.filter(pl.col("exploited"))
    # recorded yes: 0.30 for exploited interviewees, 0.60 when the police interview (romania.yaml)
    by = {r["agency"]: r["yes"] for r in ex.group_by("agency").agg((pl.col("identified_victim") == 1).mean().alias("yes")).to_dicts()}
    assert 0.50 < by["police"] < 0.70
    for agency in ("labour_inspection", "ngo_a", "ngo_b"):
        assert 0.20 < by[agency] < 0.40, (agency, by[agency])


def test_identification_parameters_change_only_that_column():
    from lantern.errors import LanternError
    from lantern.simulate import load_scenario, simulate

    base = simulate("romania", people=3_000, seed=4).assessments
    sc = load_scenario({"extends": "romania", "name": "eager",
                        "interviews": {"identified_if_exploited": 0.9, "identified_if_not_exploited": 0.05},
                        "lists": {"agencies": {"police": {"identified_if_exploited": None}}}})
    eager = simulate(sc, people=3_000, seed=4).assessments
    assert base.drop("identified_victim").equals(eager.drop("identified_victim"))
    assert (eager["identified_victim"] == 1).sum() > (base["identified_victim"] == 1).sum()
    with pytest.raises(LanternError, match="identification_unknown"):
        load_scenario({"extends": "romania", "name": "bad", "interviews": {"identified_if_exploited": 0.95}})
