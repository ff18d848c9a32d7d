"""Shared fixtures: the public MSE data sets shipped in ../shared/data/mse."""

from pathlib import Path

import pytest

DATA = Path("/work/shared/data/mse")


@pytest.fixture(scope="session")
def mse_data():
    if not DATA.exists():
        pytest.skip("public MSE reference data not available")

    def load(name: str):
        from lantern.estimation import read_table

        return read_table(DATA / f"{name}.csv")

    return load
