"""The content of standard v1: ids, labels in both languages, grades, rules and mappings."""

from __future__ import annotations

import re
from collections import Counter

from lantern.standard import GRADES, INDICATOR_LISTS

RO_DIACRITICS = re.compile("[ăâîșțĂÂÎȘȚ]")


def _all_items(std):
    yield from std.dimensions
    yield from std.indicators
    yield from std.factors
    yield from std.definitions
    yield from std.forced_labour_indicators
    for cl in std.code_lists.values():
        yield cl
        yield from cl


def test_ids_unique_per_collection(std):
    for coll in (std.dimensions, std.indicators, std.factors, std.definitions, std.forced_labour_indicators):
        ids = coll.ids()
        assert len(ids) == len(set(ids))
    for cl in std.code_lists.values():
        assert len(cl.ids()) == len(set(cl.ids())), cl.name
    # indicator and factor ids share the flat-format namespace
    cols = [c.name for c in std.assessment_columns()]
    assert not [k for k, n in Counter(cols).items() if n > 1]


def test_every_label_complete_in_en_and_ro(std):
    missing = [
        (getattr(item, "id", None), lang)
        for item in _all_items(std)
        for lang in ("en", "ro")
        if not (item.labels.get(lang) or "").strip()
    ]
    assert missing == []
    for item in list(std.indicators) + list(std.factors):
        assert item.question.get("en", "").strip() and item.question.get("ro", "").strip(), item.id
        assert item.question["en"] != item.question["ro"], item.id
        assert item.description.strip() and item.source.strip(), item.id


def test_romanian_is_romanian(std):
    # real translations, not copies of the English text: most labels differ and carry diacritics
    items = [i for i in _all_items(std) if hasattr(i, "labels")]
    same = [i for i in items if i.labels["en"] == i.labels["ro"]]
    assert len(same) < 0.1 * len(items)
    with_diacritics = sum(bool(RO_DIACRITICS.search(i.ask("ro"))) for i in std.indicators)
    assert with_diacritics > 0.8 * len(std.indicators)


def test_verified_flags_are_booleans_and_honest(std):
    for item in _all_items(std):
        assert isinstance(item.verified, bool)
    # grades of the sexual and child lists were not checked against the primary document
    assert not any(i.grades_verified.get("child_sexual", False) for i in std.indicators)
    assert std.code_list("exploitation_form").verified


def test_adult_labour_grades_match_the_reference_summary(std):
    strong = {i.id for i in std.indicators if i.grade("adult_labour") == "strong"}
    assert strong == {
        "deceptive_recruitment.nature_of_job",
        "coercive_recruitment.violence",
        "exploitative_conditions.excessive_hours",
        "coercion_at_destination.documents_confiscated",
        "coercion_at_destination.debt_bondage",
        "coercion_at_destination.isolation",
        "coercion_at_destination.violence",
    }
    assert std.indicator("abusive_recruitment.general_context").grade("adult_labour") == "weak"
    assert std.indicator("coercion_at_destination.threat_inform_family").grade("adult_labour") == "weak"
    # the 66 adult-labour items of the reference summary
    assert len(std.indicators_for("adult_labour")) == 66


def test_four_lists_differ_as_documented(std):
    for ind in std.indicators:
        assert set(ind.grades.values()) <= set(GRADES)
        assert set(ind.grades) <= set(INDICATOR_LISTS)
    # several medium items for adults are strong for children
    upgraded = [i.id for i in std.indicators
                if i.grade("adult_labour") == "medium" and i.grade("child_labour") == "strong"]
    assert len(upgraded) >= 5
    # sexual-exploitation lists have their own items
    sexual_only = {i.id for i in std.indicators if set(i.grades) == {"adult_sexual", "child_sexual"}}
    assert {"coercion_at_destination.forced_prostitution",
            "deceptive_recruitment.conditions_of_prostitution"} <= sexual_only
    # the child-labour list has no weak tier and leaves out two adult items
    assert not [i.id for i in std.indicators_for("child_labour") if i.grade("child_labour") == "weak"]
    assert std.indicator("exploitative_conditions.no_social_protection").grade("child_labour") is None
    for lst in INDICATOR_LISTS:
        dims = {i.dimension for i in std.indicators_for(lst)}
        assert dims == set(std.dimensions.ids()), lst


def test_forced_labour_2012_maps_to_existing_indicators(std):
    assert [f.id for f in std.forced_labour_indicators] == [
        "abuse_of_vulnerability", "deception", "restriction_of_movement", "isolation",
        "physical_sexual_violence", "intimidation_threats", "retention_of_identity_documents",
        "withholding_of_wages", "debt_bondage", "abusive_working_living_conditions", "excessive_overtime"]
    for fl in std.forced_labour_indicators:
        assert fl.ilo_ec and all(i in std.indicators for i in fl.ilo_ec), fl.id


def test_factor_levels_and_kinds(std):
    by = Counter((f.level, f.kind) for f in std.factors)
    for level in ("individual", "household", "community", "structural"):
        assert by[(level, "risk")] >= 1 and by[(level, "protective")] >= 1


def test_vulnerable_rule_never_uses_origin(std):
    rule = std.definition("vulnerable_tcn").rule
    assert rule["min_net_risk_factors"] >= 1 and rule["any_dimension"] is True
    text = repr({k: v for k, v in rule.items() if k != "excluded_inputs"})
    for word in ("citizenship", "nationality", "ethnic", "religion"):
        assert word not in text


def test_code_lists_content(std):
    modes = std.code_list("leg_mode").ids()
    assert {"air", "land_road", "land_rail", "land_foot", "sea", "river"} <= set(modes)
    fac = std.code_list("facilitator_type").ids()
    assert {"recruitment_agency_licensed", "recruitment_agency_unlicensed", "smuggler", "family", "friend",
            "employer", "intimate_partner", "none", "unknown"} <= set(fac)
    statuses = set(std.code_list("legal_status").ids())
    assert {"work_permit", "seasonal_work", "student", "family_reunification", "temporary_protection",
            "asylum_seeker", "refugee", "subsidiary_protection", "irregular", "visa_free_short_stay",
            "tolerated"} <= statuses
    assert [c.extra["isced"] for c in std.code_list("education")] == list(range(9))
    assert {"assessment", "referral", "statistics"} <= set(std.code_list("consent_purpose").ids())


def _band(bands, age):
    hits = [b[2] for b in bands if b[0] <= age and (b[1] is None or age <= b[1])]
    assert len(hits) == 1, (age, hits)
    return hits[0]


def test_ctdc_mapping(std):
    ctdc = std.mapping("ctdc")["variables"]
    bands = ctdc["ageBroad"]["bands"]
    assert [b[2] for b in bands] == ["0--8", "9--17", "18--20", "21--23", "24--26", "27--29", "30--38",
                                     "39--47", "48+"]
    assert _band(bands, 0) == "0--8" and _band(bands, 17) == "9--17" and _band(bands, 18) == "18--20"
    assert _band(bands, 47) == "39--47" and _band(bands, 99) == "48+"
    for age in range(0, 120):
        _band(bands, age)  # contiguous, no overlap
    assert set(ctdc["exploitation_type"]["codes"]) == set(std.code_list("exploitation_form").ids())
    for ident in ctdc["means_of_control"]["items"]:
        assert ident in std.indicators
    assert ctdc["means_of_control"]["items"]["coercion_at_destination.documents_confiscated"] == \
        "meansOfControlWithholdsDocuments"


def test_eurostat_mapping(std):
    eu = std.mapping("eurostat")["variables"]
    assert set(eu["form"]["codes"].values()) == {"sexual", "labour", "other"}
    assert set(eu["form"]["codes"]) == set(std.code_list("exploitation_form").ids())
    assert eu["form"]["codes"]["sexual_exploitation"] == "sexual"
    assert eu["form"]["codes"]["forced_labour"] == "labour"
    assert [r["value"] for r in eu["citizenship"]["rule"]] == ["reporting_country", "other_eu", "non_eu"]
    assert _band(eu["age"]["bands"], 17) == "Y_LT18" and _band(eu["age"]["bands"], 18) == "Y_GE18"
