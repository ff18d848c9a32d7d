"""Routes against the known truth of generated journeys (each person follows a designed route)."""

from __future__ import annotations

import pandas as pd
import pytest
from routes_truth import ROUTES, make_legs

from lantern.errors import LanternError
from lantern.routes import build_corridors, read_journeys, route_tables, write_routes


def test_corridors_match_the_designed_routes():
    legs, route_of = make_legs(seed=3)
    persons = build_corridors(legs).persons.set_index("person_id")
    for pid, r in enumerate(route_of):
        design = ROUTES[r][0]
        row = persons.loc[f"p{pid}"]
        assert row.origin == design[0][0]
        eu = {"RO", "HU", "DE", "AT"}
        entry_k = next((k for k, leg in enumerate(design) if leg[1] in eu and leg[0] not in eu), None)
        if entry_k is None:
            assert pd.isna(row.entry)
            continue
        assert row.entry == design[entry_k][1]
        assert row.entry_crossing == design[entry_k][3]
        assert row.entry_mode == design[entry_k][2]
        assert row.transit == "+".join(leg[1] for leg in design[:entry_k])
        assert row.onward == "+".join(leg[1] for leg in design[entry_k + 1 :])
        # travel time = the stays in transit countries before the EU entry
        assert row.travel_days == sum(leg[4] or 0 for leg in design[:entry_k])


def test_published_tables_against_truth_with_disclosure_control():
    legs, _ = make_legs(seed=4)
    tables = route_tables(build_corridors(legs), threshold=11, rounding=1)
    corridors = tables["corridors"].set_index("corridor")
    assert corridors.loc["NP → AE → RO", "persons"] == 120
    assert corridors.loc["NP → AE → RO → DE", "persons"] == 40
    assert corridors.loc["UA → RO → HU → AT", "persons"] == 25
    # the 5-person corridor MD → RO is not shown on its own
    assert "MD → RO" not in corridors.index
    assert corridors.filter(like="(other", axis=0)["display"].item() == "<11"
    moves = tables["secondary_movements"].set_index(["from_country", "to_country"])["moves"]
    assert moves[("RO", "DE")] == 40 and moves[("RO", "HU")] == 25 and moves[("HU", "AT")] == 25
    reach = tables["reach"].set_index("item")["value"]
    assert reach["reached the EU"] == sum(n for legs_, n in ROUTES if any(leg[1] == "RO" for leg in legs_))
    assert reach["moved on inside the EU"] == 40 + 25
    # no released count in 1..10 anywhere
    for frame in tables.values():
        for col in ("persons", "moves", "legs"):
            if col in frame:
                shown = frame[col].dropna()
                assert not ((shown > 0) & (shown < 11)).any()


def test_write_routes_writes_tables_and_figures_in_three_formats(tmp_path):
    legs, _ = make_legs(seed=5)
    sim = tmp_path / "sim" / "truth"
    sim.mkdir(parents=True)
    legs.to_parquet(sim / "journeys.parquet", index=False)
    written = write_routes(tmp_path / "sim", tmp_path / "out")
    names = {p.name for p in written}
    for base in ("sankey", "flowmap"):
        for ext in ("png", "svg", "pdf"):
            assert f"{base}.{ext}" in names
            assert (tmp_path / "out" / f"{base}.{ext}").stat().st_size > 1000
    assert (tmp_path / "out" / "flowmap.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "out" / "sankey.pdf").read_bytes()[:4] == b"%PDF"
    assert b"<svg" in (tmp_path / "out" / "sankey.svg").read_bytes()[:2000]
    assert "corridors.csv" in names and "secondary_movements.csv" in names


def test_bad_journeys_are_refused(tmp_path):
    legs, _ = make_legs()
    with pytest.raises(LanternError) as err:
        read_journeys(legs.drop(columns=["crossing_point"]))
    assert err.value.problems[0].field == "crossing_point"
    with pytest.raises(LanternError, match="journeys"):
        read_journeys(tmp_path)
