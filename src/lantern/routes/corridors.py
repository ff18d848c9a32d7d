"""Journey legs normalised into corridors: origin → transit → EU entry → onward moves inside the EU.

Input: legs in the simulator's ``truth/journeys.parquet`` layout (``docs/architecture.md``):
``person_id, leg_no, from_country, to_country, entry_date, exit_date, mode, crossing_point,
facilitator_type, intra_eu`` — one row per border crossing, ``entry_date`` the day the person
entered ``to_country`` and ``exit_date`` the day they left it (empty if they stayed).

Definitions (per person, legs ordered by ``leg_no``)
-----------------------------------------------------
* **origin**: ``from_country`` of the first leg;
* **entry**: the first leg from a non-EU country into an EU member state (the standard's
  ``countries`` flags); its ``to_country`` is the *entry country*, its ``crossing_point`` and ``mode``
  the entry crossing point and mode, its ``entry_date`` the *entry date* (period = its year);
* **transit**: the countries reached before the entry leg (outside the EU), in order;
* **onward**: the EU countries reached after the entry leg by intra-EU legs (secondary movements);
* **travel_days**: entry date minus the first leg's entry date (0 for a direct flight);
* **transit_days**: days spent in transit countries (sum of their ``exit_date - entry_date``);
* **days_before_onward**: days between EU entry and leaving the entry country (if they moved on).

A person whose legs never reach the EU keeps ``entry`` empty and is reported as "not reached".

Assumptions: legs of a person are consecutive (``to_country`` of one leg is ``from_country`` of the
next); a gap is not repaired but counted in :attr:`RouteSummary.inconsistent`. Legs crossing back out
of the EU after entry are kept in ``onward`` only if they are intra-EU.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lantern.errors import LanternError, Problem
from lantern.statistics import _std

LEG_COLUMNS = ("person_id", "leg_no", "from_country", "to_country", "entry_date", "exit_date", "mode", "crossing_point")
ARROW = " → "


def read_journeys(data: str | Path | Any) -> pd.DataFrame:
    """Legs from a simulator directory, a journeys Parquet/CSV file, or a frame; columns checked."""
    if hasattr(data, "to_pandas") and not isinstance(data, pd.DataFrame):  # a Polars frame
        data = data.to_pandas()
    if isinstance(data, pd.DataFrame):
        legs = data.copy()
        source = "journeys"
    else:
        path = Path(data)
        if path.is_dir():
            candidates = [path / "truth" / "journeys.parquet", path / "truth" / "journeys.csv", path / "journeys.parquet", path / "journeys.csv"]
            found = [c for c in candidates if c.is_file()]
            if not found:
                raise LanternError("no truth/journeys.parquet (or .csv) in the data directory", record=str(path))
            path = found[0]
        if not path.is_file():
            raise LanternError("no such journeys file or directory", record=str(path))
        legs = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
        source = path.name
    missing = [c for c in LEG_COLUMNS if c not in legs.columns]
    if missing:
        raise LanternError([Problem("required column missing from the journey legs", field=c, record=source) for c in missing])
    legs["entry_date"] = pd.to_datetime(legs["entry_date"], errors="coerce")
    legs["exit_date"] = pd.to_datetime(legs["exit_date"], errors="coerce")
    bad = legs["entry_date"].isna()
    if bad.any():
        row = legs[bad].iloc[0]
        raise LanternError(
            f"{int(bad.sum())} leg(s) without a valid entry_date", field="entry_date", record=f"{source}: person {row.person_id} leg {row.leg_no}"
        )
    if "intra_eu" not in legs.columns:
        legs["intra_eu"] = np.nan
    return legs


@dataclass
class RouteSummary:
    """Per-person corridors and the legs they were built from."""

    persons: pd.DataFrame
    legs: pd.DataFrame
    inconsistent: int = 0
    eu: frozenset[str] = field(default_factory=frozenset)


def build_corridors(legs: pd.DataFrame, *, standard_version: str | None = None) -> RouteSummary:
    """One row per person: origin, transit, entry, onward, corridor, dates, durations, entry mode/crossing."""
    eu = _std.eu_codes(standard_version)
    legs = read_journeys(legs)
    legs = legs.sort_values(["person_id", "leg_no"]).reset_index(drop=True)
    legs["from_eu"] = legs["from_country"].isin(eu)
    legs["to_eu"] = legs["to_country"].isin(eu)
    legs["stay_days"] = (legs["exit_date"] - legs["entry_date"]).dt.days
    rows: list[dict[str, Any]] = []
    inconsistent = 0
    for pid, g in legs.groupby("person_id", sort=False):
        frm = g["from_country"].to_numpy()
        to = g["to_country"].to_numpy()
        if len(g) > 1 and (frm[1:] != to[:-1]).any():
            inconsistent += 1
        is_entry = (~g["from_eu"].to_numpy()) & g["to_eu"].to_numpy()
        first_date = g["entry_date"].iloc[0]
        row: dict[str, Any] = {"person_id": pid, "origin": frm[0], "n_legs": len(g)}
        if is_entry.any():
            k = int(np.argmax(is_entry))
            entry = g.iloc[k]
            after = g.iloc[k + 1 :]
            onward_legs = after[after["from_eu"] & after["to_eu"]]
            transit = [c for c in to[:k]]
            row.update(
                entry=entry["to_country"],
                entry_date=entry["entry_date"],
                entry_mode=entry["mode"],
                entry_crossing=entry["crossing_point"],
                transit="+".join(transit),
                onward="+".join(onward_legs["to_country"].tolist()),
                n_onward=len(onward_legs),
                travel_days=int((entry["entry_date"] - first_date).days),
                transit_days=float(g.iloc[:k]["stay_days"].fillna(0).sum()),
                days_before_onward=float(entry["stay_days"]) if len(onward_legs) and not pd.isna(entry["stay_days"]) else np.nan,
                final_country=to[-1],
            )
            parts = [row["origin"], *transit, entry["to_country"], *onward_legs["to_country"].tolist()]
        else:
            row.update(entry=None, entry_date=pd.NaT, entry_mode=None, entry_crossing=None, transit="+".join(to.tolist()),
                       onward="", n_onward=0, travel_days=np.nan, transit_days=np.nan, days_before_onward=np.nan,
                       final_country=to[-1])
            parts = [row["origin"], *to.tolist(), "(not in EU)"]
        row["corridor"] = ARROW.join(str(p) for p in parts)
        rows.append(row)
    persons = pd.DataFrame(rows)
    persons["period"] = pd.to_datetime(persons["entry_date"]).dt.year.astype("Int64").astype(str).replace("<NA>", "not reached")
    return RouteSummary(persons, legs, inconsistent, eu)


# --- published summaries ----------------------------------------------------------------------------

def _protect_counts(frame: pd.DataFrame, count: str, *, threshold: int, rounding: int, label_cols: list[str]) -> pd.DataFrame:
    """Rows under the threshold are pooled into one 'other' row; counts rounded; '<t' where still small."""
    if threshold <= 1:
        frame = frame.copy()
        frame["display"] = frame[count].astype(int).astype(str)
        return frame
    small = frame[count] < threshold
    kept = frame[~small].copy()
    if small.any():
        other: dict[str, Any] = {c: f"(other, each fewer than {threshold})" for c in label_cols}
        other[count] = int(frame.loc[small, count].sum())
        kept = pd.concat([kept, pd.DataFrame([other])], ignore_index=True)
    values = kept[count].astype(int).to_numpy()
    floor_value = math.ceil(threshold / rounding) * rounding
    rounded = (np.floor(values / rounding + 0.5) * rounding).astype(int)
    rounded = np.where((values > 0) & (rounded < floor_value), floor_value, rounded)
    kept[count] = np.where(values < threshold, np.nan, rounded)
    kept["display"] = [f"<{threshold}" if v < threshold else str(r) for v, r in zip(values, rounded, strict=True)]
    return kept


def route_tables(
    summary: RouteSummary,
    *,
    groups: pd.DataFrame | None = None,
    group_by: str | None = None,
    top: int = 20,
    threshold: int = 11,
    rounding: int = 5,
) -> dict[str, pd.DataFrame]:
    """The published route tables (with disclosure control unless ``threshold=1``).

    Returns a dict of frames: ``corridors`` (top corridors), ``entry_points`` (entry country, crossing
    point and mode), ``modes`` (every leg's mode, outside / into / inside the EU), ``durations``
    (median and quartiles of travel and transit days by origin and entry country; only for groups of at
    least ``threshold`` persons), ``secondary_movements`` (intra-EU from → to pairs), ``by_period``
    (entry year x entry country, optionally x a group column from ``groups``).
    """
    persons = summary.persons.copy()
    if groups is not None and group_by:
        if group_by not in groups.columns:
            raise LanternError("no such group column in the people table", field=group_by)
        persons = persons.merge(groups[["person_id", group_by]], on="person_id", how="left")
        persons[group_by] = persons[group_by].fillna("UNK").astype(str)
    reached = persons[persons["entry"].notna()]
    out: dict[str, pd.DataFrame] = {}
    corridors = reached.groupby(["corridor"]).size().rename("persons").reset_index().sort_values("persons", ascending=False)
    stages = reached.drop_duplicates("corridor").set_index("corridor")[["origin", "transit", "entry", "onward"]]
    corridors = corridors.join(stages, on="corridor")
    corridors = _protect_counts(corridors, "persons", threshold=threshold,
                                rounding=rounding, label_cols=["corridor", "origin", "transit", "entry", "onward"])
    is_other = corridors["corridor"].astype(str).str.startswith("(other")
    out["corridors"] = pd.concat([corridors[~is_other].head(top), corridors[is_other]], ignore_index=True)
    entry = reached.groupby(["entry", "entry_crossing", "entry_mode"]).size().rename("persons").reset_index()
    out["entry_points"] = _protect_counts(entry.sort_values("persons", ascending=False), "persons", threshold=threshold,
                                          rounding=rounding, label_cols=["entry", "entry_crossing", "entry_mode"])
    legs = summary.legs.copy()
    legs["segment"] = np.where(legs["from_eu"] & legs["to_eu"], "inside EU", np.where(legs["to_eu"], "into EU", "outside EU"))
    modes = legs.groupby(["segment", "mode"]).size().rename("legs").reset_index()
    out["modes"] = _protect_counts(modes, "legs", threshold=threshold, rounding=rounding, label_cols=["segment", "mode"])
    dur_rows = []
    for (origin, entry_c), g in reached.groupby(["origin", "entry"]):
        if len(g) < max(threshold, 1):
            continue
        dur_rows.append({
            "origin": origin, "entry": entry_c, "persons_band": f"{threshold}+" if threshold > 1 else str(len(g)),
            "travel_days_median": float(g["travel_days"].median()),
            "travel_days_q1": float(g["travel_days"].quantile(0.25)),
            "travel_days_q3": float(g["travel_days"].quantile(0.75)),
            "transit_days_median": float(g["transit_days"].median()),
        })
    out["durations"] = pd.DataFrame(dur_rows, columns=["origin", "entry", "persons_band", "travel_days_median",
                                                       "travel_days_q1", "travel_days_q3", "transit_days_median"])
    intra = legs[legs["from_eu"] & legs["to_eu"]]
    moves = intra.groupby(["from_country", "to_country"]).size().rename("moves").reset_index().sort_values("moves", ascending=False)
    out["secondary_movements"] = _protect_counts(moves, "moves", threshold=threshold, rounding=rounding,
                                                 label_cols=["from_country", "to_country"])
    period_keys = ["period", "entry"] + ([group_by] if group_by and groups is not None else [])
    by_period = reached.groupby(period_keys).agg(persons=("person_id", "size"), moved_on=("n_onward", lambda s: int((s > 0).sum())))
    by_period = by_period.reset_index()
    protected = _protect_counts(by_period.drop(columns=["moved_on"]), "persons", threshold=threshold, rounding=rounding, label_cols=period_keys)
    out["by_period"] = protected
    reach = [
        ("persons with legs", len(persons)),
        ("reached the EU", len(reached)),
        ("moved on inside the EU", int((reached["n_onward"] > 0).sum())),
        ("persons with inconsistent legs", summary.inconsistent),
    ]
    floor_value = math.ceil(threshold / rounding) * rounding
    rows = []
    for item, value in reach:
        if threshold <= 1 or value == 0:
            rows.append({"item": item, "value": value, "display": str(value)})
        elif value < threshold:
            rows.append({"item": item, "value": None, "display": f"<{threshold}"})
        else:
            r = max(int(math.floor(value / rounding + 0.5) * rounding), floor_value)
            rows.append({"item": item, "value": r, "display": str(r)})
    out["reach"] = pd.DataFrame(rows)
    return out
