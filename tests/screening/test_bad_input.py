"""Bad input is refused with a clear LanternError naming the record, the field and the reason."""

from __future__ import annotations

import polars as pl
import pytest

from lantern.errors import LanternError
from lantern.screening import screen_assessment, screen_batch


def test_unknown_standard_version(spec):
    df = pl.DataFrame({"assessment_id": ["a"], "standard_version": ["9.9"]})
    with pytest.raises(LanternError) as exc:
        screen_batch(df)
    assert exc.value.problems[0].field == "standard_version"
    assert "9.9" in str(exc.value)
    with pytest.raises(LanternError):
        screen_assessment({"assessment_id": "a", "standard_version": "9.9"})


def test_version_mismatch_with_the_given_standard(std):
    df = pl.DataFrame({"assessment_id": ["a", "b"], "standard_version": ["1.0", "0.5"]})
    with pytest.raises(LanternError) as exc:
        screen_batch(df, standard=std)
    p = exc.value.problems[0]
    assert p.field == "standard_version" and p.record == "assessment b"


def test_answers_to_unknown_indicators(std, spec):
    df = pl.DataFrame({"assessment_id": ["a"], "coercion_at_destination.made_up": [1], spec.indicator_ids[0]: [1]})
    with pytest.raises(LanternError) as exc:
        screen_batch(df, standard=std)
    assert [p.field for p in exc.value.problems] == ["coercion_at_destination.made_up"]
    with pytest.raises(LanternError) as exc:
        screen_assessment({"assessment_id": "a", "individual.invented": 1}, standard=std)
    assert exc.value.problems[0].field == "individual.invented"
    assert exc.value.problems[0].record == "assessment a"


def test_values_other_than_yes_no_unknown(std, spec):
    col = spec.indicator_ids[3]
    df = pl.DataFrame({"assessment_id": ["a", "b", "c"], col: [1, 2, None]})
    with pytest.raises(LanternError) as exc:
        screen_batch(df, standard=std)
    p = exc.value.problems[0]
    assert (p.record, p.field) == ("assessment b", col)
    assert "2" in p.reason
    with pytest.raises(LanternError):
        screen_batch(pl.DataFrame({"assessment_id": ["a"], col: ["maybe"]}), standard=std)
    for wrong in ([1, -1, None], [0, 0.5, 1], [1, 300, 0]):  # -1 is not "unknown"; no fractions; no overflow
        with pytest.raises(LanternError) as exc:
            screen_batch(pl.DataFrame({"assessment_id": ["a", "b", "c"], col: wrong}, strict=False), standard=std)
        assert exc.value.problems[0].record == "assessment b"
    with pytest.raises(LanternError) as exc:
        screen_assessment({"assessment_id": "z", col: "perhaps"}, standard=std)
    assert exc.value.problems[0].field == col


def test_missing_assessment_id(std, spec):
    with pytest.raises(LanternError) as exc:
        screen_batch(pl.DataFrame({spec.indicator_ids[0]: [1]}), standard=std)
    assert exc.value.problems[0].field == "assessment_id"


def test_single_accepts_words_and_reports_unknowns(std, spec):
    a, b = spec.indicator_ids[:2]
    res = screen_assessment({"assessment_id": "w", a: "yes", b: "no"}, standard=std)
    assert res.unknown_answers == len(spec.answer_ids) - 2
    assert a in [c.id for c in res.contributions] and b not in res.unknown_ids
