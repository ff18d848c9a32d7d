"""The loader API promised in docs/architecture.md."""

from __future__ import annotations

import copy

import pytest

from lantern.errors import LanternError
from lantern.standard import (
    GRADES,
    INDICATOR_LISTS,
    CodeList,
    Country,
    Dimension,
    Factor,
    Indicator,
    load_standard,
)


def test_version_and_cache(std):
    assert std.version == "1.0"
    assert load_standard() is std
    assert load_standard("1.0") is std
    assert load_standard("1") is std


def test_unknown_version_refused():
    with pytest.raises(LanternError) as exc:
        load_standard("9.0")
    assert "9.0" in str(exc.value)


def test_dimensions(std):
    assert [d.id for d in std.dimensions] == [
        "deceptive_recruitment",
        "coercive_recruitment",
        "abusive_recruitment",
        "exploitative_conditions",
        "coercion_at_destination",
        "abuse_at_destination",
    ]
    assert all(isinstance(d, Dimension) for d in std.dimensions)
    roles = {d.id: d.role for d in std.dimensions}
    assert roles["deceptive_recruitment"] == "act_means"
    assert roles["exploitative_conditions"] == "exploitation"
    assert roles["abuse_at_destination"] == "coercion"


def test_indicators_have_dimension_prefix_and_grades(std):
    assert len(std.indicators) == 73
    for ind in std.indicators:
        assert isinstance(ind, Indicator)
        assert ind.id.startswith(ind.dimension + ".")
        assert ind.dimension in std.dimensions
        assert ind.grades, ind.id
        assert set(ind.grades) <= set(INDICATOR_LISTS)
        assert set(ind.grades.values()) <= set(GRADES)
    nature = std.indicators["deceptive_recruitment.nature_of_job"]
    assert nature.grade("adult_labour") == "strong"
    assert std.indicator("exploitative_conditions.excessive_hours").grades["adult_labour"] == "strong"
    assert std.indicators[0] is std.indicators.get(std.indicators[0].id)


def test_contract_ids_kept(std):
    # ids other modules already build against
    for iid in (
        "deceptive_recruitment.nature_of_job",
        "coercive_recruitment.debt_bondage",
        "abusive_recruitment.general_context",
        "coercion_at_destination.documents_confiscated",
        "abuse_at_destination.personal_characteristics",
    ):
        assert iid in std.indicators
    for fid in ("individual.language_barrier", "household.child_headed", "structural.tied_permit"):
        assert fid in std.factors


def test_factors(std):
    assert len(std.factors) == 45
    for fac in std.factors:
        assert isinstance(fac, Factor)
        assert fac.id.startswith(fac.level + ".")
        assert fac.level in {"individual", "household", "community", "structural"}
        assert fac.kind in {"risk", "protective"}
    assert std.factors.where(kind="protective")


def test_code_lists(std):
    for name in ("exploitation_form", "sector", "legal_status", "leg_mode", "facilitator_type", "sex",
                 "education", "family_situation", "consent_purpose", "consent_scope", "agency_type",
                 "user_role", "country", "language"):
        cl = std.code_list(name)
        assert isinstance(cl, CodeList) and len(cl) > 1, name
    forms = std.code_list("exploitation_form").ids()
    for form in ("sexual_exploitation", "forced_labour", "slavery", "servitude", "criminal_activities",
                 "organ_removal", "forced_marriage", "illegal_adoption", "surrogacy"):
        assert form in forms
    naces = [c.extra["nace"] for c in std.code_list("sector") if c.extra.get("nace")]
    assert naces == list("ABCDEFGHIJKLMNOPQRSTU")
    assert std.code_list("agency_type").ids() == [
        "ngo", "border_police", "immigration", "police", "labour_inspection",
        "anti_trafficking_agency", "social_services", "employer_body"]
    assert std.code_list("user_role").ids() == [
        "caseworker", "supervisor", "analyst", "coordinator", "agency_admin", "auditor"]
    with pytest.raises(LanternError, match="no code list"):
        std.code_list("nope")


def test_countries_from_pycountry(std):
    assert len(std.countries) >= 249
    for code in ("RO", "NP", "UA", "LK", "IN", "BD", "MD"):
        assert isinstance(std.countries[code], Country)
    ro, np_, ua = std.countries["RO"], std.country("NPL"), std.country("ua")
    assert ro.alpha_3 == "ROU" and ro.eu and ro.eea and ro.schengen
    assert np_.id == "NP" and not np_.eu and np_.tcn
    assert not ua.eu and not ua.schengen
    assert std.countries["NO"].eea and not std.countries["NO"].eu  # YAML 'NO' is not False
    assert std.countries["CH"].schengen and not std.countries["CH"].eea
    assert std.countries["BG"].schengen and not std.countries["CY"].schengen
    assert not std.countries["IE"].schengen and std.countries["IE"].eu
    assert sum(c.eu for c in std.countries) == 27
    assert sum(c.eea for c in std.countries) == 30
    assert sum(c.schengen for c in std.countries) == 29


def test_languages_from_pycountry(std):
    for code in ("ro", "en", "ne", "si", "ta", "hi", "bn", "ur", "ar", "tr", "am", "uk", "ru", "fil"):
        assert code in std.languages, code
    assert std.languages["nep"] is std.languages["ne"]
    assert std.languages["fil"].alpha_2 is None
    offered = std.code_list("language").ids()
    assert offered[:3] == ["ro", "en", "ne"] and "fil" in offered
    assert std.code_list("language")["ne"].labels["ro"] == "nepaleză"


def test_assessment_columns(std):
    cols = std.assessment_columns()
    head = ["assessment_id", "subject_ref", "standard_version", "agency", "interview_date", "sex",
            "age", "citizenship", "country_of_interview", "region", "legal_status", "education",
            "sector", "exploitation_form"]
    assert cols[: len(head)] == head
    names = [c.name for c in cols]
    assert len(names) == len(set(names))
    # after the fixed head: formal identification, then one column per indicator and factor
    assert names[len(head)] == "identified_victim"
    assert names[len(head) + 1:] == [i.id for i in std.indicators if not i.retired] + [
        f.id for f in std.factors if not f.retired]
    by_name = {c.name: c for c in cols}
    assert by_name["age"].dtype == "int"
    assert by_name["sex"].code_list == "sex"
    # a yes/no/unknown question is stored like an item: 1 / 0 / null, no code list
    assert by_name["identified_victim"].dtype == "flag" and by_name["identified_victim"].code_list is None
    assert by_name["identified_victim"].kind == "core" and not by_name["identified_victim"].required
    assert by_name["citizenship"].code_list == "country"
    assert by_name["deceptive_recruitment.nature_of_job"].dtype == "flag"
    assert by_name["individual.language_barrier"].kind == "factor"
    # columns behave as plain strings (copying included)
    assert copy.deepcopy(cols[0]) == "assessment_id"
    assert isinstance(cols[0], str)


def test_no_django_imported():
    import subprocess
    import sys

    code = "import sys, lantern.standard as s; s.load_standard(); print('django' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_definitions_forced_labour_mappings_documents(std):
    assert std.definitions.ids() == ["tcn", "vulnerable_tcn", "presumed_victim", "identified_victim"]
    pv = std.definition("presumed_victim").rule
    assert pv["dimension_rule"]["any_of"] == [
        {"strong": 2}, {"strong": 1, "medium_or_weak": 1}, {"medium": 3}, {"medium": 2, "weak": 1}]
    assert pv["adult"]["all_of"] == [{"any_role": "act_means"}, {"any_role": "exploitation"},
                                     {"any_role": "coercion"}]
    assert pv["child"]["all_of"] == [{"any_role": "exploitation"}]
    assert std.definition("tcn").rule["not_member_of"] == "eu"
    assert len(std.forced_labour_indicators) == 11
    assert "coercion_at_destination.debt_bondage" in std.forced_labour_indicators["debt_bondage"].ilo_ec
    assert set(std.mapping_names()) == {"ctdc", "eurostat"}
    assert std.mapping("ctdc")["variables"]["gender"]["codes"]["female"] == "Female"
    with pytest.raises(LanternError, match="no mapping"):
        std.mapping("unodc")
    # every YAML file of the folder is reachable raw, including other modules' documents
    assert {"standard", "indicators", "questionnaire"} <= set(std.documents)


def test_item_lookup(std):
    assert std.item("individual.debt") is std.factors["individual.debt"]
    assert std.item("sector").name == "sector"
    assert std.item("sector.construction").extra["nace"] == "F"
    assert std.item("np").alpha_3 == "NPL"
    assert std.item("debt_bondage").ilo_ec
    with pytest.raises(LanternError):
        std.item("no_such_thing")


def test_indicators_for_lists(std):
    adult = std.indicators_for("adult_labour")
    child_sexual = std.indicators_for("child_sexual")
    assert "coercion_at_destination.forced_prostitution" not in [i.id for i in adult]
    assert "coercion_at_destination.forced_prostitution" in [i.id for i in child_sexual]
    assert len(std.indicators_in("abuse_at_destination")) == 7


def test_load_from_path_is_not_cached(draft):
    a = load_standard(path=draft)
    b = load_standard(path=draft)
    assert a is not b and a.version == "1.0" and len(a.indicators) == 73
    with pytest.raises(LanternError, match="not a folder"):
        load_standard(path=draft / "missing")


def test_romanian_country_and_language_names_from_pycountry(std):
    assert std.countries["DE"].label("ro") == "Germania"
    assert std.countries["DE"].label("en") == "Germany"
    assert std.code_list("country")["BD"].labels["ro"] == "Bangladeș"
    assert std.languages["uk"].label("ro") == "ucraineană"


def test_broken_draft_raises_lantern_error_not_a_crash(draft):
    from .conftest import read, write

    doc = read(draft, "factors")
    del doc["factors"][2]["id"]
    doc["factors"][3] = "not a mapping"
    write(draft, "factors", doc)
    with pytest.raises(LanternError) as exc:
        load_standard(path=draft)
    assert any("factors.yaml" in (p.record or "") for p in exc.value.problems)
