"""Properties that must hold for any answers (Hypothesis): monotonicity and the meaning of "could be"."""

from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lantern.screening import screen_assessment, screen_batch

answer = st.sampled_from([1, 0, None])


@st.composite
def assessments(draw, spec):
    ids = spec.answer_ids
    values = draw(st.lists(answer, min_size=len(ids), max_size=len(ids)))
    row = dict(zip(ids, values, strict=True))
    row.update({"assessment_id": "h", "age": draw(st.sampled_from([15, 30])),
                "exploitation_form": draw(st.sampled_from(["forced_labour", "sexual_exploitation"]))})
    return row


def _strategy(spec):
    return assessments(spec)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_yes_never_lowers_the_outcome(spec, std, data):
    row = data.draw(_strategy(spec))
    candidates = [i for i in spec.answer_ids if row[i] != 1 and not (i in spec.factor_ids and spec.factor(i).kind == "protective")]
    if not candidates:
        return
    flip = data.draw(st.sampled_from(candidates))
    before = screen_assessment(row, standard=std)
    after = screen_assessment({**row, flip: 1}, standard=std)
    assert after.risk_score >= before.risk_score - 1e-9
    assert {d.id for d in before.dimensions if d.present} <= {d.id for d in after.dimensions if d.present}
    assert after.presumed_victim or not before.presumed_victim
    assert spec.level_names.index(after.risk_level) >= spec.level_names.index(before.risk_level)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_could_be_means_answering_yes_would_make_it_so(spec, std, data):
    row = data.draw(_strategy(spec))
    res = screen_assessment(row, standard=std)
    all_yes = {k: (1 if (v is None and k in spec.answer_ids) else v) for k, v in row.items()}
    all_no = {k: (0 if (v is None and k in spec.answer_ids) else v) for k, v in row.items()}
    assert screen_assessment(all_yes, standard=std).presumed_victim == res.presumed_victim_possible
    assert screen_assessment(all_no, standard=std).presumed_victim == res.presumed_victim
    batch = screen_batch(pl.DataFrame([row], schema_overrides={k: pl.Int8 for k in spec.answer_ids}), standard=std)
    assert batch["presumed_victim_possible"][0] == res.presumed_victim_possible
    assert abs(batch["risk_score"][0] - res.risk_score) < 0.011
