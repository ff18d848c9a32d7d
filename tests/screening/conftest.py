"""Fixtures for the screening tests: the standard, and small generated worlds with a known label.

The generated data are random numbers, not people: indicators are more often "yes" for the exploited,
so the score has something to find. The real simulator (``lantern simulate``) is used where noted.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from lantern.screening.spec import spec_for
from lantern.standard import load_standard


@pytest.fixture(scope="session")
def std():
    return load_standard()


@pytest.fixture(scope="session")
def spec(std):
    return spec_for(std)


def make_world(spec, n: int, seed: int = 0, unknown_rate: float = 0.1):
    """Generated assessments and truth: (assessments, people) polars frames."""
    rng = np.random.default_rng(seed)
    exploited = rng.random(n) < 0.2
    cols: dict[str, object] = {
        "assessment_id": [f"A{i:06d}" for i in range(n)],
        "subject_ref": [f"P{i:06d}" for i in range(n)],
        "standard_version": [spec.version] * n,
        "sex": rng.choice(["female", "male"], n).tolist(),
        "age": rng.integers(15, 65, n),
        "citizenship": rng.choice(["NP", "LK", "IN", "UA", "MD", "EG", "PH", "TR"], n).tolist(),
        "exploitation_form": rng.choice(["forced_labour", "sexual_exploitation"], n, p=[0.8, 0.2]).tolist(),
    }
    for ident in spec.indicator_ids:
        p = np.where(exploited, rng.uniform(0.04, 0.12), rng.uniform(0.01, 0.05))
        yes = rng.random(n) < p
        arr = pl.Series(ident, yes.astype(np.int8))
        cols[ident] = arr.scatter(np.flatnonzero(rng.random(n) < unknown_rate), None)
    for f in spec.factors:
        p = np.where(exploited, 0.35, 0.15) if f.kind == "risk" else np.where(exploited, 0.2, 0.45)
        yes = rng.random(n) < p
        cols[f.id] = pl.Series(f.id, yes.astype(np.int8)).scatter(np.flatnonzero(rng.random(n) < unknown_rate), None)
    assessments = pl.DataFrame(cols)
    people = pl.DataFrame({"person_id": cols["subject_ref"], "exploited": exploited})
    return assessments, people


@pytest.fixture(scope="session")
def world(spec):
    return make_world(spec, 3000, seed=7)
