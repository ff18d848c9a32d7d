"""Nested classifications (region within country, age bands within coarser bands) protected jointly.

The audit in these tests is built here, independently of ``tables.linked_families``: from the region →
country map of the generated data, "the regions of country c add up to the cell of country c" for every
period (margins included), solved with ``sdc.audit_joint``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lantern.errors import LanternError
from lantern.statistics.release import Release, check_linked
from lantern.statistics.sdc import PRIMARY, PUBLISHED, TOTAL, SDCRules, audit_joint, protect_array
from lantern.statistics.spec import parse_spec
from lantern.statistics.tables import (
    compute_tables,
    harmonise_linked,
    joint_failures,
    linked_families,
)

RULES = SDCRules()
SPEC = {
    "defaults": {"population": "all", "measure": "persons"},
    "hierarchies": {"region": "country"},
    "tables": [
        {"id": "by_region", "by": ["period", "region"]},
        {"id": "by_country", "by": ["period", "country"]},
    ],
}


def persons(cells: dict[tuple[str, str, str], int]) -> pd.DataFrame:
    """One assessment per person: ``{(year, country, region): count}``."""
    rows = []
    for (year, country, region), n in cells.items():
        for _ in range(n):
            rows.append((year, country, region))
    frame = pd.DataFrame(rows, columns=["year", "country_of_interview", "region"])
    frame["assessment_id"] = [f"a{i}" for i in range(len(frame))]
    frame["subject_ref"] = [f"p{i}" for i in range(len(frame))]
    frame["interview_date"] = pd.to_datetime(frame.pop("year") + "-06-01").dt.date
    frame["citizenship"] = "NP"
    frame["vulnerable"] = True
    frame["presumed_victim"] = False
    return frame


def nested_audit(region_t, country_t, parent_of: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Joint intervals of both tables' suppressed cells, and the same with every cell suppressed."""
    regions = region_t.levels[1]
    countries = country_t.levels[1]
    relations = []
    for p in range(len(region_t.levels[0]) + 1):  # every period and the TOTAL over periods
        for ci, c in enumerate(countries):
            terms = [(0, int(np.ravel_multi_index((p, ri), region_t.protected.counts.shape)), 1.0)
                     for ri, r in enumerate(regions) if parent_of[r] == c]
            terms.append((1, int(np.ravel_multi_index((p, ci), country_t.protected.counts.shape)), -1.0))
            relations.append((terms, []))
    # the grand totals are the same number
    links = [(0, 1, np.array([region_t.protected.counts.size - 1]), np.array([country_t.protected.counts.size - 1]))]
    parts = [(t.protected.counts, t.protected.status != PUBLISHED, t.protected.status == PRIMARY) for t in (region_t, country_t)]
    released = audit_joint(parts, links, RULES, relations=relations)
    everything = [(c, np.ones(c.shape, dtype=bool), prim) for c, _s, prim in parts]
    base = audit_joint(everything, links, RULES, relations=relations)
    return released, base


def assert_jointly_safe(region_t, country_t, parent_of) -> None:
    released, base = nested_audit(region_t, country_t, parent_of)
    for k, t in enumerate((region_t, country_t)):
        p = t.protected
        shown = p.released[~np.isnan(p.released)]
        assert not ((shown > 0) & (shown < RULES.threshold)).any()
        cells = np.flatnonzero((p.status != PUBLISHED).ravel())
        width = released[k][:, 1] - released[k][:, 0]
        need = np.minimum(RULES.protection, base[k][cells, 1] - base[k][cells, 0])
        assert (width >= need - 1e-9).all(), (t.id, cells[width < need - 1e-9])
        true = p.counts.ravel()[cells]
        assert ((released[k][:, 0] <= true + 1e-6) & (true <= released[k][:, 1] + 1e-6)).all()


LEAKY = {
    ("2025", "AA", "AA1"): 3, ("2025", "AA", "AA2"): 50, ("2025", "AA", "AA3"): 60,
    ("2025", "BB", "BB1"): 40, ("2025", "BB", "BB2"): 5, ("2025", "BB", "BB3"): 70,
}
PARENT = {"AA1": "AA", "AA2": "AA", "AA3": "AA", "BB1": "BB", "BB2": "BB", "BB3": "BB"}


def test_independent_protection_leaks_a_region_and_joint_protection_does_not():
    tables = compute_tables(persons(LEAKY), parse_spec(SPEC))
    region_t, country_t = tables
    # jointly protected: safe under the independent audit, and the release check passes
    assert_jointly_safe(region_t, country_t, PARENT)
    Release("nested", "nested", tables).check()
    # the same two tables protected one at a time: AA1 = AA - AA2 - AA3 = 113 - 50 - 60
    for t in tables:
        t.protected = protect_array(t.protected.counts, RULES, consistent_axis=0)
    aa1 = int(np.ravel_multi_index((0, 0), region_t.protected.counts.shape))
    assert region_t.protected.status.ravel()[aa1] == PRIMARY
    assert (country_t.protected.status == PUBLISHED).all()  # 113, 115 and 228: nothing to suppress alone
    released, _ = nested_audit(region_t, country_t, PARENT)
    supp = list(np.flatnonzero((region_t.protected.status != PUBLISHED).ravel()))
    assert tuple(released[0][supp.index(aa1)]) == pytest.approx((3.0, 3.0))  # recovered exactly
    assert (0, aa1) in joint_failures(tables, RULES)  # the library's audit sees the leak
    with pytest.raises(LanternError, match="read together"):
        Release("leaky", "leaky", tables).check()
    # joint protection repairs it
    harmonise_linked(tables, RULES)
    assert not joint_failures(tables, RULES)
    assert_jointly_safe(region_t, country_t, PARENT)
    assert not check_linked(tables)


def test_tables_computed_apart_are_refused_together():
    spec = parse_spec(SPEC)
    frame = persons(LEAKY)
    one = compute_tables(frame, parse_spec({**SPEC, "tables": SPEC["tables"][:1]}))
    two = compute_tables(frame, parse_spec({**SPEC, "tables": SPEC["tables"][1:]}))
    assert spec.hierarchies == (("region", "country"),)
    with pytest.raises(LanternError, match="computed apart"):
        Release("apart", "apart", one + two).check()


def test_a_region_found_under_two_countries_gets_hidden_parts():
    cells = dict(LEAKY)
    cells[("2025", "AA", "UNK")] = 0
    frame = persons(cells)
    frame = pd.concat([frame, persons({("2025", "AA", "X"): 12, ("2025", "BB", "X"): 4})
                       .assign(assessment_id=lambda f: "u" + f.assessment_id, subject_ref=lambda f: "u" + f.subject_ref)])
    tables = compute_tables(frame, parse_spec(SPEC))
    (fam,) = linked_families(tables)
    assert tables[0].nesting[("region", "country")]["X"] == ["AA", "BB"]
    assert fam.n_hidden == 2 * 2  # X split between AA and BB, in 2025 and in the TOTAL period
    Release("hidden", "hidden", tables).check()
    # the true table satisfies the relations: every interval holds the true value
    at, links, relations = fam.local()
    parts = [(t.protected.counts, t.protected.status != PUBLISHED, t.protected.status == PRIMARY) for t in tables]
    for (counts, supp, _p), iv in zip(parts, audit_joint(parts, links, RULES, relations=relations, n_hidden=fam.n_hidden),
                                      strict=True):
        true = counts.ravel()[np.flatnonzero(supp.ravel())]
        assert ((iv[:, 0] <= true + 1e-6) & (true <= iv[:, 1] + 1e-6)).all()


def test_finer_age_bands_are_audited_within_coarser_ones():
    ages = {"0-17": (10, 40), "18-24": (20, 4), "25-34": (30, 50), "35-49": (40, 60), "50+": (60, 70)}
    rows = [age for _label, (age, n) in ages.items() for _ in range(n)]
    frame = persons({("2025", "RO", "RO11"): len(rows)}).assign(age=rows)
    spec = {"defaults": {"population": "all", "measure": "persons"}, "tables": [
        {"id": "fine", "by": ["period", "age_band"], "age_bands": [0, 18, 25, 35, 50]},
        {"id": "coarse", "by": ["period", "age_band"], "age_bands": "minor_adult"},
    ]}
    tables = compute_tables(frame, parse_spec(spec))
    (fam,) = linked_families(tables)
    assert fam.relations and fam.n_hidden == 0  # the bands nest: no hidden part
    Release("ages", "ages", tables).check()
    for t in tables:  # protected one at a time, 18-24 = (18+) - 50 - 60 - 70
        t.protected = protect_array(t.protected.counts, RULES, consistent_axis=0)
    assert joint_failures(tables, RULES)
    harmonise_linked(tables, RULES)
    assert not joint_failures(tables, RULES)


def test_hierarchy_declarations_are_parsed_and_checked():
    base = {"tables": [{"id": "a", "measure": "persons", "by": ["period", "region"]}]}
    assert parse_spec({**base, "hierarchies": ["region in country"]}).hierarchies == (("region", "country"),)
    assert parse_spec({**base, "hierarchies": [{"child": "agency", "parent": "region"}]}).hierarchies == (("agency", "region"),)
    spec = parse_spec(base)
    assert ("region", "country") in spec.all_hierarchies  # natural pairs need no declaration
    with pytest.raises(LanternError) as err:
        parse_spec({**base, "hierarchies": {"province": "country"}})
    assert err.value.problems[0].field == "hierarchies"
    with pytest.raises(LanternError):
        parse_spec({**base, "hierarchies": {"country": "country"}})


@pytest.mark.parametrize("hierarchies,why", [
    ({"region": ["country"]}, "unknown or unsupported"),  # a list where a variable goes: was a TypeError
    ([{"child": {"a": 1}, "parent": "country"}], "unknown or unsupported"),
    (["region in country", "country in region"], "one way"),  # a cycle
    ({"country": "region"}, "one way"),  # against the natural region in country
])
def test_malformed_or_contradictory_hierarchies_are_refused_clearly(hierarchies, why):
    base = {"tables": [{"id": "a", "measure": "persons", "by": ["period", "region"]}]}
    with pytest.raises(LanternError) as err:
        parse_spec({**base, "hierarchies": hierarchies})
    assert {p.field for p in err.value.problems} == {"hierarchies"}
    assert any(why in p.reason for p in err.value.problems)


nested_worlds = st.lists(
    st.lists(st.one_of(st.just(0), st.integers(1, 10), st.integers(11, 60)), min_size=1, max_size=3),
    min_size=2, max_size=3,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(nested_worlds, st.integers(1, 2), st.randoms(use_true_random=False))
def test_released_nested_tables_pass_the_joint_audit(world, n_periods, rnd):
    cells, parent = {}, {}
    for ci, regions in enumerate(world):
        country = f"C{ci}"
        for ri, n in enumerate(regions):
            region = f"{country}R{ri}"
            parent[region] = country
            for year in range(n_periods):
                cells[(str(2024 + year), country, region)] = n if year == 0 else rnd.choice([0, 3, 25, n])
    frame = persons(cells)
    if frame.empty:
        return
    region_t, country_t = compute_tables(frame, parse_spec(SPEC))
    assert_jointly_safe(region_t, country_t, {r: parent[r] for r in region_t.levels[1]})
    # the same pattern in every period, in both tables
    for t in (region_t, country_t):
        body = (t.protected.status != PUBLISHED)[:-1]
        assert (body == body[0]).all()
    assert TOTAL not in region_t.levels[1]


def test_hierarchies_auto_finds_a_nesting_the_data_show():
    # a sector recorded per country (so regions nest in sectors): not a natural pair, found with `auto`
    frame = persons(LEAKY)
    frame["sector"] = "s_" + frame["country_of_interview"].str.lower()
    tables_spec = [{"id": "by_region", "by": ["period", "region"]}, {"id": "by_sector", "by": ["period", "sector"]}]
    parent = {r: "s_" + c.lower() for r, c in PARENT.items()}
    base = {"defaults": {"population": "all", "measure": "persons"}, "tables": tables_spec}
    plain = compute_tables(frame, parse_spec(base))
    assert not linked_families(plain)[0].relations  # not declared, not natural: not linked ...
    released, _ = nested_audit(*plain, parent)
    widths = released[0][:, 1] - released[0][:, 0]
    assert (widths < RULES.protection).any()  # ... and a region leaks through the sector table
    found = compute_tables(frame, parse_spec({**base, "hierarchies": "auto"}))
    assert ("region", "sector") in found[0].hierarchies
    assert found[0].nesting[("region", "sector")]["AA1"] == ["s_aa"]
    assert_jointly_safe(*found, parent)
    Release("auto", "auto", found).check()
    assert parse_spec({**base, "hierarchies": ["auto", "region in country"]}).hierarchies_auto


GROUP = {"sexual_exploitation": "SEX", "forced_labour": "LAB", "servitude": "LAB", "criminal_activities": "OTH"}
PRODUCT_SPEC = {
    "defaults": {"population": "all", "measure": "persons"},
    "hierarchies": {"region": "country"},
    "tables": [
        {"id": "region_form", "by": ["region", "exploitation_form"]},
        {"id": "country_group", "by": ["country", "exploitation_group"]},
    ],
}


def product_audit(fine, coarse, parent_of: dict[str, str]):
    """Independent joint audit of region × form against country × group: for every (country, group),
    also at TOTAL on either side, the fine cells inside it add up to the coarse cell."""
    regions, forms = fine.levels
    countries, groups = coarse.levels
    r_opts = [(ri, parent_of[r]) for ri, r in enumerate(regions)] + [(len(regions), "TOTAL")]
    f_opts = [(fi, GROUP.get(f, "UNK")) for fi, f in enumerate(forms)] + [(len(forms), "TOTAL")]
    relations = []
    for ci, c in enumerate([*countries, "TOTAL"]):
        for gi, g in enumerate([*groups, "TOTAL"]):
            terms = [(0, int(np.ravel_multi_index((ri, fi), fine.protected.counts.shape)), 1.0)
                     for ri, rc in r_opts for fi, fg in f_opts
                     if (rc == c) == (c != "TOTAL") and (fg == g) == (g != "TOTAL")
                     and (c != "TOTAL" or ri == len(regions)) and (g != "TOTAL" or fi == len(forms))]
            terms.append((1, int(np.ravel_multi_index((ci, gi), coarse.protected.counts.shape)), -1.0))
            relations.append((terms, []))
    parts = [(t.protected.counts, t.protected.status != PUBLISHED, t.protected.status == PRIMARY) for t in (fine, coarse)]
    released = audit_joint(parts, [], RULES, relations=relations)
    everything = [(cnt, np.ones(cnt.shape, dtype=bool), prim) for cnt, _s, prim in parts]
    return released, audit_joint(everything, [], RULES, relations=relations)


def product_persons(cells: dict[tuple[str, str, str], int]) -> pd.DataFrame:
    """One assessment per person: ``{(country, region, exploitation form): count}``, all in 2025."""
    parts = []
    for (c, r, f), n in cells.items():
        part = persons({("2025", c, r): n})
        part["exploitation_form"] = f
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True)
    frame["assessment_id"] = [f"a{i}" for i in range(len(frame))]
    frame["subject_ref"] = [f"p{i}" for i in range(len(frame))]
    frame["presumed_victim"] = True
    return frame


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from([0, 2, 4, 8, 15, 30, 60]), min_size=16, max_size=16))
def test_region_by_form_is_protected_within_country_by_group(counts):
    regions = [("AA", "AA1"), ("AA", "AA2"), ("BB", "BB1"), ("BB", "BB2")]
    cells = {(c, r, f): n for ((c, r), f), n in zip(
        [(reg, f) for reg in regions for f in GROUP], counts, strict=True) if n}
    if not cells:
        return
    fine, coarse = compute_tables(product_persons(cells), parse_spec(PRODUCT_SPEC))
    fam = linked_families([fine, coarse])[0]
    # the product relations tie inner cells of both tables, not only their margins
    inner_fine = {int(np.ravel_multi_index((i, j), fine.protected.counts.shape))
                  for i in range(len(fine.levels[0])) for j in range(len(fine.levels[1]))}
    assert any(any(t == 0 and c in inner_fine for t, c, _w in terms) for terms, _h in fam.relations)
    released, base = product_audit(fine, coarse, {r: c for c, r in regions})
    for k, t in enumerate((fine, coarse)):
        p = t.protected
        supp = np.flatnonzero((p.status != PUBLISHED).ravel())
        width = released[k][:, 1] - released[k][:, 0]
        need = np.minimum(RULES.protection, base[k][supp, 1] - base[k][supp, 0])
        assert (width >= need - 1e-9).all(), (t.id, supp[width < need - 1e-9])
