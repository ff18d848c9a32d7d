"""Fixtures for the routes tests."""

from __future__ import annotations

import pytest
from routes_truth import make_legs


@pytest.fixture()
def legs():
    return make_legs()[0]
