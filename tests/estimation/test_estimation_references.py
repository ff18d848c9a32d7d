"""Point estimates against values printed by the R packages, with provenance.

Every reference value below was printed by SparseMSE (Chan, Silverman & Vincent, CRAN 2019-2021) or
MultipleSystemsEstimation (Silverman, GitHub bernardsilverman/MultipleSystemsEstimation, the
pkgdown reference pages and vignettes "user-guide", "reproduce-2021"), or computed by SparseMSE's own
R code run here under R 4.2.2 (SPARSEMSE_STEPWISE: every shipped data set). Matching is to 1e-4 relative.
"""

import numpy as np
import pytest

from lantern.estimation import MSE
from lantern.estimation.existence import check_model
from lantern.estimation.models import enumerate_hierarchical, model_string, parse_model
from lantern.estimation.selection import fit_models, score_models

REL = 1e-4

# (data set, method, kwargs, model string, estimate, provenance)
POINT = [
    ("NewOrl", "stepwise", {}, "[45,1,2,3,6,7,8]", 1183.69,
     "SparseMSE estimatepopulation.0(NewOrl, method='stepwise', pthresh=0.02): D:E, 1183.69 "
     "(185-case data; Chan, Silverman & Vincent 2021 section 4.1)"),
    ("NewOrl_v186", "stepwise", {}, "[45,1,2,3,6,7,8]", 1110.488,
     "MultipleSystemsEstimation estimate_population_stepwise(NewOrl) -> popest 1110.488 "
     "(186-case data; vignette reproduce-2021)"),
    ("Western", "stepwise", {}, "[15,2,3,4]", 2483.384,
     "MultipleSystemsEstimation estimate_population_stepwise(Western) -> 2483.384, hiermod [15,2,3,4] "
     "(A:E); paper reports 2483 (vignette reproduce-2021)"),
    ("UKdat_5", "stepwise", {}, "[12,13,24,25,35,45]", 11312.99,
     "SparseMSE stepwise on the five-list UK data: 11312.99 (issue 4 reference; Chan et al. 2021)"),
    ("Korea", "bic", {}, "[12,23]", 157.1667,
     "MultipleSystemsEstimation estimate_population(Korea) -> 157.1667, model [12,23], BIC 57.14081 "
     "(user guide)"),
    ("Korea", "stepwise", {}, "[12,3]", 268.7778,
     "MultipleSystemsEstimation estimate_population_stepwise(Korea) -> 268.7778, [12,3] (reference page)"),
    ("Korea", "main", {}, "[1,2,3]", 141.9926,
     "MultipleSystemsEstimation estimate_population_fixed(Korea) -> 141.9926 (reference page)"),
    ("Korea", "fixed", {"model": "[23,1]"}, "[23,1]", 126.1944,
     "MultipleSystemsEstimation estimate_population_fixed(Korea, model='[23,1]') -> 126.1944"),
    ("Korea", "fixed", {"model": "[12,23]"}, "[12,23]", 157.1667,
     "MultipleSystemsEstimation estimate_population(Korea, method='fixed', hiermod='[12,23]') -> 157.1667"),
]


@pytest.mark.parametrize("name,method,kw,model,value,source", POINT, ids=[f"{p[0]}-{p[1]}" for p in POINT])
def test_point_estimates(mse_data, name, method, kw, model, value, source):
    fit = MSE(method=method, intervals=[], **kw).fit(mse_data(name))
    assert fit.model_.string == model, source
    assert fit.estimate_ == pytest.approx(value, rel=REL), source


def test_korea_bic_table_matches_multiplesystemsestimation(mse_data):
    """MultipleSystemsEstimation user guide, head(fit_bic$bic_results$res): estimate and BIC per model."""
    table = mse_data("Korea")
    ref = {"[12,23]": (157.1667, 57.14081), "[12,3]": (268.7778, 58.96860), "[13,23]": (123.4630, 91.89711),
           "[23,1]": (126.1944, 138.06368), "[13,2]": (126.9394, 155.16018), "[1,2,3]": (141.9926, 184.14431)}
    models = enumerate_hierarchical(3, 2)
    est, bic, codes = score_models(3, table.counts, models)
    got = {model_string(m, table.lists): (e, b) for m, e, b in zip(models, est, bic, strict=True)
           if np.isfinite(b)}
    assert set(got) == set(ref)  # [12,13] and [12,13,23] fail the existence check
    for k, (e, b) in ref.items():
        assert got[k][0] == pytest.approx(e, rel=REL)
        assert got[k][1] == pytest.approx(b, rel=REL)


def test_korea_stepwise_fit_details(mse_data):
    """Korea [12,3]: deviance 8.566946, AIC 44.90767 (glm), BIC 58.9686 (reference page)."""
    table = mse_data("Korea")
    model = parse_model("[12,3]", table.lists)
    res = fit_models(3, table.counts[None, :], [model])
    assert res.deviance[0] == pytest.approx(8.566946, rel=REL)
    assert 2 * len(model) - 2 * res.loglik[0] == pytest.approx(44.90767, rel=REL)
    assert res.fit.coef[0, 0] == pytest.approx(4.982083, rel=REL)


def test_western_selected_model_bic(mse_data):
    """reproduce-2021: Western stepwise fit has $fit$bic 118.7443 and deviance 26.58423."""
    table = mse_data("Western")
    model = parse_model("[15,2,3,4]", table.lists)
    est, bic, _ = score_models(5, table.counts, [model])
    assert bic[0] == pytest.approx(118.7443, rel=REL)
    res = fit_models(5, table.counts[None, :], [model])
    assert res.deviance[0] == pytest.approx(26.58423, rel=REL)


def test_artificial_3_existence_codes(mse_data):
    """MultipleSystemsEstimation reproduce-2021 (Chan et al. 2021 Table 3): codes 2, 1, 0."""
    table = mse_data("Artificial_3")
    assert check_model(3, parse_model("[12,13,23]", table.lists), table.counts) == 2
    assert check_model(3, parse_model("[12,3]", table.lists), table.counts) == 1
    assert check_model(3, parse_model("[13,23,1,2]", table.lists), table.counts) == 0


def test_neworleans_non_overlapping_pairs(mse_data):
    """Chan et al. (2021): New Orleans has 28 pairs, 18 of them non-overlapping."""
    table = mse_data("NewOrl")
    from lantern.estimation.existence import sufficient_stats
    from lantern.estimation.selection import pair_terms

    stats = sufficient_stats(8, table.counts, pair_terms(8))
    assert len(stats) == 28 and int((stats == 0).sum()) == 18


def test_extended_mle_model_marks_minus_infinity(mse_data):
    """A fixed model containing a non-overlapping pair reports it at minus infinity and still estimates."""
    fit = MSE(method="fixed", model="[AB,AC]".replace("AB", "A:B").replace("AC", "A:C"),
              intervals=["lognormal"]).fit(mse_data("NewOrl"))
    assert fit.model_.neg_inf_terms == ["A:B"]
    assert any("minus infinity" in w for w in fit.warnings_)
    assert np.isfinite(fit.estimate_) and fit.estimate_ > fit.observed_


# SparseMSE run on every shipped data set, on 2026-12-04 with R 4.2.2 and lpSolve 5.6.18 (the package's
# R code, cran/SparseMSE R/routines.R, from a scratch copy outside this repository):
# estimatepopulation.0(zdat, method="stepwise", pthresh=0.02, quantiles=c(0.025, 0.975)) -> point
# estimate, log-normal 95% limits, the two-list terms of the glm and the empty overlaps (-inf terms).
SPARSEMSE_STEPWISE = [
    ("Artificial_3", 539.0939294, (278.654157, 1170.885092), [], []),
    ("Australia", 6496.008695, (2882.134856, 15401.36168), ['A:B', 'B:C', 'B:D'], []),
    ("HIV", 11124.57847, (9519.534961, 13067.54456), [], []),
    ("Korea", 268.7777778, (202.5328222, 390.1998794), ['b:c'], []),
    ("Kosovo", 14341.6638, (12541.28083, 16540.18791), ['ABA:OSCE', 'EXH:ABA', 'EXH:HRW', 'EXH:OSCE', 'OSCE:HRW'], []),
    ("lesbian", 5350.512758, (4838.619484, 5961.152188), ['A:D', 'B:C', 'B:D', 'C:D'], []),
    ("Ned_5", 121521.6137, (98675.43227, 150138.9113), ['IO:K', 'IO:P', 'IO:Z', 'P:R', 'P:Z'], ['K:R']),
    ("Ned", 111139.3712, (92439.85811, 133991.4671), ['I:Z', 'K:O', 'O:P', 'O:Z', 'P:R', 'P:Z'], ['I:K', 'K:R']),
    ("NewOrl_5_v186", 981.431367, (636.4551462, 1590.60391), [], []),
    ("NewOrl_5", 1034.151065, (658.2583921, 1708.602209), [], []),
    ("NewOrl_v186", 1110.488081, (692.2132721, 1874.375748), ['D:E'], []),
    ("NewOrl", 1183.692275, (720.9243504, 2046.057924), ['D:E'], []),
    ("UKdat_4", 11015.24445, (9582.25966, 12735.25342), ['LA:NG', 'LA:PFNCA', 'NG:GO'], []),
    ("UKdat_5", 11312.99029, (9884.402831, 13027.39665), ['GO:GP', 'LA:NG', 'LA:PFNCA', 'NG:GO', 'NG:GP', 'PFNCA:GP'], []),
    ("UKdat", 11417.99109, (9977.28264, 13145.65651), ['GO:GP', 'LA:NG', 'LA:PF', 'NG:GO', 'NG:GP', 'PF:GP', 'PF:NCA'], []),
    ("Western", 2483.38392, (1657.093666, 3830.030001), ['A:E'], []),
]


@pytest.mark.parametrize("name,value,ci95,terms,empty", SPARSEMSE_STEPWISE, ids=[r[0] for r in SPARSEMSE_STEPWISE])
def test_stepwise_equals_sparsemse_on_every_shipped_data_set(mse_data, name, value, ci95, terms, empty):
    fit = MSE(intervals=["lognormal"], levels=(0.95,)).fit(mse_data(name))
    assert fit.estimate_ == pytest.approx(value, rel=REL)
    np.testing.assert_allclose(fit.intervals_["lognormal"][0.95], ci95, rtol=REL)
    assert sorted(t["term"] for t in fit.model_.terms) == sorted(terms + empty)
    assert sorted(fit.model_.neg_inf_terms) == empty


# Rcapture closedpCI.t on its HIV data (the shipped HIV.csv: 1896 people, four lists), as printed in
# the package's example output tests/Examples/Rcapture-Ex.Rout.save (cran/Rcapture):
#   mX = ~ . + c1:c2          -> multinomial abundance 12308,   95% profile CI 10266 - 14992.3
#   mX = ~ (c1+c2+c3+c4)^2    -> multinomial abundance 23269.8, 95% profile CI 10027.6 - 50046.3
RCAPTURE_PROFILE = [("[12,3,4]", 12308.0, (10266.0, 14992.3)),
                    ("[12,13,14,23,24,34]", 23269.8, (10027.6, 50046.3))]


@pytest.mark.parametrize("model,n_max,ci95", RCAPTURE_PROFILE, ids=[r[0] for r in RCAPTURE_PROFILE])
def test_profile_interval_equals_rcapture(mse_data, model, n_max, ci95):
    from lantern.estimation.intervals import profile_maximum

    table = mse_data("HIV")
    fit = MSE(method="fixed", model=model, intervals=["profile"], levels=(0.95,)).fit(table)
    peak, _, _, _ = profile_maximum(4, parse_model(model, table.lists), table.counts, fit.estimate_)
    assert peak == pytest.approx(n_max, abs=0.1)   # printed to one decimal; the profile is flat at its peak
    np.testing.assert_allclose(fit.intervals_["profile"][0.95], ci95, atol=0.05)
