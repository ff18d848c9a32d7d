"""Fixtures for the statistics tests: small generated assessments (no real data)."""

from __future__ import annotations

import pytest

from lantern.statistics.synthetic import synthetic_assessments


@pytest.fixture(scope="session")
def assessments():
    return synthetic_assessments(6000, seed=11)


@pytest.fixture(scope="session")
def assessments_dir(tmp_path_factory, assessments):
    folder = tmp_path_factory.mktemp("sim")
    assessments.to_parquet(folder / "assessments.parquet", index=False)
    return folder
