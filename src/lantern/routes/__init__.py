"""Migratory routes from journey legs (issue 7, recommendation 1.3): corridors, crossing points,
modes, durations, secondary movements inside the EU, and offline pictures (Sankey, flow map).

The analytic core: no Django. See ``docs/routes.md``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from lantern.routes.corridors import RouteSummary, build_corridors, read_journeys, route_tables

__all__ = ["RouteSummary", "build_corridors", "read_journeys", "route_tables", "write_routes"]


def _people(data) -> object | None:
    import pandas as pd

    if isinstance(data, str | Path):
        path = Path(data)
        for candidate in (path / "truth" / "people.parquet", path / "truth" / "people.csv"):
            if candidate.is_file():
                return pd.read_parquet(candidate) if candidate.suffix == ".parquet" else pd.read_csv(candidate)
    return None


def write_routes(data, out: str | Path, *, threshold: int = 11, rounding: int = 5, group_by: str | None = None) -> list[Path]:
    """Compute the route tables and figures and write them to ``out`` (all files or none).

    Files: ``corridors.csv``, ``entry_points.csv``, ``modes.csv``, ``durations.csv``,
    ``secondary_movements.csv``, ``by_period.csv``, ``reach.csv``, ``sankey.{png,svg,pdf}``,
    ``flowmap.{png,svg,pdf}``. ``threshold=1`` turns disclosure control off (internal use).
    """
    from lantern.routes.figures import draw_flow_map, draw_sankey

    legs = read_journeys(data)
    summary = build_corridors(legs)
    people = _people(data)
    if group_by and people is None:
        from lantern.errors import LanternError

        raise LanternError("grouping needs truth/people.parquet beside the journeys", field="group_by", record=str(data))
    tables = route_tables(summary, groups=people, group_by=group_by, threshold=threshold, rounding=1 if threshold <= 1 else rounding)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".routes-", dir=out.parent))
    try:
        for name, frame in tables.items():
            frame.to_csv(staging / f"{name}.csv", index=False)
        draw_sankey(summary.persons, staging / "sankey", threshold=threshold)
        draw_flow_map(summary.legs, staging / "flowmap", eu=summary.eu, threshold=threshold)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for f in sorted(staging.iterdir()):
            target = out / f.name
            f.replace(target)
            written.append(target)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)
