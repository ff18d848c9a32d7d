"""Scenario loading and strict validation: every bad key is named, with the reason."""

from __future__ import annotations

import copy

import pytest
import yaml

from lantern.errors import LanternError
from lantern.simulate import builtin_scenarios, load_scenario, simulate
from lantern.simulate.scenario import SCENARIO_DIR


def _raw():
    return yaml.safe_load((SCENARIO_DIR / "romania.yaml").read_text(encoding="utf-8"))


def _problems(raw) -> dict[str, str]:
    with pytest.raises(LanternError) as exc:
        load_scenario(raw)
    return {p.field: p.reason for p in exc.value.problems}


def test_builtin_scenarios_load_and_differ():
    names = builtin_scenarios()
    assert {"romania", "independent-lists", "mediterranean-sea-arrivals"} <= set(names)
    for name in names:
        sc = load_scenario(name)
        assert sc.name == name
    med = load_scenario("mediterranean-sea-arrivals")
    assert med["destination"] == "IT" and "sea" in med["channels"]
    ind = load_scenario("independent-lists")
    assert ind["lists"]["dependence"] == 0 and ind["lists"]["heterogeneity"] == 0
    # inherited from romania, with only the base rate overridden
    assert ind["lists"]["agencies"]["police"]["noise"] == load_scenario("romania")["lists"]["agencies"]["police"]["noise"]


def test_unknown_key_is_named_at_any_depth():
    raw = _raw()
    raw["colour"] = "blue"
    raw["origins"]["NP"]["hair"] = 1
    raw["lists"]["agencies"]["police"]["noise"]["typos"] = 0.1
    probs = _problems(raw)
    assert "unknown key 'colour'" in probs["colour"]
    assert "unknown key 'hair'" in probs["origins.NP.hair"]
    assert "unknown key 'typos'" in probs["lists.agencies.police.noise.typos"]


def test_probability_outside_unit_interval():
    raw = _raw()
    raw["exploitation"]["prevalence"] = 1.5
    raw["lists"]["agencies"]["ngo_a"]["noise"]["dob_missing"] = -0.1
    probs = _problems(raw)
    assert "outside [0, 1]" in probs["exploitation.prevalence"]
    assert "outside [0, 1]" in probs["lists.agencies.ngo_a.noise.dob_missing"]


def test_rows_must_sum_to_one():
    raw = _raw()
    raw["origins"]["NP"]["channels"] = {"work_permit": 0.5, "irregular_transit": 0.2}
    raw["origins"]["NP"]["share"] = 0.5  # origin shares no longer sum to one either
    probs = _problems(raw)
    assert "sum to 0.7" in probs["origins.NP.channels"]
    assert "sum to" in probs["origins"]


def test_unknown_country_language_and_code():
    raw = _raw()
    raw["origins"]["XX"] = copy.deepcopy(raw["origins"].pop("NP"))
    raw["origins"]["LK"]["languages"] = {"zz": 1.0}
    raw["destination"] = "ROU"
    raw["channels"]["student"]["legal_status"] = {"tourist": 1.0}
    probs = _problems(raw)
    assert "unknown country code 'XX'" in probs["origins.XX"]
    assert "unknown language code 'zz'" in probs["origins.LK.languages.zz"]
    assert "unknown country code 'ROU'" in probs["destination"]
    assert "unknown legal_status code 'tourist'" in probs["channels.student.legal_status.tourist"]


def test_negative_sizes():
    raw = _raw()
    raw["onward"]["after_days"] = -3
    raw["channels"]["work_permit"]["routes"][0]["legs"][0]["stay_days"] = -1
    probs = _problems(raw)
    assert "positive" in probs["onward.after_days"]
    assert "negative" in probs["channels.work_permit.routes[0].legs[0].stay_days"]
    with pytest.raises(LanternError) as exc:
        simulate("romania", people=-5, seed=1)
    assert exc.value.problems[0].field == "people"
    with pytest.raises(LanternError):
        simulate("romania", people=10, seed=-1)


def test_structural_errors():
    raw = _raw()
    agencies = raw["lists"]["agencies"]
    agencies["police"]["effects"]["shoe_size"] = 1.0
    agencies["police"]["romanisation"] = {"cyrillic": "klingon"}
    probs = _problems(raw)
    assert "unknown capture covariate" in probs["lists.agencies.police.effects.shoe_size"]
    assert "klingon" in probs["lists.agencies.police.romanisation.cyrillic"]
    # consistency checks across sections (run once every key is well-formed)
    raw = _raw()
    raw["lists"]["agencies"]["border_police"]["referrals"] = {"ngo_b": 1.0}  # from a later list
    raw["channels"]["student"]["routes"][0]["legs"][0]["to"] = "HU"  # never reaches Romania
    raw["origins"]["NP"]["languages"] = {"fr": 1.0}  # a real language without a name pool
    probs = _problems(raw)
    assert "defined earlier" in probs["lists.agencies.border_police.referrals.ngo_b"]
    assert "destination RO" in probs["channels.student.routes[0].legs"]
    assert "no name pool" in probs["origins.NP.languages.fr"]


def test_unknown_scenario_name_and_bad_file(tmp_path):
    with pytest.raises(LanternError, match="unknown scenario"):
        load_scenario("atlantis")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(LanternError, match="not valid YAML"):
        load_scenario(bad)


def test_extends_from_file_and_removing_an_agency(tmp_path):
    child = tmp_path / "child.yaml"
    child.write_text(
        "extends: romania\nname: two-lists\nlists:\n  agencies:\n"
        "    police: null\n    ngo_a: null\n    ngo_b: null\n    labour_inspection: null\n",
        encoding="utf-8",
    )
    sc = load_scenario(child)
    assert list(sc["lists"]["agencies"]) == ["border_police", "immigration"]
    w = simulate(sc, people=500, seed=1)
    assert set(w.lists) == {"border_police", "immigration"}
    assert w.assessments.height == 0  # neither list interviews


def test_yaml_round_trip():
    sc = load_scenario("romania")
    again = load_scenario(yaml.safe_load(sc.to_yaml()))
    assert again.data == sc.data


def test_exclusive_outcomes_cannot_exceed_one():
    raw = _raw()
    raw["interviews"]["yes_if_true"] = 0.9
    raw["interviews"]["unknown"] = 0.2
    raw["lists"]["agencies"]["ngo_b"]["noise"].update(dob_missing=0.5, dob_jan1=0.4, dob_swap=0.2)
    probs = _problems(raw)
    assert "must not exceed 1" in probs["interviews"]
    assert "dob_missing + dob_jan1 + dob_swap" in probs["lists.agencies.ngo_b.noise"]


def test_romania_registers_changes_only_missing_identifiers():
    # same people and capture (so the same true capture histories), dates of birth nearly complete
    a = simulate("romania", people=4_000, seed=5)
    b = simulate("romania-registers", people=4_000, seed=5)
    key = ["list", "person_id"]
    assert a.records.select(key).sort(key).equals(b.records.select(key).sort(key))
    for name in ("ngo_a", "ngo_b", "labour_inspection"):
        miss_a = a.lists[name].get_column("date_of_birth").null_count() / a.lists[name].height
        miss_b = b.lists[name].get_column("date_of_birth").null_count() / b.lists[name].height
        assert miss_a >= 0.08 and miss_b <= 0.04, (name, miss_a, miss_b)
