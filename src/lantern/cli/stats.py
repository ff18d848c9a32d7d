"""`lantern stats`: harmonised tables with disclosure control, rates, EU merge, exports, DP queries,
routes and the data-source report (issue 7). Heavy libraries are imported inside the commands."""

from __future__ import annotations

from pathlib import Path

import typer

from lantern.errors import LanternError

app = typer.Typer(
    help="Harmonised statistics, routes and data-source quality, published without disclosing anyone.",
    no_args_is_help=True,
)


def _rules(sdc: str, spec_rules):
    import dataclasses

    from lantern.statistics.sdc import SDCRules

    if sdc == "default":
        return spec_rules
    if sdc == "optimal":
        return dataclasses.replace(spec_rules, method="optimal")
    if sdc == "none":
        return SDCRules.none()
    raise LanternError("must be 'default', 'optimal' or 'none'", field="--sdc")


@app.command("table")
def table(
    spec: Path = typer.Option(..., "--spec", help="YAML table specification (see docs/statistics.md)."),
    data: Path = typer.Option(..., "--data", help="Simulator output directory or an assessments Parquet/CSV file."),
    out: Path = typer.Option(..., "--out", help="Output file: .csv or .xlsx."),
    sdc: str = typer.Option(
        "default", "--sdc",
        help="'default' applies the spec's disclosure control; 'optimal' the same with minimum-loss (MILP) secondary "
             "suppression; 'none' is for internal use only.",
    ),
    crim_thb: Path | None = typer.Option(None, "--crim-thb", help="Also write the Eurostat crim_thb layout to this CSV."),
    cache: Path | None = typer.Option(None, "--cache", help="Folder to keep the one-row-per-person table in (faster reruns)."),
) -> None:
    """Compute the tables of a spec, apply and check disclosure control, and write them."""
    from lantern.cli._common import console, progress_bar
    from lantern.statistics.export import write_crim_thb, write_tables
    from lantern.statistics.release import Release
    from lantern.statistics.spec import load_spec
    from lantern.statistics.tables import Dataset, compute_tables, spec_columns

    if out.suffix.lower() not in (".csv", ".xlsx"):
        raise LanternError("the output must end in .csv or .xlsx", field="--out", record=str(out))
    the_spec = load_spec(spec)
    rules = _rules(sdc, the_spec.sdc)
    with progress_bar() as bar:
        task = bar.add_task("counting and protecting tables", total=1)
        ds = Dataset(data, cache=cache, columns=spec_columns(the_spec))
        try:
            tables = compute_tables(ds, the_spec, rules=rules)
        finally:
            ds.close()
        bar.advance(task)
    if rules.enabled:
        release = Release(out.stem, the_spec.title, tables)
        report = release.check()
        console.print(
            f"disclosure check passed: {sum(t.primary for t in report.tables)} primary and "
            f"{sum(t.secondary for t in report.tables)} secondary suppressions in {len(tables)} tables"
        )
        if rules.method == "optimal":
            for t in tables:
                console.print(f"  {t.id}: {t.protected.method} — {t.protected.note}")
    else:
        console.print("[yellow]warning:[/] --sdc none: exact counts, for internal use only — do not publish")
    write_tables(tables, out)
    if crim_thb:
        write_crim_thb(tables, crim_thb)
        console.print(f"wrote {crim_thb}")
    console.print(f"wrote {out} ({len(tables)} tables, standard {the_spec.standard_version})")


@app.command("rates")
def rates(
    table_csv: Path = typer.Option(..., "--table", help="A published table CSV (from `lantern stats table`)."),
    denominators: Path = typer.Option(..., "--denominators", help="CSV in Eurostat long layout: geo, citizen, time, value."),
    out: Path = typer.Option(..., "--out", help="Output CSV."),
    table_id: str | None = typer.Option(None, "--table-id", help="Only this table (default: every table by period/country/citizenship)."),
    per: float = typer.Option(1000.0, "--per", help="Rate per this many persons."),
) -> None:
    """Rates per 1,000 with exact Poisson (Garwood) 95% intervals, from a published table."""
    import pandas as pd

    from lantern.cli._common import console
    from lantern.statistics.export import atomic_path
    from lantern.statistics.rates import compute_rates, load_denominators

    den = load_denominators(denominators)
    if not table_csv.is_file():
        raise LanternError("no such table file", record=str(table_csv))
    frame = pd.read_csv(table_csv, dtype=str)
    if "table_id" not in frame.columns:
        raise LanternError("not a published Lantern table", field="table_id", record=table_csv.name)
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    results = []
    for tid, part in frame.groupby("table_id", sort=False):
        if table_id and tid != table_id:
            continue
        meta = ["table_id", "measure", "value", "status", "display", "standard_version"]
        dims = [c for c in part.columns if c not in meta and part[c].notna().any()]
        part = part[[*meta[:1], *dims, *meta[1:]]]
        if not set(dims) <= {"period", "country", "citizenship"} or "period" not in dims:
            continue
        results.append(compute_rates(part, den, per=per))
    if not results:
        raise LanternError("no table is broken down by period and only country/citizenship", record=table_csv.name)
    with atomic_path(out) as tmp:
        pd.concat(results, ignore_index=True).to_csv(tmp, index=False)
    console.print(f"wrote {out} ({len(results)} tables)")


@app.command("merge")
def merge(
    inputs: list[Path] = typer.Argument(..., help="Published national table CSVs (same spec)."),
    out: Path = typer.Option(..., "--out", help="EU table CSV."),
    threshold: int = typer.Option(11, "--threshold", help="Threshold the national tables used."),
) -> None:
    """Aggregate published national tables into an EU table (no microdata; see docs/statistics.md)."""
    from lantern.cli._common import console
    from lantern.statistics.combine import merge_national, read_published
    from lantern.statistics.export import atomic_path

    frames = [read_published(p) for p in inputs]
    merged = merge_national(frames, threshold=threshold, labels=[p.stem for p in inputs])
    with atomic_path(out) as tmp:
        merged.to_csv(tmp, index=False)
    partial = int((merged["status"] == "partial").sum())
    console.print(f"wrote {out}: {len(merged)} cells, {partial} partial (a national cell was suppressed)")


@app.command("compare")
def compare(
    inputs: list[Path] = typer.Argument(..., help="Published table CSVs of several countries (same spec)."),
    out: Path = typer.Option(..., "--out", help="Output CSV: one column per input, values as published."),
) -> None:
    """Put the same published table of several countries side by side."""
    from lantern.cli._common import console
    from lantern.statistics.combine import compare_countries, read_published
    from lantern.statistics.export import atomic_path

    frames = [read_published(p) for p in inputs]
    wide = compare_countries(frames, labels=[p.stem for p in inputs])
    with atomic_path(out) as tmp:
        wide.to_csv(tmp, index=False)
    console.print(f"wrote {out} ({len(wide)} cells x {len(inputs)} countries)")


@app.command("ctdc")
def ctdc(
    data: Path = typer.Option(..., "--data", help="Simulator output directory or assessments file."),
    out: Path = typer.Option(..., "--out", help="Output CSV (CTDC-aligned, k-anonymised)."),
    k: int = typer.Option(11, "--k", help="Minimum size of every combination of quasi-identifiers."),
) -> None:
    """CTDC-aligned victim microdata, k-anonymised (generalise, then suppress)."""
    from lantern.cli._common import console
    from lantern.statistics.export import write_ctdc
    from lantern.statistics.tables import Dataset

    ds = Dataset(data)
    try:
        persons = ds.con.execute("SELECT * FROM persons").df()
    finally:
        ds.close()
    report = write_ctdc(persons, out, k=k)
    console.print(
        f"wrote {out}: {report.records_out} of {report.records_in} records, smallest class {report.smallest_class} "
        f"(k={report.k}); suppressed values: {report.values_suppressed}"
    )


@app.command("dp")
def dp_query(
    data: Path = typer.Option(..., "--data", help="Simulator output directory or assessments file."),
    ledger: Path = typer.Option(..., "--ledger", help="Privacy-budget ledger (DuckDB file)."),
    release: str = typer.Option(..., "--release", help="Release the query spends from."),
    epsilon: float = typer.Option(..., "--epsilon", help="Privacy budget this query spends."),
    by: list[str] = typer.Option([], "--by", help="Grouping variable with its public keys: sex=female,male,unknown"),
    where: str | None = typer.Option(None, "--where", help="Count only persons with this flag: vulnerable or presumed_victim."),
    budget: float | None = typer.Option(None, "--budget", help="Open the release with this total budget (first use)."),
    yes: bool = typer.Option(False, "--yes", help="Release without asking (otherwise only the accuracy is shown)."),
) -> None:
    """Differentially private count (OpenDP): shows the accuracy first; refused past the budget."""
    import polars as pl

    from lantern.cli._common import console
    from lantern.statistics.dp import DuckDBLedger, dp_count
    from lantern.statistics.tables import Dataset

    keys: dict[str, list[str]] = {}
    for item in by:
        name, _, values = item.partition("=")
        if not values:
            raise LanternError("give the public keys: --by sex=female,male,unknown", field="--by", record=item)
        keys[name] = [v for v in values.split(",") if v]
    if where not in (None, "vulnerable", "presumed_victim"):
        raise LanternError("must be vulnerable or presumed_victim", field="--where")
    book = DuckDBLedger(ledger)
    try:
        if budget is not None:
            book.open_release(release, budget)
        ds = Dataset(data)
        try:
            persons = ds.con.sql("SELECT * EXCLUDE (interview_date) FROM persons").pl()
        finally:
            ds.close()
        query = dp_count(
            persons, ledger=book, release_id=release, epsilon=epsilon, by=list(keys), keys=keys,
            where=None if where is None else pl.col(where),
        )
        s = query.summary()
        console.print(
            f"query: {s['query']}; ε={s['epsilon']:g}; 95% of counts within ±{s['ci_half_width']:.1f} of the truth; "
            f"release {release} has ε={book.remaining(release):g} left"
        )
        if not yes:
            console.print("not released (add --yes to spend the budget and release)")
            return
        result = query.release()
        console.print(result)
    finally:
        book.close()


@app.command("routes")
def routes(
    data: Path = typer.Option(..., "--data", help="Simulator output directory (truth/journeys.parquet) or a journeys file."),
    out: Path = typer.Option(..., "--out", help="Output directory for tables and figures."),
    sdc: str = typer.Option("default", "--sdc", help="'default' suppresses corridors with fewer than 11 persons; 'none' for internal use."),
    group_by: str | None = typer.Option(None, "--group-by", help="Break by_period.csv down by a column of truth/people.parquet (e.g. sex)."),
) -> None:
    """Corridors, crossing points, modes, durations and intra-EU moves, with a Sankey and a flow map."""
    from lantern.cli._common import console
    from lantern.routes import write_routes

    if sdc not in ("default", "none"):
        raise LanternError("must be 'default' or 'none'", field="--sdc")
    written = write_routes(data, out, threshold=1 if sdc == "none" else 11, group_by=group_by)
    console.print(f"wrote {len(written)} files to {out}")


@app.command("sources")
def sources(
    data: Path = typer.Option(..., "--data", help="Simulator output directory (lists/*.parquet)."),
    report: Path = typer.Option(..., "--report", help="Output HTML report."),
    link: bool = typer.Option(False, "--link", help="Overlap and coverage from record linkage (needed for real data without a truth)."),
    reference_date: str | None = typer.Option(None, "--reference-date", help="Date timeliness is measured against (default: latest record)."),
) -> None:
    """Data-source suitability (rec. 1.4): completeness, validity, timeliness, duplicates, overlap, coverage."""
    from lantern.cli._common import console
    from lantern.statistics.sources import assess_sources, write_report

    result = assess_sources(data, link=link, reference_date=reference_date)
    write_report(result, report)
    console.print(f"wrote {report} ({len(result.sources)} sources)")
