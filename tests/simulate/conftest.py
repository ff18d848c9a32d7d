"""Worlds shared by the simulator tests (generated once per session; ≤ 20,000 people each)."""

from __future__ import annotations

import pytest

from lantern.simulate import load_scenario, simulate

N = 20_000


@pytest.fixture(scope="session")
def world():
    return simulate("romania", people=N, seed=7)


@pytest.fixture(scope="session")
def independent_world():
    return simulate("independent-lists", people=N, seed=11)


#: noise rates raised so the rate tests have power; the romanisation habit is kept
NOISY = {"typo": 0.10, "swap_order": 0.15, "middle_dropped": 0.30, "given_missing": 0.05, "family_missing": 0.08, "uppercase": 0.30,
         "dob_missing": 0.10, "dob_jan1": 0.12, "dob_swap": 0.20, "sex_missing": 0.04,
         "citizenship_missing": 0.06, "duplicate": 0.10}


@pytest.fixture(scope="session")
def noisy_world():
    sc = load_scenario({
        "extends": "romania",
        "name": "noisy",
        "lists": {"agencies": {"immigration": {"base_rate": 0.3, "noise": NOISY}}},
    })
    return simulate(sc, people=N, seed=5)
