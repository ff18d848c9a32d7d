"""`lantern simulate`: generate a synthetic world with known truth (issue 3)."""

from __future__ import annotations

from pathlib import Path

import typer


def simulate(
    scenario: str = typer.Option("romania", "--scenario", help="Built-in scenario (romania, independent-lists, mediterranean-sea-arrivals) or path to a scenario YAML."),
    people: int = typer.Option(10_000, "--people", help="Number of people in the population."),
    seed: int = typer.Option(1, "--seed", help="Random seed; the same seed gives byte-identical files."),
    out: Path | None = typer.Option(None, "--out", help="Output directory (replaced if it holds an earlier simulator output)."),
    format: str = typer.Option("parquet", "--format", help="parquet or csv."),  # noqa: A002
    check: bool = typer.Option(False, "--check", help="Only validate the scenario (and print it merged); write nothing."),
) -> None:
    """Generate a synthetic world: people, journeys, exploitation truth, agency lists, interviews."""
    from rich.table import Table

    from lantern.cli._common import console, progress_bar
    from lantern.errors import LanternError
    from lantern.simulate import STAGES, load_scenario
    from lantern.simulate import simulate as run

    if format not in ("parquet", "csv"):
        raise LanternError(f"unknown format {format!r}; use parquet or csv", field="--format")
    if people < 1:
        raise LanternError(f"must be at least 1, got {people}", field="--people")
    if seed < 0:
        raise LanternError(f"must not be negative, got {seed}", field="--seed")
    sc = load_scenario(scenario)  # refuse a bad scenario before any work
    if check:
        console.print(sc.to_yaml(), markup=False, highlight=False)
        console.print(f"scenario {sc.name!r} is valid ({len(sc['origins'])} origins, "
                      f"{len(sc['lists']['agencies'])} agency lists, calibrated: {sc['calibrated']})")
        return
    if out is None:
        raise LanternError("is required (the output directory)", field="--out")
    with progress_bar() as bar:
        task = bar.add_task("simulating", total=len(STAGES) + 1)

        def tick(stage: str, done: int, total: int) -> None:
            bar.update(task, completed=done, description=f"simulated {stage}")

        world = run(sc, people=people, seed=seed, progress=tick)
        bar.update(task, description="writing files")
        world.write(out, format=format)
        bar.update(task, completed=len(STAGES) + 1, description="done")

    s = world.summary()
    console.print(
        f"[bold]{s['scenario']}[/] seed {s['seed']}: {s['people']:,} people, {s['exploited']:,} exploited "
        f"({s['exploited'] / max(s['people'], 1):.1%}), {s['moved_on']:,} moved on, "
        f"{s['journey_legs']:,} journey legs, {s['assessments']:,} interviews"
    )
    t = Table(title="agency lists")
    for col in ("list", "records", "people"):
        t.add_column(col, justify="right" if col != "list" else "left")
    for name, v in s["lists"].items():
        t.add_row(name, f"{v['records']:,}", f"{v['people']:,}")
    console.print(t)
    o = Table(title="overlaps (people on both lists)")
    o.add_column("lists")
    o.add_column("people", justify="right")
    for pair, k in s["overlaps"].items():
        if k:
            o.add_row(pair.replace("&", " & "), f"{k:,}")
    console.print(o)
    console.print(
        f"{s['people_on_any_list']:,} people on at least one list, of whom {s['exploited_on_any_list']:,} exploited. "
        f"Written to {out}/ ({format})."
    )
