"""ILO–EC determination rules: the dimension truth table, adult and child rules, unknown answers."""

from __future__ import annotations

import itertools

import pytest

from lantern.screening import screen_assessment, screen_batch
from lantern.screening.batch import dimension_present
from lantern.screening.spec import GRADES, LISTS


def expected_dimension(s: int, m: int, w: int) -> bool:
    """The rule as written in ILO & EC (2009): >=2 strong; 1 strong + 1 medium/weak; 3 medium; 2 medium + 1 weak."""
    return s >= 2 or (s >= 1 and m + w >= 1) or m >= 3 or (m >= 2 and w >= 1)


@pytest.mark.parametrize("s,m,w", list(itertools.product(range(4), repeat=3)))
def test_dimension_rule_truth_table(spec, s, m, w):
    assert bool(dimension_present(spec.rule["dimension_rule"], s, m, w)) == expected_dimension(s, m, w)


def test_dimension_rule_named_cases(spec):
    rule = spec.rule["dimension_rule"]
    assert not dimension_present(rule, 1, 0, 0)  # one strong alone
    assert dimension_present(rule, 1, 0, 1)  # strong + weak
    assert not dimension_present(rule, 0, 2, 0)
    assert dimension_present(rule, 0, 2, 1)
    assert not dimension_present(rule, 0, 1, 3)  # weak answers never make up for medium ones
    assert not dimension_present(rule, 0, 0, 3)


def _by_grade(spec, dim: str, list_name: str) -> dict[str, list[str]]:
    li = LISTS.index(list_name)
    codes = spec.grade_codes()
    out: dict[str, list[str]] = {g: [] for g in GRADES}
    for j, ind in enumerate(spec.indicators):
        if ind.dimension == dim and codes[li, j] < 3:
            out[GRADES[codes[li, j]]].append(ind.id)
    return out


def _answers_for(spec, dim: str, list_name: str, s: int, m: int, w: int) -> dict[str, int] | None:
    g = _by_grade(spec, dim, list_name)
    if len(g["strong"]) < s or len(g["medium"]) < m or len(g["weak"]) < w:
        return None
    chosen = g["strong"][:s] + g["medium"][:m] + g["weak"][:w]
    answers = {i: 1 for i in chosen}
    # every other indicator of the dimension is a firm "no"
    for ids in g.values():
        for i in ids:
            answers.setdefault(i, 0)
    return answers


@pytest.mark.parametrize("s,m,w", [(c[0], c[1], c[2]) for c in itertools.product(range(3), range(4), range(2))])
def test_dimension_rule_on_real_indicators(spec, std, s, m, w):
    answers = _answers_for(spec, "coercion_at_destination", "adult_labour", s, m, w)
    if answers is None:
        pytest.skip("the list has too few indicators of that grade")
    res = screen_assessment({"assessment_id": "x", "age": 30, "exploitation_form": "forced_labour", **answers}, standard=std)
    dim = res.dimension("coercion_at_destination")
    assert (dim.strong, dim.medium, dim.weak) == (s, m, w)
    assert dim.present == expected_dimension(s, m, w)
    assert {h.id for h in dim.indicators} == {k for k, v in answers.items() if v == 1}


def _present_answers(spec, dim: str, list_name: str) -> dict[str, int]:
    for s, m, w in ((2, 0, 0), (1, 1, 0), (1, 0, 1), (0, 3, 0), (0, 2, 1)):
        a = _answers_for(spec, dim, list_name, s, m, w)
        if a is not None:
            return {k: v for k, v in a.items() if v == 1}
    raise AssertionError(f"cannot make {dim} present on {list_name}")


@pytest.mark.parametrize("child", [False, True])
@pytest.mark.parametrize("form", ["forced_labour", "sexual_exploitation"])
def test_presumed_victim_every_dimension_combination(spec, std, child, form):
    list_name = ("child_" if child else "adult_") + ("sexual" if form == "sexual_exploitation" else "labour")
    roles = spec.dimension_roles
    rows, expected = [], []
    for k, combo in enumerate(itertools.product([False, True], repeat=len(spec.dimensions))):
        row = {"assessment_id": f"c{k}", "age": 15 if child else 30, "exploitation_form": form}
        for on, dim in zip(combo, spec.dimensions, strict=True):
            if on:
                row.update(_present_answers(spec, dim, list_name))
        row = {**{i: 0 for i in spec.answer_ids}, **row}
        present = {d for on, d in zip(combo, spec.dimensions, strict=True) if on}
        any_role = {r: any(roles[d] == r for d in present) for r in ("act_means", "exploitation", "coercion")}
        if child:
            exp = any_role["exploitation"]
        else:
            exp = any_role["act_means"] and any_role["exploitation"] and any_role["coercion"]
        rows.append(row)
        expected.append((present, exp))
    import polars as pl

    out = screen_batch(pl.DataFrame(rows), standard=std)
    assert set(out["ilo_list"].to_list()) == {list_name}
    for r, (present, exp) in zip(out.iter_rows(named=True), expected, strict=True):
        assert {d for d in spec.dimensions if r[f"dim.{d}"]} == present
        assert r["presumed_victim"] == exp
        assert r["presumed_victim_possible"] == exp  # nothing unknown: nothing could change
        assert r["unknown_answers"] == 0
    # one full combination through the explained path: the deciding indicators are named
    single = screen_assessment(rows[-1], standard=std)
    assert single.presumed_victim
    assert single.deciding_indicators
    assert {h.dimension for h in single.deciding_indicators} <= set(spec.dimensions)


def test_child_needs_no_means(spec, std):
    answers = {**{i: 0 for i in spec.answer_ids}, **_present_answers(spec, "exploitative_conditions", "child_labour")}
    child = screen_assessment({"assessment_id": "c", "age": 16, "exploitation_form": "forced_labour", **answers}, standard=std)
    adult = screen_assessment({"assessment_id": "a", "age": 30, "exploitation_form": "forced_labour", **answers}, standard=std)
    assert child.ilo_list == "child_labour" and child.presumed_victim
    assert adult.ilo_list == "adult_labour" and not adult.presumed_victim
    assert [h.dimension for h in child.deciding_indicators] == ["exploitative_conditions"] * len(child.deciding_indicators)


def test_unknown_is_never_no(spec, std):
    g = _by_grade(spec, "coercion_at_destination", "adult_labour")
    strong, medium = g["strong"][0], g["medium"][0]
    base = {"assessment_id": "u", "age": 30, "exploitation_form": "forced_labour", strong: 1}
    res = screen_assessment(base, standard=std)  # everything else unknown
    dim = res.dimension("coercion_at_destination")
    assert not dim.present and dim.possible
    assert res.unknown_answers == len(spec.answer_ids) - 1
    assert res.presumed_victim_possible and not res.presumed_victim and res.could_change
    # answering the missing medium "yes" makes the dimension present; "no" to all rules it out
    assert screen_assessment({**base, medium: 1}, standard=std).dimension("coercion_at_destination").present
    firm_no = {**{i: 0 for i in spec.answer_ids}, **base}
    res_no = screen_assessment(firm_no, standard=std)
    assert res_no.unknown_answers == 0
    assert not res_no.dimension("coercion_at_destination").possible
    assert not res_no.presumed_victim_possible and not res_no.could_change


def test_unknown_age_considers_the_child_rule(spec, std):
    answers = {**{i: 0 for i in spec.answer_ids}, **_present_answers(spec, "exploitative_conditions", "child_labour")}
    res = screen_assessment({"assessment_id": "x", "age": None, "exploitation_form": "forced_labour", **answers}, standard=std)
    assert res.ilo_list == "adult_labour"
    assert not res.presumed_victim
    assert res.presumed_victim_possible  # a child with these answers would be a presumed victim
    assert any("age unknown" in n for n in res.notes)
    import polars as pl

    out = screen_batch(pl.DataFrame([{"assessment_id": "x", "age": None, "exploitation_form": "forced_labour", **answers}],
                                    schema_overrides={"age": pl.Int64}), standard=std)
    assert out["presumed_victim_possible"][0] and not out["presumed_victim"][0]


def test_missing_columns_count_as_unknown(spec, std):
    import polars as pl

    ids = spec.indicator_ids[:5]
    df = pl.DataFrame({"assessment_id": ["a", "b"], **{i: [1, None] for i in ids}})
    out = screen_batch(df, standard=std)
    total = len(spec.answer_ids)
    assert out["unknown_answers"].to_list() == [total - 5, total]
