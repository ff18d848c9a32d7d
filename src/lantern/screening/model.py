"""An optional statistical risk model: calibrated logistic regression on labelled assessments.

:class:`RiskModel` follows the scikit-learn contract (parameters in ``__init__``, ``fit`` returns
``self``, learned attributes end in ``_``, an explicit ``seed``). It is fitted on labelled data — the
simulator's truth, or anonymised data an agency holds — and gives, like the transparent score, a
per-person explanation whose contributions sum to the score.

Assumptions and caveats
-----------------------
* Inputs are only the standard's indicator and factor answers ("yes" = 1, "no" or unknown = 0), plus
  any ``extra_features`` asked for. Every input list passes the protected-attribute guard: citizenship,
  nationality, ethnicity and religion can never be features.
* Unknown answers carry no weight (they are not "no" in the rule engine; here both simply add nothing).
* Calibration: a logistic (Platt) or isotonic map fitted on a held-out share of the data
  (``calibration_fraction``), so the probabilities are not over-confident on the fitting sample.
* The fitted model reproduces whatever the labels encode. Fitted on the simulator, it is validated on
  synthetic data only; it must be re-fitted and re-validated on an agency's own data before use.

References
----------
Platt, J. (1999). Probabilistic outputs for support vector machines and comparisons to regularized
likelihood methods. Niculescu-Mizil, A. & Caruana, R. (2005). Predicting good probabilities with
supervised learning. ICML.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from lantern.errors import LanternError, Problem
from lantern.screening.guard import assert_no_protected
from lantern.screening.spec import spec_for


@dataclass(frozen=True)
class ModelContribution:
    """One answer's part in the model's score: log-odds and points (points sum to the score)."""

    id: str
    value: float
    log_odds: float
    points: float


@dataclass(frozen=True)
class ModelExplanation:
    """The model's score for one person and the answers behind it."""

    probability: float
    risk_score: float
    baseline_points: float
    contributions: list[ModelContribution]


class RiskModel:
    """Calibrated logistic regression on the standard's answers.

    Parameters
    ----------
    C : float
        Inverse L2 regularisation strength (scikit-learn ``LogisticRegression``).
    calibration : {"sigmoid", "isotonic", None}
        Map fitted on the held-out share; ``None`` keeps the raw logistic probabilities.
    calibration_fraction : float
        Share of the rows held out for calibration (stratified by label).
    extra_features : sequence of str
        Further numeric columns to use (e.g. ``age``). Checked by the protected-attribute guard.
    seed : int
        Seed of the held-out split.
    standard : loaded standard, optional
        Defaults to the current version.

    Attributes
    ----------
    feature_names_ : list of str
    coef_ : ndarray
    intercept_ : float
    estimator_ : sklearn.linear_model.LogisticRegression
    calibrator_ : fitted calibration map or None
    n_train_, n_calibration_ : int
    """

    def __init__(self, *, C: float = 1.0, calibration: str | None = "sigmoid", calibration_fraction: float = 0.25,
                 extra_features: Sequence[str] = (), seed: int = 0, standard: Any = None):
        self.C = C
        self.calibration = calibration
        self.calibration_fraction = calibration_fraction
        self.extra_features = tuple(extra_features)
        self.seed = seed
        self.standard = standard

    # -- features ---------------------------------------------------------------------------------
    def _features(self, df: Any) -> tuple[np.ndarray, list[str]]:
        if not isinstance(df, pl.DataFrame):
            df = pl.from_pandas(df) if hasattr(df, "columns") else pl.DataFrame(df)
        spec = spec_for(self.standard)
        names = list(spec.answer_ids) + list(self.extra_features)
        assert_no_protected(names, spec=spec, where="risk model")
        missing = [c for c in self.extra_features if c not in df.columns]
        if missing:
            raise LanternError([Problem("extra feature column is missing", field=c, record="assessments") for c in missing])
        exprs = []
        for c in spec.answer_ids:
            if c in df.columns:
                exprs.append((pl.col(c).cast(pl.Float64) == 1).fill_null(False).cast(pl.Float32).alias(c))
            else:
                exprs.append(pl.lit(0.0, dtype=pl.Float32).alias(c))
        exprs += [pl.col(c).cast(pl.Float32).fill_null(0.0).alias(c) for c in self.extra_features]
        return df.select(exprs).to_numpy(), names

    def fit(self, df: Any, y: Any) -> RiskModel:
        """Fit on assessments ``df`` (flat format) and 0/1 labels ``y``."""
        import pandas as pd
        from sklearn.isotonic import IsotonicRegression
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import train_test_split

        X, names = self._features(df)
        y = np.asarray(y).astype(int)
        if X.shape[0] != y.shape[0]:
            raise LanternError(f"{X.shape[0]} rows but {y.shape[0]} labels", field="y", record="risk model")
        if len(np.unique(y)) < 2:
            raise LanternError("the labels hold one class only; a model needs both", field="y", record="risk model")
        self.feature_names_ = names
        frame = pd.DataFrame(X, columns=names)
        if self.calibration is not None:
            tr, cal = train_test_split(np.arange(len(y)), test_size=self.calibration_fraction, stratify=y,
                                       random_state=self.seed)
        else:
            tr, cal = np.arange(len(y)), np.array([], dtype=int)
        self.estimator_ = LogisticRegression(C=self.C, max_iter=2000)
        self.estimator_.fit(frame.iloc[tr], y[tr])
        self.coef_ = self.estimator_.coef_[0].astype(float)
        self.intercept_ = float(self.estimator_.intercept_[0])
        self.n_train_, self.n_calibration_ = len(tr), len(cal)
        self.calibrator_: Any = None
        if self.calibration is not None:
            lp = X[cal] @ self.coef_ + self.intercept_
            if self.calibration == "sigmoid":
                self.calibrator_ = LogisticRegression(C=1e6, max_iter=1000).fit(lp.reshape(-1, 1), y[cal])
            elif self.calibration == "isotonic":
                self.calibrator_ = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(lp, y[cal])
            else:
                raise LanternError("calibration must be 'sigmoid', 'isotonic' or None", field="calibration")
        return self

    def _calibrate(self, lp: np.ndarray) -> np.ndarray:
        if self.calibrator_ is None:
            return 1.0 / (1.0 + np.exp(-lp))
        if self.calibration == "sigmoid":
            return self.calibrator_.predict_proba(lp.reshape(-1, 1))[:, 1]
        return self.calibrator_.predict(lp)

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise LanternError("the model is not fitted; call fit() first", record="risk model")

    def predict_proba(self, df: Any) -> np.ndarray:
        """Calibrated probability of the positive label, one per row."""
        self._check_fitted()
        X, _ = self._features(df)
        return self._calibrate(X @ self.coef_ + self.intercept_)

    def score(self, df: Any) -> np.ndarray:
        """Risk score 0–100 (100 × calibrated probability)."""
        return 100.0 * self.predict_proba(df)

    def explain(self, assessment: Mapping[str, Any] | Any) -> ModelExplanation:
        """Per-person explanation: each answer's log-odds and its share of the score in points.

        The baseline is the score of a person with no "yes" answer; the points of the answers split the
        difference to the person's score in proportion to their log-odds, so baseline + points = score.
        """
        self._check_fitted()
        df = pl.DataFrame([dict(assessment)]) if isinstance(assessment, Mapping) else assessment
        X, names = self._features(df)
        x = X[0]
        lo = x * self.coef_
        base = float(self._calibrate(np.array([self.intercept_]))[0]) * 100
        score = float(self._calibrate(np.array([lo.sum() + self.intercept_]))[0]) * 100
        total = lo.sum()
        share = lo / total if abs(total) > 1e-12 else np.zeros_like(lo)
        contribs = [
            ModelContribution(names[j], float(x[j]), float(lo[j]), float(share[j] * (score - base)))
            for j in np.flatnonzero(x)
        ]
        contribs.sort(key=lambda c: -abs(c.points))
        return ModelExplanation(probability=score / 100, risk_score=score, baseline_points=base,
                                contributions=contribs)
