"""The generated world matches its scenario: marginals, correlations, capture, truth consistency.

Tolerances are stated per test; most are 4 binomial standard errors (a false alarm is
~1 in 16,000 per check), so they fail only when the model is wrong, not by chance.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from lantern.simulate import load_scenario
from lantern.simulate.stdview import standard_view

from .conftest import N


def _close(observed: float, expected: float, n: int, k: float = 4.0) -> bool:
    se = math.sqrt(max(expected * (1 - expected), 1e-9) / n)
    return abs(observed - expected) <= k * se + 1e-9


def test_citizenship_and_sex_marginals(world):
    sc = load_scenario("romania")
    share = world.people.group_by("citizenship").len().with_columns(pl.col("len") / N)
    got = dict(zip(share["citizenship"], share["len"], strict=True))
    for cc, o in sc["origins"].items():
        assert _close(got.get(cc, 0.0), o["share"], N), (cc, got.get(cc), o["share"])
    for cc in ("NP", "UA"):
        sub = world.people.filter(pl.col("citizenship") == cc)
        f = (sub["sex"] == "female").mean()
        assert _close(f, sc["origins"][cc]["female"], sub.height), (cc, f)


def test_channel_language_and_legal_status_follow_origin(world):
    p = world.people
    ua = p.filter(pl.col("citizenship") == "UA")
    assert _close((ua["channel"] == "temporary_protection").mean(), 0.92, ua.height)
    assert set(ua["native_language"].unique()) == {"uk", "ru"}
    md = p.filter(pl.col("citizenship") == "MD")
    # Romanian speakers from Moldova speak the local language: no language barrier
    ro_speakers = md.filter(pl.col("native_language") == "ro")
    assert ro_speakers["speaks_local_language"].all()
    assert not ro_speakers["individual.language_barrier"].any()
    tp = p.filter(pl.col("channel") == "temporary_protection")
    assert (tp["legal_status"] == "temporary_protection").all()
    # work-permit holders who overstay become irregular at the configured rate
    wp = p.filter(pl.col("channel") == "work_permit")
    assert _close((wp["legal_status"] == "irregular").mean(), 0.08, wp.height)


def test_exploitation_prevalence_and_risk_gradient(world):
    p = world.people
    # the intercept is solved so that the mean probability equals the target exactly
    assert abs(p["p_exploited"].mean() - 0.06) < 1e-6
    assert _close(p["exploited"].mean(), 0.06, N)
    # risk factors raise, protective factors lower the share exploited
    def rate(col, val):
        return p.filter(pl.col(col) == val)["exploited"].mean()
    assert rate("individual.no_documents", True) > 2 * rate("individual.no_documents", False)
    assert rate("individual.debt", True) > 1.5 * rate("individual.debt", False)
    assert rate("community.ngo_contact", True) < rate("community.ngo_contact", False)
    # forms and sectors follow the configured distributions
    ex = p.filter(pl.col("exploited"))
    f = ex.filter(pl.col("sex") == "female")
    assert _close((f["exploitation_form"] == "sexual_exploitation").mean(), 0.38, f.height)
    assert (ex.filter(pl.col("exploitation_form") == "servitude")["sector"] == "households").all()
    assert p.filter(~pl.col("exploited"))["exploitation_form"].is_null().all()
    assert ex["country_of_exploitation"].is_not_null().all()
    stayed = ex.filter(~pl.col("onward"))
    assert (stayed["country_of_exploitation"] == "RO").all()


def test_risk_model_recovers_weights_and_no_direct_nationality_effect(world):
    """A logistic regression of exploitation on the factors recovers the configured weights
    (attenuated by the person-level residual, sd 0.8: factor ~0.9), and adding citizenship
    dummies does not improve the fit (likelihood-ratio test): nationality acts only through
    the factors."""
    import statsmodels.api as sm
    from scipy.stats import chi2

    std = standard_view()
    p = world.people
    # drop the exact complements of other factors (collinear with the constant)
    complements = {"individual.holds_own_documents", "individual.speaks_local_language"}
    ids = [f for f in std.factor_ids if f not in complements]
    X = p.select([pl.col(f).cast(pl.Float64) for f in ids]).to_numpy()
    keep = (X.mean(axis=0) > 0.01) & (X.mean(axis=0) < 0.99)  # rare factors separate perfectly
    names = [f for f, k in zip(ids, keep, strict=True) if k]
    X = sm.add_constant(X[:, keep])
    y = p["exploited"].cast(pl.Int8).to_numpy()
    base = sm.Logit(y, X).fit(disp=0, maxiter=50)
    assert base.mle_retvals["converged"]
    coef = dict(zip(["const", *names], base.params, strict=True))
    assert 1.1 < coef["individual.no_documents"] < 2.2        # configured 1.2 + 0.6 (its complement)
    assert 0.6 < coef["individual.debt"] < 1.4               # configured 1.0
    assert -1.1 < coef["community.ngo_contact"] < -0.2       # configured -0.6
    dummies = p.select(pl.col("citizenship")).to_dummies().drop("citizenship_NP").to_numpy().astype(float)
    full = sm.Logit(y, np.column_stack([X, dummies])).fit(disp=0, maxiter=50)
    assert full.mle_retvals["converged"]
    lr = 2 * (full.llf - base.llf)
    assert chi2.sf(lr, dummies.shape[1]) > 0.001


def test_factors_are_correlated_through_precarity(world):
    p = world.people
    a = p["individual.no_documents"].cast(pl.Float64)
    b = p["community.employer_accommodation"].cast(pl.Float64)
    assert np.corrcoef(a.to_numpy(), b.to_numpy())[0, 1] > 0.05
    # logically tied factors stay consistent
    assert (p["individual.holds_own_documents"] != p["individual.no_documents"]).all()
    assert (p["individual.minor"] == (p["age_at_entry"] < 18)).all()
    assert not (p["individual.savings"] & p["individual.no_resources"]).any()


def test_journeys_are_consistent(world):
    std = standard_view()
    j = world.journeys
    p = world.people
    assert set(j["mode"].unique()) <= set(std.codes("leg_mode"))
    assert set(j["facilitator_type"].unique()) <= set(std.codes("facilitator_type"))
    # legs are numbered 1..k per person, dates never go backwards, exit = next entry
    j2 = j.sort("person_id", "leg_no").with_columns(
        pl.col("entry_date").shift(-1).over("person_id").alias("next_entry"),
        pl.col("to_country").shift(1).over("person_id").alias("prev_to"),
        pl.col("leg_no").cum_count().over("person_id").alias("rank"),
    )
    assert (j2["leg_no"] == j2["rank"]).all()
    inner = j2.filter(pl.col("next_entry").is_not_null())
    assert (inner["exit_date"] == inner["next_entry"]).all()
    chained = j2.filter(pl.col("prev_to").is_not_null())
    assert (chained["from_country"] == chained["prev_to"]).all()
    # first leg starts in the country of citizenship; the destination is reached
    first = j2.filter(pl.col("leg_no") == 1).join(p.select("person_id", "citizenship"), on="person_id")
    assert (first["from_country"] == first["citizenship"]).all()
    assert j.filter(pl.col("to_country") == "RO")["person_id"].n_unique() == N
    # onward movers have exactly one intra-EU leg out of Romania, on their onward date
    onward = j.filter(pl.col("from_country") == "RO")
    assert onward["intra_eu"].all()
    assert onward.height == p["onward"].sum()
    assert not j.filter(pl.col("from_country") == "UA")["intra_eu"].any()


def test_every_record_maps_to_exactly_one_person(world):
    r = world.records
    assert r["record_id"].n_unique() == r.height
    assert r["person_id"].is_in(world.people["person_id"].implode()).all()
    for name, lst in world.lists.items():
        assert "person_id" not in lst.columns
        truth = r.filter(pl.col("list") == name)
        assert lst.height == truth.height
        assert set(lst["record_id"]) == set(truth["record_id"])
        assert (lst["list"] == name).all()
        for col in ("record_id", "list", "given_name", "family_name", "date_of_birth", "sex",
                    "citizenship", "record_date"):
            assert col in lst.columns
        assert lst.schema["date_of_birth"] == pl.String
    # true identity agrees with what the list recorded where no noise was applied
    clean = (r.filter(~pl.col("name_order_swapped") & ~pl.col("typo_given") & pl.col("dob_error").is_null())
             .join(pl.concat([v.select("record_id", "date_of_birth", "sex", "citizenship") for v in world.lists.values()]),
                   on="record_id")
             .join(world.people.select("person_id", pl.col("date_of_birth").cast(pl.String).alias("true_dob"),
                                       pl.col("sex").alias("true_sex"), pl.col("citizenship").alias("true_cit")),
                   on="person_id"))
    assert (clean["date_of_birth"] == clean["true_dob"]).all()
    assert ((clean["sex"] == clean["true_sex"]) | clean["sex"].is_null()).all()
    assert ((clean["citizenship"] == clean["true_cit"]) | clean["citizenship"].is_null()).all()


def test_capture_heterogeneity_and_referral_dependence(world, independent_world):
    def on(w, name):
        ids = w.records.filter(pl.col("list") == name)["person_id"].unique().implode()
        return w.people["person_id"].is_in(ids).to_numpy()

    ex = world.people["exploited"].to_numpy()
    ngo = on(world, "ngo_a")
    assert ngo[ex].mean() > 5 * ngo[~ex].mean()  # heterogeneity: NGOs meet exploited people
    police = on(world, "police")
    assert ngo[police].mean() > 3 * ngo.mean()   # dependence: police refer to NGO A

    ex_i = independent_world.people["exploited"].to_numpy()
    sc = load_scenario("independent-lists")
    for name, a in sc["lists"]["agencies"].items():
        cap = on(independent_world, name)
        # homogeneous: every person captured with the base rate, exploited or not
        assert _close(cap.mean(), a["base_rate"], N), name
        assert _close(cap[ex_i].mean(), a["base_rate"], int(ex_i.sum())), name
    a, b = on(independent_world, "police"), on(independent_world, "ngo_a")
    # independent: P(A and B) = P(A) P(B)
    assert _close((a & b).mean(), a.mean() * b.mean(), N)


@pytest.mark.parametrize("rate", ["duplicate", "swap_order", "middle_dropped", "typo", "uppercase", "dob_missing", "dob_jan1",
                                  "given_missing", "family_missing", "sex_missing", "citizenship_missing"])
def test_noise_rates_match_configuration(noisy_world, rate):
    from .conftest import NOISY

    lst = noisy_world.lists["immigration"]
    t = (noisy_world.records.filter(pl.col("list") == "immigration").join(lst, on="record_id")
         .join(noisy_world.people.select("person_id", "middle_name"), on="person_id"))
    n = t.height
    with_middle = t.filter(pl.col("middle_name").is_not_null())
    observed = {
        "duplicate": lambda: t["duplicate"].sum() / (n - t["duplicate"].sum()),
        "swap_order": lambda: t["name_order_swapped"].mean(),
        "middle_dropped": lambda: with_middle["middle_dropped"].mean(),
        "typo": lambda: t["typo_given"].mean(),
        "uppercase": lambda: (t.filter(pl.col("given_name").is_not_null() & (pl.col("given_name").str.len_chars() > 1))
                              .select((pl.col("given_name") == pl.col("given_name").str.to_uppercase()).mean()).item()),
        "dob_missing": lambda: t["date_of_birth"].is_null().mean(),
        "dob_jan1": lambda: (t["dob_error"] == "jan1").fill_null(False).mean(),
        "given_missing": lambda: t["given_name"].is_null().mean(),
        "family_missing": lambda: t["family_name"].is_null().mean(),
        "sex_missing": lambda: t["sex"].is_null().mean(),
        "citizenship_missing": lambda: t["citizenship"].is_null().mean(),
    }[rate]()
    expected = NOISY[rate]
    if rate == "dob_jan1":
        expected = NOISY["dob_jan1"]  # drawn after 'missing' from the same uniform: P = rate
    assert n > 4_000
    assert _close(observed, expected, n), (rate, observed, expected)


def test_noise_is_what_the_truth_says(noisy_world):
    t = (noisy_world.records.filter(pl.col("list") == "immigration")
         .join(noisy_world.lists["immigration"], on="record_id")
         .join(noisy_world.people.select("person_id", pl.col("date_of_birth").alias("dob")), on="person_id"))
    jan1 = t.filter(pl.col("dob_error") == "jan1")
    assert jan1.height > 100
    assert (jan1["date_of_birth"].str.slice(5) == "01-01").all()
    assert (jan1["date_of_birth"].str.slice(0, 4) == jan1["dob"].dt.year().cast(pl.String)).all()
    sw = t.filter(pl.col("dob_error") == "day_month_swap")
    assert sw.height > 100
    assert (sw["date_of_birth"].str.slice(5, 2).cast(pl.Int32) == sw["dob"].dt.day()).all()
    assert (sw["date_of_birth"].str.slice(8, 2).cast(pl.Int32) == sw["dob"].dt.month()).all()
    # a swap happens only where it gives a valid, different date: P = rate * P(day <= 12, day != month)
    eligible = ((t["dob"].dt.day() <= 12) & (t["dob"].dt.day() != t["dob"].dt.month())).mean()
    from .conftest import NOISY
    exp = NOISY["dob_swap"] * eligible
    assert _close(sw.height / t.height, exp, t.height)


def test_interview_noise_matches_configuration(world):
    """Recorded factor answers against the true factors: P(yes | true) = 0.65, P(unknown) = 0.20,
    P(yes | false) = 0.03 (the scenario's interview defaults; factors are never withheld)."""
    std = standard_view()
    a = world.assessments.join(
        world.people.select("person_id", *std.factor_ids), left_on="subject_ref", right_on="person_id", suffix="_true")
    yes_t = unk = n_t = yes_f = n_f = 0
    for f in std.factor_ids:
        rec, tru = a[f], a[f"{f}_true"]
        yes_t += int(((rec == 1) & tru).sum())
        n_t += int(tru.sum())
        unk += int(rec.is_null().sum())
        yes_f += int(((rec == 1) & ~tru).sum())
        n_f += int((~tru).sum())
    cells = a.height * len(std.factor_ids)
    assert _close(yes_t / n_t, 0.65, n_t)
    assert _close(unk / cells, 0.20, cells)
    assert _close(yes_f / n_f, 0.03, n_f)


def test_indicators_separate_exploited_from_not(world):
    """Exploited people report far more strong indicators than the rest (the screening's signal)."""
    std = standard_view()
    strong = [i for i, _, g in std.indicators if g.get("adult_labour") == "strong"]
    a = world.assessments.join(world.people.select("person_id", "exploited"), left_on="subject_ref", right_on="person_id")
    count = a.select(pl.sum_horizontal([pl.col(c).fill_null(0) for c in strong]).alias("n"), "exploited")
    ex = count.filter(pl.col("exploited"))["n"].mean()
    no = count.filter(~pl.col("exploited"))["n"].mean()
    assert ex > 2 * no


def test_two_list_estimate_is_unbiased_only_when_lists_are_independent(world, independent_world):
    """Lincoln–Petersen N = n1 n2 / m on the true capture histories recovers the population when
    the scenario switches heterogeneity and dependence off, and is far off when they are on
    (police refer to NGO A, both seek out exploited people): the switch does what it says."""
    def lp(w, a, b):
        ids = {n: set(w.records.filter(pl.col("list") == n)["person_id"]) for n in (a, b)}
        return len(ids[a]) * len(ids[b]) / len(ids[a] & ids[b])

    n_ind = lp(independent_world, "immigration", "ngo_b")
    assert abs(n_ind - N) / N < 0.12
    n_dep = lp(world, "police", "ngo_a")
    assert n_dep < 0.2 * N


def test_mediterranean_scenario_differs():
    from lantern.simulate import simulate

    w = simulate("mediterranean-sea-arrivals", people=3_000, seed=2)
    j = w.journeys
    assert set(j.filter(pl.col("to_country") == "IT")["mode"].unique()) <= {"sea", "air"}
    assert (j.filter(pl.col("to_country") == "IT")["mode"] == "sea").mean() > 0.8
    assert w.people["legal_status"].is_in(["asylum_seeker", "irregular", "seasonal_work"]).all()
    border = w.records.filter(pl.col("list") == "border_police")["person_id"].n_unique()
    assert border > 0.8 * 3_000  # the coast guard records nearly everyone
    assert (w.assessments["country_of_interview"] == "IT").all()


def test_agency_abroad_meets_only_people_who_moved_there():
    from lantern.simulate import simulate

    w = simulate("mediterranean-sea-arrivals", people=4_000, seed=3)
    t = (w.records.filter(pl.col("list") == "fr_border_police")
         .join(w.people.select("person_id", "onward", "onward_country", "onward_date"), on="person_id")
         .join(w.lists["fr_border_police"].select("record_id", "record_date", "crossing_point"), on="record_id"))
    assert t.height > 50
    assert t["onward"].all() and (t["onward_country"] == "FR").all()
    assert (t["record_date"] == t["onward_date"]).all()
    assert t["crossing_point"].str.contains("IT–FR").all()
