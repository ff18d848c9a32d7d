"""A generated world and its on-disk layout (``docs/architecture.md``, "Simulator output directory")."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from lantern.errors import LanternError

if TYPE_CHECKING:
    from lantern.simulate.scenario import Scenario

#: parquet settings fixed so the same data give the same bytes
PARQUET_COMPRESSION_LEVEL = 3
PARQUET_ROW_GROUP_SIZE = 131_072


@dataclass
class World:
    """Everything the simulator generated. Truth tables carry ``person_id``; lists do not."""

    scenario: Scenario
    seed: int
    standard_version: str
    people: pl.DataFrame
    journeys: pl.DataFrame
    records: pl.DataFrame
    assessments: pl.DataFrame
    lists: dict[str, pl.DataFrame] = field(default_factory=dict)

    def summary(self) -> dict:
        """Sizes, exploitation and list overlaps (pairs of lists sharing people)."""
        ppl = self.people
        per_list = {}
        people_on = {}
        for name in self.lists:
            t = self.records.filter(pl.col("list") == name)
            per_list[name] = {"records": t.height, "people": t.get_column("person_id").n_unique()}
            people_on[name] = set(t.get_column("person_id").unique().to_list())
        names = list(self.lists)
        overlaps = {
            f"{a}&{b}": len(people_on[a] & people_on[b]) for i, a in enumerate(names) for b in names[i + 1:]
        }
        on_any = set().union(*people_on.values()) if people_on else set()
        return {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "people": ppl.height,
            "exploited": int(ppl.get_column("exploited").sum()),
            "moved_on": int(ppl.get_column("onward").sum()),
            "journey_legs": self.journeys.height,
            "assessments": self.assessments.height,
            "lists": per_list,
            "overlaps": overlaps,
            "people_on_any_list": len(on_any),
            "exploited_on_any_list": int(ppl.filter(pl.col("person_id").is_in(list(on_any)) & pl.col("exploited")).height),
        }

    def tables(self) -> dict[str, pl.DataFrame]:
        """Relative path (without extension) -> table, in the documented layout."""
        out = {
            "truth/people": self.people,
            "truth/journeys": self.journeys,
            "truth/records": self.records,
            "assessments": self.assessments,
        }
        for name, df in self.lists.items():
            out[f"lists/{name}"] = df
        return out

    def write(self, out_dir: str | os.PathLike, format: str = "parquet") -> Path:  # noqa: A002
        """Write the layout of ``docs/architecture.md`` into ``out_dir``, atomically.

        Everything is written to a temporary directory beside ``out_dir`` and moved into place
        only when complete. An existing ``out_dir`` is replaced only if it is an earlier simulator
        output (has a ``manifest.json``) or empty; anything else is refused.
        """
        if format not in ("parquet", "csv"):
            raise LanternError(f"unknown format {format!r}; use parquet or csv", field="format")
        out = Path(out_dir)
        if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "manifest.json").exists())):
            raise LanternError(
                "exists and is not an earlier simulator output (no manifest.json); refusing to overwrite it",
                field="out", record=str(out),
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            files = {}
            for rel, df in self.tables().items():
                path = tmp / f"{rel}.{format}"
                path.parent.mkdir(parents=True, exist_ok=True)
                if format == "parquet":
                    df.write_parquet(path, compression="zstd", compression_level=PARQUET_COMPRESSION_LEVEL,
                                     statistics=True, row_group_size=PARQUET_ROW_GROUP_SIZE)
                else:
                    df.write_csv(path)
                files[f"{rel}.{format}"] = {
                    "rows": df.height,
                    "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                }
            (tmp / "scenario.yaml").write_text(self.scenario.to_yaml(), encoding="utf-8")
            manifest = {
                "scenario": self.scenario.name,
                "scenario_source": self.scenario.data.get("source"),
                "calibrated": self.scenario.data.get("calibrated", False),
                "seed": self.seed,
                "people": self.people.height,
                "standard_version": self.standard_version,
                "format": format,
                "lists": list(self.lists),
                "sizes": {rel: meta["rows"] for rel, meta in files.items()},
                "files": files,
                "generator": "lantern.simulate",
                "synthetic": True,
            }
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            if out.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
                os.replace(out, old / "x")
                os.replace(tmp, out)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return out
