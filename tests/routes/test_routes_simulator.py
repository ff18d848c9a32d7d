"""Routes against the simulator's own truth.

The simulator's ``people`` table records, per person, the arrival in the scenario's destination
country (Romania: ``entry_date``, ``entry_crossing_point``) and whether and where they moved on
(``onward``, ``onward_country``). Our corridors start at the *EU* external border, which for a route
through Bulgaria is BG; Romania is then the first intra-EU move. The tests check both cases.
"""

from __future__ import annotations

import pandas as pd
import pytest

from lantern.routes import build_corridors, route_tables

simulate = pytest.importorskip("lantern.simulate")
DESTINATION = "RO"


@pytest.fixture(scope="module")
def world():
    w = simulate.simulate("romania", people=1500, seed=7)
    people = w.people.to_pandas() if hasattr(w.people, "to_pandas") else w.people
    persons = build_corridors(w.journeys).persons.set_index("person_id")
    joined = persons.join(people.set_index("person_id")[["entry_date", "entry_crossing_point", "onward", "onward_country", "citizenship"]],
                          rsuffix="_truth")
    return w, joined


def test_direct_entries_match_the_simulator_truth(world):
    _, j = world
    direct = j[j["entry"] == DESTINATION]
    assert len(direct) > 0.8 * len(j)
    assert (direct["entry_date"].dt.strftime("%Y-%m-%d") == pd.to_datetime(direct["entry_date_truth"]).dt.strftime("%Y-%m-%d")).all()
    assert (direct["entry_crossing"] == direct["entry_crossing_point"]).all()
    assert ((direct["n_onward"] > 0) == direct["onward_truth"].astype(bool)).all()
    moved = direct[direct["onward_truth"].astype(bool)]
    assert (moved["onward"].str.split("+").str[0] == moved["onward_country"]).all()


def test_entries_through_another_member_state_reach_the_destination_next(world):
    _, j = world
    via = j[j["entry"].notna() & (j["entry"] != DESTINATION)]
    assert (via["onward"].str.split("+").str[0] == DESTINATION).all()
    moved = via[via["onward_truth"].astype(bool)]
    assert (moved["onward"].str.split("+").str[1] == moved["onward_country"]).all()


def test_secondary_movements_table_adds_up_to_the_truth(world):
    w, j = world
    tables = route_tables(build_corridors(w.journeys), threshold=1, rounding=1)
    moves = tables["secondary_movements"].set_index(["from_country", "to_country"])["moves"]
    truth = j[j["onward_truth"].astype(bool)].groupby("onward_country").size()
    for country, n in truth.items():
        assert moves[(DESTINATION, country)] == n
    reach = tables["reach"].set_index("item")["value"]
    assert reach["moved on inside the EU"] == int((j["n_onward"] > 0).sum())
