"""`lantern estimate`: multiple systems estimation of the hidden population."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lantern.errors import LanternError, ValidationError


def estimate(
    files: Annotated[list[Path], typer.Argument(
        help="Capture histories: CSV/Parquet with one 0/1 column per list and 'count' (or one row per "
             "person without 'count'). With --from-lists: the agency lists to link first.")],
    method: Annotated[str, typer.Option(help="stepwise | bic | aic | fixed | main | bayes | latent | dga")] = "stepwise",
    model: Annotated[str | None, typer.Option(help='Model for --method fixed, e.g. "[12,23]" or "A:B+B:C"')] = None,
    max_order: Annotated[int | None, typer.Option(help="Highest interaction order (bic/aic/bayes)")] = None,
    threshold: Annotated[float, typer.Option(help="Stepwise p-value threshold")] = 0.02,
    bootstrap: Annotated[int, typer.Option(help="Bootstrap replicates for the BCa interval (0 = none)")] = 0,
    seed: Annotated[int | None, typer.Option(
        help="Random seed (bootstrap, MCMC). With --rng r the bootstrap defaults to 1234, as R's packages")] = None,
    rng: Annotated[str, typer.Option(
        "--rng", help="Bootstrap random stream: r (R's set.seed + rmultinom: same replicates and BCa limits "
                      "as SparseMSE/MultipleSystemsEstimation with iseed = seed) | numpy")] = "r",
    levels: Annotated[str, typer.Option(help="Interval levels, comma-separated")] = "0.8,0.95",
    prior: Annotated[str, typer.Option(help="bayes: proper | improper prior on interactions")] = "proper",
    prior_variance: Annotated[float, typer.Option(help="bayes: prior variance of interactions")] = 1.0,
    mcmc: Annotated[int, typer.Option(help="bayes/latent: MCMC draws kept")] = 10000,
    delta: Annotated[float | None, typer.Option(
        help="dga: hyper-Dirichlet prior weight per cell (default 2^-lists)")] = None,
    prior_n: Annotated[str, typer.Option(help="dga: prior on the total N: inverse (1/N) | uniform")] = "inverse",
    max_missing: Annotated[int | None, typer.Option(
        help="dga: largest number of unobserved people on the grid (default max(2000, 20 x observed))")] = None,
    output_format: Annotated[str, typer.Option("--format", help="text | json")] = "text",
    report: Annotated[Path | None, typer.Option(help="Write a report: out.html or out.pdf")] = None,
    from_lists: Annotated[bool, typer.Option(
        "--from-lists", help="FILES are agency lists: link them first (lantern.linkage)")] = False,
    link_threshold: Annotated[float | None, typer.Option(help="--from-lists: match probability threshold")] = None,
    engine: Annotated[str, typer.Option(help="--from-lists: linkage engine (duckdb | spark)")] = "duckdb",
    by: Annotated[str | None, typer.Option(
        help="Estimate separately within each value of this column (e.g. sex) and add up")] = None,
) -> None:
    """Estimate how many people appear on none of the lists (multiple systems estimation)."""
    import json

    from lantern.cli._common import console, progress_bar
    from lantern.estimation import MSE, read_table, table_from_frame

    if output_format not in ("text", "json"):
        raise ValidationError("--format must be 'text' or 'json'", field="format")
    if report is not None and report.suffix.lower() not in (".html", ".htm", ".pdf"):
        raise ValidationError("the report must end in .html or .pdf", field="report", record=str(report))
    try:
        lvls = tuple(float(x) for x in levels.split(",") if x.strip())
    except ValueError as exc:
        raise ValidationError(f"cannot read the levels {levels!r}", field="levels") from exc
    if from_lists:
        if len(files) < 2:
            raise ValidationError("--from-lists needs at least two agency lists", field="files")
        try:
            from lantern.linkage import link_to_histories
        except ImportError as exc:
            raise LanternError(
                "record linkage (lantern.linkage.link_to_histories) is not available in this installation; "
                "link the lists with 'lantern link' and estimate from its histories file", field="from-lists",
            ) from exc
        with progress_bar() as bar:
            task = bar.add_task("linking lists", total=None)
            frame = link_to_histories([str(p) for p in files], threshold=link_threshold, engine=engine)
            bar.update(task, completed=1, total=1)
        table = table_from_frame(frame, source="linked lists")
    else:
        if len(files) != 1:
            raise ValidationError("give one capture-history file (or several lists with --from-lists)",
                                  field="files")
        if by is not None:
            _stratified(files[0], by, output_format, dict(
                method=method, model=model, threshold=threshold, max_order=max_order, bootstrap=bootstrap,
                levels=lvls, prior=prior, prior_variance=prior_variance, mcmc=mcmc, seed=seed, random_stream=rng,
        delta=delta, prior_n=prior_n, max_missing=max_missing))
            return
        table = read_table(files[0])
    est = MSE(method=method, model=model, threshold=threshold, max_order=max_order, bootstrap=bootstrap,
              levels=lvls, prior=prior, prior_variance=prior_variance, mcmc=mcmc, seed=seed, random_stream=rng,
        delta=delta, prior_n=prior_n, max_missing=max_missing)
    with progress_bar() as bar:
        task = bar.add_task(f"estimating ({method})", total=None)
        est.fit(table)
        bar.update(task, completed=1, total=1)
    result = est.result_
    if report is not None:
        from lantern.estimation.report import write_report

        write_report(result, report)
    if output_format == "json":
        d = result.to_dict()
        out = {k: d[k] for k in ("estimate", "observed", "dark_figure", "lists", "method", "model",
                                 "intervals", "warnings", "why", "list_totals")}
        out["bootstrap"] = None if d["bootstrap"] is None else {
            k: v for k, v in d["bootstrap"].items() if k != "estimates"}
        out["bayes"] = d["bayes"]
        out["candidates"] = d["candidates"][:10]
        typer.echo(json.dumps(out, indent=2))
        return
    _print_text(console, result, report)


def _stratified(path: Path, by: str, output_format: str, kwargs: dict) -> None:
    import json

    import pandas as pd

    from lantern.cli._common import console
    from lantern.estimation.strata import estimate_by_stratum

    if not path.exists():
        raise ValidationError("file not found", record=str(path))
    frame = pd.read_parquet(path) if path.suffix.lower() == ".parquet" else pd.read_csv(
        path, dtype=str, keep_default_na=False)
    res = estimate_by_stratum(frame, by, **kwargs)
    if output_format == "json":
        d = res.to_dict()
        typer.echo(json.dumps({"by": d["by"], "estimate": d["total"], "observed": d["observed"],
                               "interval_95": d["interval_95"],
                               "strata": {k: {kk: v[kk] for kk in ("estimate", "observed", "model", "intervals",
                                                                   "warnings")}
                                          for k, v in d["strata"].items()}}, indent=2))
        return
    console.print(f"[bold]Estimated total population: {res.total:,.1f}[/] (observed {res.observed:,}), "
                  f"sum over {len(res.strata)} strata of {by}")
    if res.interval_95:
        console.print(f"95% percentile interval of the summed bootstrap: {res.interval_95[0]:,.1f} – "
                      f"{res.interval_95[1]:,.1f}")
    for name, r in res.strata.items():
        console.print(f"  {by}={name}: {r.estimate:,.1f} (observed {r.observed:,}; model {r.model.string})",
                      highlight=False)
        for w in r.warnings:
            console.print(f"    [yellow]warning:[/] {w}", highlight=False)


def _print_text(console, result, report) -> None:
    from rich.table import Table

    console.print(f"[bold]Estimated total population: {result.estimate:,.1f}[/] "
                  f"(observed {result.observed:,}, unobserved {result.dark_figure:,.1f})")
    console.print(f"Lists: {', '.join(result.lists)}   method: {result.method}")
    neg = result.model.neg_inf_terms
    console.print(f"Model: {result.model.string}  ({result.model.label})"
                  + (f"  [minus infinity: {', '.join(neg)}]" if neg else ""), highlight=False)
    console.print(f"Why: {result.why}", highlight=False)
    table = Table(title="Intervals")
    for col in ("method", "level", "low", "high"):
        table.add_column(col)
    for m, levels in result.intervals.items():
        for lvl, (lo, hi) in sorted(levels.items()):
            table.add_row(m, f"{lvl:.0%}", f"{lo:,.1f}", f"{hi:,.1f}")
    console.print(table)
    if result.bootstrap:
        b = result.bootstrap
        console.print(f"Bootstrap: {b['valid']} of {b['replicates']} replicates valid; "
                      f"{'R' if b.get('random_stream') == 'r' else 'numpy'} random stream, seed {b.get('seed')}",
                      highlight=False)
    for w in result.warnings:
        console.print(f"[yellow]warning:[/] {w}", highlight=False)
    if report:
        console.print(f"report written to {report}")
