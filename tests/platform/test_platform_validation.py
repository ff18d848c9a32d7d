import datetime as dt

import pytest

from lantern.errors import ValidationError
from lantern.platform.cases import validation


def fields_of(exc):
    return {(p.field, p.record) for p in exc.value.problems}


def test_valid_row_is_cleaned(flat_row, std):
    out = validation.clean_assessment(flat_row(), record="row 2")
    assert out["interview_date"] < dt.date.today()
    assert set(out["indicators"]) == {c.name for c in std.assessment_columns() if c.kind == "indicator"}
    assert set(out["indicators"].values()) == {"no"}


@pytest.mark.parametrize("value, expected", [(1, "yes"), ("0", "no"), ("", "unknown"), (None, "unknown"),
                                             ("Yes", "yes"), ("unknown", "unknown"), (True, "yes")])
def test_flag_values(value, expected):
    assert validation.parse_flag(value) == expected


def test_every_problem_is_reported_with_field_and_row(flat_row, std):
    ind = next(c.name for c in std.assessment_columns() if c.kind == "indicator")
    fac = next(c.name for c in std.assessment_columns() if c.kind == "factor")
    row = flat_row(sex="martian", citizenship="XX", interview_date=(dt.date.today() + dt.timedelta(days=2)).isoformat(),
                   age="abc", bogus_column="1")
    row[ind] = "maybe"
    del row[fac]
    with pytest.raises(ValidationError) as exc:
        validation.clean_assessment(row, record="row 7")
    assert fields_of(exc) == {(f, "row 7") for f in ("sex", "citizenship", "interview_date", "age", "bogus_column",
                                                     ind, fac)}
    assert any("future" in p.reason for p in exc.value.problems)


def test_wrong_standard_version(flat_row):
    with pytest.raises(ValidationError) as exc:
        validation.clean_assessment(flat_row(standard_version="9.9"))
    assert exc.value.problems[0].field == "standard_version"
    assert "9.9" in exc.value.problems[0].reason


def test_birth_after_interview(flat_row):
    row = flat_row(interview_date="2024-05-01", age=None)
    with pytest.raises(ValidationError) as exc:
        validation.clean_assessment(row, date_of_birth=dt.date(2024, 6, 1))
    assert ("date_of_birth", None) in fields_of(exc)


def test_leg_exit_before_entry_and_unknown_codes():
    with pytest.raises(ValidationError) as exc:
        validation.clean_leg({"country": "RO", "entry_date": "2024-03-10", "exit_date": "2024-03-01",
                              "mode": "teleport", "facilitator_type": "wizard"}, record="leg 2")
    assert fields_of(exc) == {("exit_date", "leg 2"), ("mode", "leg 2"), ("facilitator_type", "leg 2")}


def test_leg_needs_a_country():
    with pytest.raises(ValidationError) as exc:
        validation.clean_leg({"country": ""})
    assert fields_of(exc) == {("country", None)}


def test_journey_order():
    legs = [{"entry_date": dt.date(2024, 1, 1), "exit_date": dt.date(2024, 2, 1)},
            {"entry_date": dt.date(2024, 1, 15), "exit_date": None}]
    problems = validation.check_journey_order(legs)
    assert [(p.field, p.record) for p in problems] == [("entry_date", "leg 2")]


def test_identity_phone_and_future_birth():
    with pytest.raises(ValidationError) as exc:
        validation.clean_identity({"phone": "call me", "date_of_birth": "2999-01-01"})
    assert fields_of(exc) == {("phone", None), ("date_of_birth", None)}
