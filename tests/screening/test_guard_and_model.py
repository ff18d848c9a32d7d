"""The protected-attribute guard, and the calibrated logistic model with its per-person explanation."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from lantern.errors import LanternError
from lantern.screening import assert_no_protected
from lantern.screening.model import RiskModel
from lantern.screening.spec import build_spec

PROTECTED_COLUMNS = ["citizenship", "nationality", "ethnicity", "religion", "country_of_birth"]


@pytest.mark.parametrize("name", PROTECTED_COLUMNS + ["Citizenship", "individual.ethnicity", "religious_minority"])
def test_guard_rejects(name, spec):
    with pytest.raises(LanternError) as exc:
        assert_no_protected(["age", name], spec=spec)
    assert exc.value.problems[0].field == name


@pytest.mark.parametrize("name", ["age", "individual.language_barrier", "structural.conflict_origin", "sex"])
def test_guard_allows(name, spec):
    assert_no_protected([name], spec=spec)


def test_standard_with_a_protected_factor_is_refused(std):
    class Fake:
        version = std.version
        documents = std.documents
        dimensions = std.dimensions
        indicators = std.indicators
        definitions = std.definitions
        factors = [*std.factors, {"id": "individual.religion", "level": "individual", "kind": "risk"}]

    with pytest.raises(LanternError) as exc:
        build_spec(Fake())
    assert any(p.field == "individual.religion" for p in exc.value.problems)


def _with_protected(assessments, y, seed=0):
    """Add protected columns that predict the label perfectly: a leak the model must not use."""
    import polars as pl

    rng = np.random.default_rng(seed)
    return assessments.with_columns(
        pl.Series("citizenship", np.where(y, "NP", "UA")),
        pl.Series("nationality", np.where(y, "NP", "UA")),
        pl.Series("ethnicity", y.astype(int)),
        pl.Series("religion", rng.integers(0, 3, len(y))),
    )


def test_no_protected_field_reaches_the_model(world, monkeypatch):
    from sklearn.linear_model import LogisticRegression

    assessments, people = world
    y = people["exploited"].to_numpy()
    leaky = _with_protected(assessments, y)
    seen: list[list[str]] = []
    original = LogisticRegression.fit

    def spy(self, X, yy, *a, **k):
        seen.append([str(c) for c in getattr(X, "columns", [])] or ["<array>"])
        return original(self, X, yy, *a, **k)

    monkeypatch.setattr(LogisticRegression, "fit", spy)
    model = RiskModel(seed=1).fit(leaky, y)
    main_fit_columns = seen[0]
    assert len(main_fit_columns) == len(model.feature_names_)
    for cols in seen:
        for c in cols:
            assert c in model.feature_names_ or c == "<array>"
    for word in ("citizenship", "nationality", "ethnicity", "religion"):
        assert not any(word in c for c in model.feature_names_)
        assert not any(word in c for c in model.estimator_.feature_names_in_)
    # and asking for one explicitly is refused
    for col in ("citizenship", "ethnicity", "religion", "nationality"):
        with pytest.raises(LanternError):
            RiskModel(extra_features=[col]).fit(leaky, y)


def test_model_is_calibrated_and_explained(world):
    assessments, people = world
    y = people["exploited"].to_numpy().astype(int)
    half = len(y) // 2
    model = RiskModel(seed=3, extra_features=["age"]).fit(assessments.head(half), y[:half])
    p = model.predict_proba(assessments.slice(half))
    yt = y[half:]
    assert roc_auc_score(yt, p) > 0.75
    # calibrated: the mean predicted risk matches the observed rate on unseen data
    assert abs(p.mean() - yt.mean()) < 0.05
    row = assessments.row(half + 1, named=True)
    e = model.explain(row)
    assert e.baseline_points + sum(c.points for c in e.contributions) == pytest.approx(e.risk_score, abs=1e-6)
    assert e.risk_score == pytest.approx(100 * p[1], abs=1e-6)
    for c in e.contributions:
        assert c.id == "age" or row[c.id] == 1


def test_model_refuses_one_class(world):
    assessments, _ = world
    with pytest.raises(LanternError):
        RiskModel().fit(assessments.head(50), np.zeros(50))
    with pytest.raises(LanternError):
        RiskModel().predict_proba(assessments.head(5))
