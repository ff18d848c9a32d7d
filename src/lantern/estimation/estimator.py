"""The :class:`MSE` estimator: model choice, point estimate and intervals in one object.

Example
-------
>>> from lantern.estimation import MSE, read_table
>>> table = read_table("UKdat_5.csv")                           # doctest: +SKIP
>>> fit = MSE(method="stepwise", bootstrap=1000, seed=1).fit(table)   # doctest: +SKIP
>>> fit.estimate_, fit.model_.string, fit.intervals_["bca"][0.95]    # doctest: +SKIP

Assumptions (all methods): the population is closed over the period the lists cover; every person
is matched correctly across lists (linkage errors bias the estimate: missed links inflate it, false
links deflate it); the log-linear model chosen describes how the lists depend on each other and on
unobserved heterogeneity. The highest-order interaction is never estimable, so any dependence that
only shows there goes unseen. Sparse data (lists that share nobody) make estimates fragile: read the
warnings and the sensitivity table.

References
----------
Chan, Silverman & Vincent (2021), JASA 116, 1297-1306 (stepwise, extended MLE, BCa).
Silverman, Chan & Vincent (2024), Statistics and Computing 34, 44 (BIC and bootstrap).
Silverman (2020), JRSS A 183, 691-736 (Bayesian thresholding).
Fienberg & Rinaldo (2012), Annals of Statistics 40, 996-1023 (existence of the MLE).
Rivest & Baillargeon, Rcapture (profile-likelihood interval).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from lantern.errors import EstimationError, ValidationError
from lantern.estimation import intervals as iv
from lantern.estimation.bayes import bayes_threshold
from lantern.estimation.existence import ADVICE, check_model, describe_code, face_of
from lantern.estimation.models import (
    default_max_order,
    enumerate_hierarchical,
    interactions,
    main_effects,
    model_label,
    model_string,
    parse_model,
    popcount,
    term_name,
)
from lantern.estimation.rstream import r_multinomial_resamples
from lantern.estimation.selection import best_by_score, fit_models, score_models, stepwise
from lantern.estimation.table import CaptureTable, as_table


def _one_blas_thread():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional
        from contextlib import nullcontext

        return nullcontext()
    return threadpool_limits(1)


METHODS = ("stepwise", "bic", "aic", "fixed", "main", "bayes", "latent", "dga")
POSTERIOR = ("bayes", "latent", "dga")
DEFAULT_LEVELS = (0.8, 0.95)
RANDOM_STREAMS = ("r", "numpy")
R_DEFAULT_SEED = 1234  # SparseMSE / MultipleSystemsEstimation ``iseed``


@dataclass
class ModelTerms:
    """A fitted model, described for people and machines."""

    string: str                 # hierarchy notation, e.g. "[12,23]"
    label: str                  # "A:B + B:C"
    terms: list[dict]           # interaction terms: {"term": "A:B", "order": 2, "neg_inf": bool, "coef": float|None}
    existence_code: int = 0

    @property
    def neg_inf_terms(self) -> list[str]:
        return [t["term"] for t in self.terms if t["neg_inf"]]


@dataclass
class CandidateModel:
    model: str
    label: str
    estimate: float | None
    score: float | None
    existence: str


@dataclass
class EstimationResult:
    """Everything :class:`MSE` learned, JSON-ready through :meth:`to_dict`."""

    estimate: float
    observed: int
    dark_figure: float
    lists: list[str]
    list_totals: dict[str, int]
    method: str
    model: ModelTerms
    intervals: dict[str, dict[float, tuple[float, float]]]
    warnings: list[str]
    why: str
    candidates: list[CandidateModel] = field(default_factory=list)
    sensitivity: list[CandidateModel] = field(default_factory=list)
    bootstrap: dict | None = None
    bayes: dict | None = None
    data: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["intervals"] = {
            m: {str(lvl): [_num(lo), _num(hi)] for lvl, (lo, hi) in levels.items()}
            for m, levels in self.intervals.items()
        }
        d["model"]["neg_inf_terms"] = self.model.neg_inf_terms
        return _clean(d)


def _num(x):
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else None


def _clean(obj):
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return _num(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


class MSE:
    """Multiple systems estimation with a choice of model-selection method and intervals.

    Parameters
    ----------
    method : {"stepwise", "bic", "aic", "fixed", "main", "bayes", "latent", "dga"}
        How the log-linear model is chosen. ``stepwise``: Chan, Silverman & Vincent (2021), two-list
        interactions only. ``bic``/``aic``: best of all hierarchical models up to ``max_order``
        (Silverman, Chan & Vincent 2024; at most six lists). ``fixed``: the ``model`` you give.
        ``main``: independence of lists. ``bayes``: Bayesian thresholding (Silverman 2020).
        ``latent``: latent-class model for heterogeneous capture (LCMCR, Manrique-Vallier 2016).
        ``dga``: Bayesian model averaging over decomposable graphical models (Madigan & York 1997,
        R package dga), 3 to 5 lists; exact posterior on a grid of the number unobserved.
    model : str, optional
        Model for ``method="fixed"``, e.g. ``"[12,23]"`` or ``"A:B + B:C"``.
    threshold : float
        Stepwise p-value threshold (0.02, the value recommended by Chan et al.).
    max_order : int, optional
        Highest interaction order for BIC/AIC (default as MultipleSystemsEstimation: 1, 2, 3, 3, 2
        for 2..6 lists) and for ``bayes`` (2 or 3; default 2).
    bootstrap : int
        Number of bootstrap replicates for the BCa interval (0 = none). Model choice is repeated
        on every replicate (parametric multinomial resampling of the observed histories).
    n_top : int, optional
        BIC/AIC bootstrap: number of best models (on the original data) among which each replicate
        chooses (MultipleSystemsEstimation default: all for <= 3 lists, 20 for 4, 100 for 5-6).
    levels : sequence of float
        Interval levels (default 0.80 and 0.95).
    intervals : sequence of str, optional
        Among ``lognormal``, ``profile``, ``bca``; default all (``bca`` only if ``bootstrap > 0``).
    prior, prior_variance, bayes_threshold, mcmc, burnin : Bayesian thresholding options
        (``mcmc``/``burnin`` also for ``latent``).
    latent_classes : int
        Maximum number of latent classes for ``method="latent"`` (stick-breaking truncation).
    delta : float, optional
        ``dga``: hyper-Dirichlet prior weight per cell of the full ``2**t`` table (default ``2**-t``,
        as the dga documentation suggests; Madigan & York used 0.5 and 1).
    prior_n : {"inverse", "uniform"}
        ``dga``: prior on the total population, ``1/N`` (dga's default) or flat.
    max_missing : int, optional
        ``dga``: largest number of unobserved people on the grid (default ``max(2000, 20 x observed)``).
    seed : int, optional
        Seed for the bootstrap and the MCMC; give one to reproduce results. With
        ``random_stream="r"`` the bootstrap is seeded with 1234 when none is given (the ``iseed``
        default of SparseMSE and MultipleSystemsEstimation), so it is reproducible by default.
    random_stream : {"r", "numpy"}
        Random stream of the bootstrap. ``"r"`` (default) draws the multinomial resamples exactly as
        R does after ``set.seed(seed)`` (:mod:`lantern.estimation.rstream`), in the order R's packages
        resample the cells (the input rows as given for stepwise/fixed/main, as SparseMSE
        ``estimatepopulation``; ``tidylists`` order for BIC/AIC, as MultipleSystemsEstimation
        ``bootstrapcal``): the same seed gives R's bootstrap replicates and hence R's BCa limits.
        ``"numpy"`` uses numpy's generator (faster for very many replicates; same distribution).

    Attributes
    ----------
    estimate_ : float
        Estimated total population (observed + dark figure).
    observed_, dark_figure_, lists_ : observed count, estimated unobserved count, list names.
    model_ : ModelTerms
        The chosen model; terms at minus infinity are marked.
    intervals_ : dict
        ``{method: {level: (low, high)}}``.
    warnings_ : list of str
    result_ : EstimationResult
    bootstrap_estimates_ : numpy.ndarray or None
    """

    def __init__(
        self,
        method: str = "stepwise",
        *,
        model: str | None = None,
        threshold: float = 0.02,
        max_order: int | None = None,
        bootstrap: int = 0,
        n_top: int | None = None,
        levels=DEFAULT_LEVELS,
        intervals=None,
        prior: str = "proper",
        prior_variance: float = 1.0,
        bayes_threshold: float = 2.0,
        mcmc: int = 10000,
        burnin: int = 1000,
        latent_classes: int = 10,
        delta: float | None = None,
        prior_n: str = "inverse",
        max_missing: int | None = None,
        seed: int | None = None,
        random_stream: str = "r",
    ):
        self.method = method
        self.model = model
        self.threshold = threshold
        self.max_order = max_order
        self.bootstrap = bootstrap
        self.n_top = n_top
        self.levels = levels
        self.intervals = intervals
        self.prior = prior
        self.prior_variance = prior_variance
        self.bayes_threshold = bayes_threshold
        self.mcmc = mcmc
        self.burnin = burnin
        self.latent_classes = latent_classes
        self.delta = delta
        self.prior_n = prior_n
        self.max_missing = max_missing
        self.seed = seed
        self.random_stream = random_stream

    # ------------------------------------------------------------------ helpers
    def _validate(self, table: CaptureTable) -> None:
        if self.method not in METHODS:
            raise ValidationError(f"unknown method {self.method!r}; choose one of {', '.join(METHODS)}",
                                  field="method")
        if self.method == "fixed" and not self.model:
            raise ValidationError("method 'fixed' needs a model, e.g. --model \"[12,23]\"", field="model")
        if self.model and self.method not in ("fixed",):
            raise ValidationError("a model is only used with method 'fixed'", field="model")
        if not 0 <= self.threshold <= 1:
            raise ValidationError("the stepwise threshold must be between 0 and 1", field="threshold")
        if self.random_stream not in RANDOM_STREAMS:
            raise ValidationError(f"unknown random stream {self.random_stream!r}; choose one of "
                                  f"{', '.join(RANDOM_STREAMS)}", field="random_stream")
        if self.seed is not None and not -(2**31) < int(self.seed) < 2**31:
            raise ValidationError("the seed must be an integer between -2147483647 and 2147483647 "
                                  "(R's set.seed range)", field="seed")
        if self.bootstrap < 0:
            raise ValidationError("the number of bootstrap replicates cannot be negative", field="bootstrap")
        for lvl in self.levels:
            if not 0 < lvl < 1:
                raise ValidationError(f"interval level {lvl} must be between 0 and 1", field="levels")
        t = table.n_lists
        if self.method in ("bic", "aic") and t > 6:
            raise ValidationError(
                f"BIC/AIC search over all hierarchical models is limited to six lists (there are {t}); "
                "use the stepwise method", field="method")
        if self.method == "dga" and not 3 <= t <= 5:
            raise ValidationError(
                f"Bayesian model averaging over decomposable graphs (dga) needs 3 to 5 lists (there are {t}); "
                "merge small lists or use the stepwise method", field="method")
        if self.delta is not None and not self.delta > 0:
            raise ValidationError("delta (the hyper-Dirichlet prior weight) must be positive", field="delta")
        if self.max_missing is not None and self.max_missing < 1:
            raise ValidationError("max_missing must be at least 1", field="max_missing")
        if self.max_order is not None and not 1 <= self.max_order < t:
            raise ValidationError(f"max order must be between 1 and {t - 1}", field="max_order")

    def _max_order(self, t: int) -> int:
        mo = self.max_order if self.max_order is not None else default_max_order(t)
        if t == 6 and mo > 2:
            mo = 2
            self.warnings_.append("with six lists only models with two-list interactions are searched")
        return mo

    def _n_top(self, t: int, n_models: int) -> int:
        if self.n_top is not None:
            return min(self.n_top, n_models)
        return min({2: n_models, 3: n_models, 4: 20}.get(t, 100), n_models)

    # ------------------------------------------------------------------ fit
    def fit(self, data) -> MSE:
        """Choose the model, estimate the population and compute the intervals.

        The batched linear algebra runs on one BLAS thread: the matrices are small and many, and
        threads only fight each other (a measured 2x loss on a shared two-core machine).
        """
        with _one_blas_thread():
            return self._fit(data)

    def _fit(self, data) -> MSE:
        table = as_table(data)
        self.warnings_: list[str] = []
        self._validate(table)
        t = table.n_lists
        y = table.counts
        self.table_counts_ = y
        rng = np.random.default_rng(self.seed)
        candidates: list[CandidateModel] = []
        bayes_info = None
        posterior = None
        dga_res = None
        path: list[dict] = []
        all_models: list[frozenset[int]] = []
        order_idx: np.ndarray | None = None

        if self.method == "main":
            model = main_effects(t)
            why = "main effects only (lists assumed independent), as requested"
        elif self.method == "fixed":
            model = parse_model(self.model or "", table.lists)  # checked non-empty in fit()
            why = f"the model {model_string(model, table.lists)} given by the user"
        elif self.method == "stepwise":
            models, paths = stepwise(t, y[None, :], self.threshold, record_path=True)
            model, path = models[0], paths[0]
            steps = "; ".join(
                f"added {term_name(s['term'], table.lists)} (p = {s['p_value']:.2g})" for s in path
            ) or "no interaction had p below the threshold"
            why = (f"stepwise selection (Chan, Silverman & Vincent 2021, threshold {self.threshold}): "
                   f"{steps}; stopped when no remaining two-list interaction had p < {self.threshold} "
                   "and an estimate that exists")
        elif self.method in ("bic", "aic"):
            mo = self._max_order(t)
            all_models = enumerate_hierarchical(t, mo)
            est, score, codes = score_models(t, y, all_models, criterion=self.method)
            order_idx = np.argsort(np.where(np.isfinite(score), score, np.inf), kind="stable")
            valid = [k for k in order_idx if np.isfinite(score[k])]
            if not valid:
                raise EstimationError(
                    "no hierarchical model has an estimate that exists for these data. " + ADVICE,
                    field="method")
            model = all_models[valid[0]]
            for k in order_idx[:50]:
                candidates.append(CandidateModel(
                    model_string(all_models[k], table.lists), model_label(all_models[k], table.lists),
                    _num(est[k]), _num(score[k]), describe_code(int(codes[k]))))
            order_idx = np.asarray(valid)
            n_fail = int((codes != 0).sum())
            why = (f"smallest {self.method.upper()} among {len(all_models)} hierarchical models with "
                   f"interactions up to order {mo} ({n_fail} excluded because their estimate does not "
                   f"exist or is not identifiable); {self.method.upper()} = {score[valid[0]]:.2f}")
            if len(valid) > 1:
                gap = score[valid[1]] - score[valid[0]]
                why += f", {gap:.2f} below the runner-up {model_string(all_models[valid[1]], table.lists)}"
                if gap < 2:
                    self.warnings_.append(
                        f"the best two models by {self.method.upper()} are close (difference {gap:.2f}) but "
                        f"estimate {est[valid[0]]:.0f} and {est[valid[1]]:.0f}: the choice of model is uncertain; "
                        "quote the bootstrap interval, which allows for it")
        elif self.method == "latent":
            from lantern.estimation.latent import lcmcr

            lr = lcmcr(y, t, K=self.latent_classes, burnin=self.burnin, draws=self.mcmc,
                       seed=int(rng.integers(2**31)))
            model = main_effects(t)
            posterior = lr.total_draws
            bayes_info = {
                "model": "LCMCR", "max_classes": self.latent_classes, "draws": int(len(posterior)),
                "classes_used_median": float(np.median(lr.n_classes_used)),
                "quantiles": {str(q): float(np.quantile(posterior, q)) for q in (0.025, 0.1, 0.5, 0.9, 0.975)},
            }
            why = (f"latent-class model (Manrique-Vallier 2016, LCMCR): up to {self.latent_classes} classes of "
                   "people with their own capture probabilities, lists independent within a class; "
                   "posterior median")
        elif self.method == "dga":
            model, why, bayes_info, candidates, dga_res = self._dga(table)
        else:  # bayes
            mo = self.max_order or 2
            br = bayes_threshold(t, y, prior=self.prior, prior_variance=self.prior_variance,
                                 threshold=self.bayes_threshold, max_order=mo, burnin=self.burnin,
                                 draws=self.mcmc, seed=int(rng.integers(2**31)))
            model = br.model
            posterior = br.total_draws
            bayes_info = {
                "prior": self.prior, "prior_variance": self.prior_variance,
                "threshold": self.bayes_threshold, "max_order": mo,
                "pair_ratios": {term_name(s, table.lists): v for s, v in br.pair_ratios.items()},
                "triple_ratios": {term_name(s, table.lists): v for s, v in br.triple_ratios.items()},
                "rhat": br.rhat, "acceptance": br.acceptance, "draws": int(len(br.total_draws)),
                "quantiles": {str(q): float(np.quantile(br.total_draws, q))
                              for q in (0.025, 0.1, 0.5, 0.9, 0.975)},
            }
            why = (f"Bayesian thresholding (Silverman 2020): interactions kept when |posterior mean/sd| >= "
                   f"{self.bayes_threshold} in the all-pairs model ({self.prior} prior on interactions)")
            if np.isfinite(br.rhat) and br.rhat > 1.05:
                self.warnings_.append(f"MCMC may not have converged (R-hat {br.rhat:.3f}); increase --mcmc")

        code = check_model(t, model, y)
        if code != 0 and self.method not in POSTERIOR:
            raise EstimationError(
                f"the model {model_string(model, table.lists)} has no usable estimate for these data: "
                f"{describe_code(code)}. {ADVICE}", field="model")
        if dga_res is None:
            res = fit_models(t, y[None, :], [model])
            assert res.fit is not None  # the model was checked to exist above
            face = face_of(t, model, y)
            coef = dict(zip(res.universe, res.fit.coef[0], strict=False))
            terms = [{"term": term_name(s, table.lists), "order": popcount(s), "neg_inf": s in face.neg_inf_terms,
                      "coef": None if s in face.neg_inf_terms else float(coef.get(s, np.nan))}
                     for s in interactions(model)]
        else:  # a graph of the model average: no log-linear coefficients, no terms at minus infinity
            face = None
            terms = [{"term": term_name(s, table.lists), "order": popcount(s), "neg_inf": False, "coef": None}
                     for s in interactions(model)]
        self.model_ = ModelTerms(model_string(model, table.lists), model_label(model, table.lists), terms, code)
        if self.method == "latent":
            self.model_ = ModelTerms(f"LCMCR(K<={self.latent_classes})",
                                     "latent classes, lists independent within each class", [], 0)
        if face is not None and face.neg_inf_terms:
            self.warnings_.append(
                "lists that share nobody: " + ", ".join(term_name(s, table.lists) for s in face.neg_inf_terms)
                + " estimated at minus infinity (extended maximum likelihood); histories containing them "
                "are taken to be impossible")

        if dga_res is not None:
            est_total = dga_res.quantile(0.5)
            dark = est_total - table.observed
        elif posterior is not None:
            est_total = float(np.median(posterior))
            dark = est_total - table.observed
        else:
            est_total = float(res.estimate[0])
            dark = float(res.dark[0])
        self.observed_ = table.observed
        self.estimate_ = est_total
        self.dark_figure_ = dark
        self.lists_ = list(table.lists)

        # ---------------- intervals
        wanted = list(self.intervals) if self.intervals else ["lognormal", "profile", "bca"]
        out: dict[str, dict[float, tuple[float, float]]] = {}
        if dga_res is not None:
            out["dga"] = {lvl: (dga_res.quantile((1 - lvl) / 2), dga_res.quantile(1 - (1 - lvl) / 2))
                          for lvl in self.levels}
        if posterior is not None:
            out[self.method] = {lvl: (float(np.quantile(posterior, (1 - lvl) / 2)),
                                      float(np.quantile(posterior, 1 - (1 - lvl) / 2))) for lvl in self.levels}
        if "lognormal" in wanted and self.method not in POSTERIOR:
            assert res.fit is not None  # a frequentist method fitted its model above
            out["lognormal"] = {lvl: iv.lognormal_interval(table.observed, float(res.fit.coef[0, 0]),
                                                           float(res.intercept_var[0]), lvl)
                                for lvl in self.levels}
        if "profile" in wanted and self.method not in POSTERIOR:
            try:
                out["profile"] = {lvl: iv.profile_interval(t, model, y, est_total, lvl) for lvl in self.levels}
            except (ValueError, RuntimeError) as exc:
                self.warnings_.append(f"profile-likelihood interval not available: {exc}")
        self.bootstrap_estimates_ = None
        boot_info = None
        if self.method in POSTERIOR and self.bootstrap > 0:
            self.warnings_.append("the bootstrap is not used with the Bayesian methods: the posterior interval "
                                  "already carries the uncertainty")
        if "bca" in wanted and self.bootstrap > 0 and self.method not in POSTERIOR:
            boot, ahat, models_b = self._bootstrap(table, model, all_models, order_idx, rng)
            self.bootstrap_estimates_ = boot
            ok = np.isfinite(boot)
            if (~ok).any():
                self.warnings_.append(f"{int((~ok).sum())} of {len(boot)} bootstrap replicates had no valid "
                                      "model and were left out")
            out["bca"] = {lvl: iv.bca_interval(boot[ok], est_total, ahat, lvl) for lvl in self.levels}
            chosen: dict[str, int] = {}
            for m in models_b:
                if m is not None:
                    s = model_string(m, table.lists)
                    chosen[s] = chosen.get(s, 0) + 1
            boot_info = {"replicates": int(len(boot)), "valid": int(ok.sum()), "acceleration": ahat,
                         "random_stream": self.random_stream, "seed": self._bootstrap_seed(),
                         "estimates": [float(x) for x in boot],
                         "models_chosen": dict(sorted(chosen.items(), key=lambda kv: -kv[1])[:20])}
            same = chosen.get(self.model_.string, 0) / max(1, int(ok.sum()))
            if self.method in ("stepwise", "bic", "aic") and same < 0.5:
                self.warnings_.append(
                    f"the chosen model is re-chosen in only {same:.0%} of bootstrap replicates: the model "
                    "is uncertain, so the conditional (log-normal, profile) intervals are too narrow; "
                    "quote the BCa interval")
        self.intervals_ = out
        if est_total > 20 * table.observed:
            self.warnings_.append(
                f"the estimate is {est_total / table.observed:.0f} times the number observed: the overlaps are "
                "too small to pin it down; treat it as an order of magnitude at best")
        small = [nm for nm, v in table.list_totals().items() if v < 10]
        if small:
            self.warnings_.append("lists with fewer than 10 people: " + ", ".join(small)
                                  + " (little information; consider merging them)")
        sens = self._sensitivity(table, model)
        self.result_ = EstimationResult(
            estimate=est_total, observed=table.observed, dark_figure=dark, lists=list(table.lists),
            list_totals=table.list_totals(), method=self.method, model=self.model_, intervals=out,
            warnings=list(self.warnings_), why=why, candidates=candidates, sensitivity=sens,
            bootstrap=boot_info, bayes=bayes_info, data=table.to_rows())
        self.path_ = path
        self.table_ = table
        return self

    # ------------------------------------------------------------------ dga
    def _dga(self, table):
        """Bayesian model averaging over decomposable graphs; returns what :meth:`_fit` needs."""
        from lantern.estimation.dga import bma_posterior

        t = table.n_lists
        r = bma_posterior(table.counts, t, delta=self.delta, prior_n=self.prior_n, max_missing=self.max_missing)
        probs = r.model_probs
        order = np.argsort(-probs, kind="stable")
        best = r.graphs[order[0]]
        model = best.terms()
        candidates = []
        top = []
        for k in order[:25]:
            g = r.graphs[k]
            m = g.terms()
            r.cache_row(int(k))
            med = r.quantile(0.5, row=int(k))
            candidates.append(CandidateModel(model_string(m, table.lists), model_label(m, table.lists),
                                             med, float(probs[k]), "posterior probability"))
            if len(top) < 10:
                top.append({"model": model_string(m, table.lists), "label": model_label(m, table.lists),
                            "probability": float(probs[k]), "median": med,
                            "bayes_estimate": r.bayes_estimate(row=int(k)),
                            "low95": r.quantile(0.025, row=int(k)), "high95": r.quantile(0.975, row=int(k))})
        post = r.posterior_n
        keep = np.flatnonzero(post > post.max() * 1e-4)
        step = max(1, len(keep) // 300)
        sl = slice(keep[0], keep[-1] + 1, step) if len(keep) else slice(0, 0)
        info = {
            "model": "decomposable graphical models (Madigan & York 1997)", "delta": r.delta,
            "prior_n": r.prior_n, "graphs": len(r.graphs),
            "grid": [float(r.totals[0]), float(r.totals[-1])], "tail_mass": r.tail_mass,
            "bayes_estimate": r.bayes_estimate(), "mode": r.mode(), "mean": r.mean(),
            "quantiles": {str(q): r.quantile(q) for q in (0.025, 0.1, 0.5, 0.9, 0.975)},
            "top_models": top,
            "posterior_curve": {"total": [float(x) for x in r.totals[sl]],
                                "probability": [float(x) for x in post[sl]]},
        }
        if r.tail_mass > 1e-3:
            self.warnings_.append(
                f"{r.tail_mass:.1%} of the posterior lies in the top tenth of the grid (up to "
                f"{r.totals[-1]:.0f}): the posterior is truncated; raise max_missing (--max-missing)")
        if probs[order[0]] < 0.5:
            self.warnings_.append(
                f"no graph dominates (the most probable has posterior probability {probs[order[0]]:.2f}): "
                "the averaged posterior carries this model uncertainty; the table of graphs shows how "
                "their estimates differ")
        why = (f"Bayesian model averaging over all {len(r.graphs)} decomposable graphs on {t} lists (Madigan & "
               f"York 1997, dga): hyper-Dirichlet prior delta = {r.delta:g}, prior on N "
               f"{'1/N' if r.prior_n == 'inverse' else 'flat'}; posterior median of the averaged posterior; "
               f"the most probable graph, {model_label(model, table.lists)}, has probability "
               f"{probs[order[0]]:.2f}")
        return model, why, info, candidates, r

    # ------------------------------------------------------------------ bootstrap
    def _choose_batch(self, t, Y, model, all_models, order_idx):
        """Re-run this estimator's model choice on every row of Y; return (estimates, models)."""
        if self.method == "stepwise":
            models, _ = stepwise(t, Y, self.threshold)
        elif self.method in ("bic", "aic"):
            top = [all_models[k] for k in order_idx[: self._n_top(t, len(order_idx))]]
            # warm start every replicate from the original-data fit of the same model
            start = fit_models(t, self.table_counts_[None, :].repeat(len(top), 0), top, check=False,
                               with_cov=False).fit.coef
            est, score, _ = score_models(t, Y, top, criterion=self.method, start=start)
            best, j = best_by_score(est, score)
            return best, [top[k] if np.isfinite(best[i]) else None for i, k in enumerate(j)]
        else:  # fixed / main (bayes bootstraps are not offered)
            models = [model] * len(Y)
        res = fit_models(t, Y, models, with_cov=False)
        est = np.where(res.codes == 0, res.estimate, np.nan)
        return est, [m if c == 0 else None for m, c in zip(models, res.codes, strict=False)]

    def _bootstrap_seed(self) -> int | None:
        """The seed the bootstrap runs with: R's default ``iseed`` when R's stream has none given."""
        if self.random_stream == "r" and self.seed is None:
            return R_DEFAULT_SEED
        return None if self.seed is None else int(self.seed)

    def _bootstrap(self, table, model, all_models, order_idx, rng):
        t = table.n_lists
        y = table.counts
        n = int(y.sum())
        if self.random_stream == "r":
            order = table.resampling_order(as_given=self.method not in ("bic", "aic"))
            Y = np.zeros((self.bootstrap, len(y)), dtype=np.int64)
            Y[:, order] = r_multinomial_resamples(y[order], self.bootstrap, self._bootstrap_seed())
        else:
            Y = rng.multinomial(n, y / n, size=self.bootstrap)
        boot, models_b = self._choose_batch(t, Y, model, all_models, order_idx)
        pos = np.flatnonzero(y > 0)
        J = np.repeat(y[None, :], len(pos), axis=0)
        J[np.arange(len(pos)), pos] -= 1
        jack_pos, _ = self._choose_batch(t, J, model, all_models, order_idx)
        jack = np.zeros(len(y))
        jack[pos] = jack_pos
        if np.isnan(jack_pos).any():
            self.warnings_.append("some jackknife fits failed; acceleration set to 0")
            ahat = 0.0
        else:
            ahat = iv.acceleration(y, jack)
        return boot, ahat, models_b

    # ------------------------------------------------------------------ sensitivity
    def _sensitivity(self, table, chosen) -> list[CandidateModel]:
        """Estimates under nearby models: main effects, each single pair, the chosen model +/- one pair."""
        t = table.n_lists
        base = main_effects(t)
        pairs = [s for s in range(1, 2**t) if popcount(s) == 2]
        models = {base, frozenset(chosen)}
        for s in pairs:
            models.add(frozenset(base | {s}))
            if s in chosen:
                if not any(o != s and (o & s) == s for o in chosen):
                    models.add(frozenset(set(chosen) - {s}))
            else:
                models.add(frozenset(set(chosen) | {s}))
        ordered = sorted(models, key=lambda m: (len(m), model_string(m, table.lists)))
        est, bic, codes = score_models(t, table.counts, ordered, criterion="bic")
        out = [CandidateModel(model_string(m, table.lists), model_label(m, table.lists), _num(e), _num(b),
                              describe_code(int(c))) for m, e, b, c in zip(ordered, est, bic, codes, strict=False)]
        out.sort(key=lambda c: (c.score is None, c.score if c.score is not None else 0))
        return out[:40]


def estimate(data, **kwargs) -> EstimationResult:
    """One-call helper: ``MSE(**kwargs).fit(data).result_``."""
    return MSE(**kwargs).fit(data).result_
