"""`lantern screen` commands: screen a file of assessments, explain one, evaluate the score."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import typer

from lantern.errors import LanternError

app = typer.Typer(help="Screen assessments (ILO–EC rules, vulnerability, risk score) and evaluate the score.",
                  no_args_is_help=True)


def _read_table(path: Path) -> Any:
    import polars as pl

    if not path.exists():
        raise LanternError("file not found", record=str(path))
    try:
        if path.suffix == ".parquet":
            return pl.read_parquet(path)
        if path.suffix == ".csv":
            return pl.read_csv(path, infer_schema_length=10000)
    except Exception as exc:
        raise LanternError(f"cannot be read: {exc}", record=str(path)) from exc
    raise LanternError("expected a .parquet or .csv file", record=str(path))


def _clean(obj: Any) -> Any:
    if isinstance(obj, float):
        return None if math.isnan(obj) else round(obj, 6)
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


@app.command("run")
def run(
    data: Path = typer.Option(..., "--data", help="Assessments in the flat format (.parquet or .csv)."),
    out: Path = typer.Option(..., "--out", help="Where to write the screening results (.parquet or .csv)."),
) -> None:
    """Screen every assessment of a file and write one result row per assessment."""
    from lantern.cli._common import console
    from lantern.screening import screen_batch
    from lantern.toolkit.render import write_atomic

    df = _read_table(data)
    result = screen_batch(df)
    if out.suffix not in (".parquet", ".csv"):
        raise LanternError("expected a .parquet or .csv output", field="--out", record=str(out))
    import io

    buf = io.BytesIO()
    if out.suffix == ".parquet":
        result.write_parquet(buf)
    else:
        result.write_csv(buf)
    write_atomic(out, buf.getvalue())
    counts = result["risk_level"].value_counts().sort("risk_level")
    console.print(f"screened {result.height} assessments → {out}")
    console.print(", ".join(f"{r['risk_level']}: {r['count']}" for r in counts.to_dicts()))
    console.print(f"presumed victims: {int(result['presumed_victim'].sum())}; "
                  f"could be (with unknown answers): {int((result['presumed_victim_possible'] & ~result['presumed_victim']).sum())}")


@app.command("explain")
def explain(
    data: Path = typer.Option(..., "--data", help="Assessments in the flat format (.parquet or .csv)."),
    assessment: str = typer.Option(..., "--assessment", help="The assessment_id to explain."),
    lang: str = typer.Option("en", "--lang", help="Language of the labels: en or ro."),
    fmt: str = typer.Option("text", "--format", help="text or json."),
) -> None:
    """Explain the screening of one assessment: dimensions, deciding indicators, every point of the score."""
    import polars as pl

    from lantern.cli._common import console
    from lantern.screening import screen_assessment
    from lantern.toolkit import match_interventions

    df = _read_table(data)
    if "assessment_id" not in df.columns:
        raise LanternError("required column is missing", field="assessment_id", record=str(data))
    rows = df.filter(pl.col("assessment_id").cast(pl.Utf8) == assessment)
    if rows.height == 0:
        raise LanternError("no such assessment", field="--assessment", record=assessment)
    result = screen_assessment(rows.row(0, named=True), lang=lang)
    matches = match_interventions(result, lang=lang, limit=8)
    if fmt == "json":
        out = result.to_dict()
        out["interventions"] = [{"id": m.intervention.id, "points": m.points, "reasons": m.reasons} for m in matches]
        typer.echo(json.dumps(_clean(out), indent=2, ensure_ascii=False, default=str))
        return
    console.print(f"[bold]{assessment}[/]: score {result.risk_score:.1f}, level [bold]{result.risk_level}[/] "
                  f"({'; '.join(result.level_reasons)})", highlight=False)
    console.print(f"list {result.ilo_list}; presumed victim: {result.presumed_victim}; "
                  f"could change with the {result.unknown_answers} unknown answers: {result.could_change}")
    for d in result.dimensions:
        hits = ", ".join(f"{h.id} ({h.grade})" for h in d.indicators) or "-"
        console.print(f"  {'✔' if d.present else ' '} {d.id}: {hits}", highlight=False)
    console.print("[bold]points[/]")
    for c in result.contributions:
        console.print(f"  {c.points:+6.2f}  {c.id}  {c.note}", highlight=False)
    console.print("[bold]suggested interventions[/]")
    for m in matches:
        console.print(f"  {m.points:3d}  {m.intervention.label(lang)} — {'; '.join(m.reasons)}", highlight=False)


@app.command("evaluate")
def evaluate_cmd(
    data: Path = typer.Option(..., "--data", help="Simulator output folder (assessments + truth/people)."),
    report: Path | None = typer.Option(None, "--report", help="Write an HTML report here."),
    fmt: str = typer.Option("text", "--format", help="text or json."),
    method: str = typer.Option("score", "--method", help="score (transparent points) or model (calibrated logistic)."),
    label: str | None = typer.Option(None, "--label", help="Label column of truth/people (default: exploited)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the model's train/test split."),
) -> None:
    """Evaluate the risk score against known labels: AUC (DeLong CI), cut-offs, Brier, calibration, subgroups.

    Validated on synthetic data only until an agency validates it on its own data.
    """
    from lantern.cli._common import console, progress_bar
    from lantern.screening.evaluate import evaluate, read_simulation, report_html
    from lantern.toolkit.render import write_atomic

    if fmt not in ("text", "json"):
        raise LanternError("format must be text or json", field="--format")
    with progress_bar() as bar:
        task = bar.add_task("reading", total=3)
        assessments, people = read_simulation(data)
        bar.update(task, advance=1, description="screening and scoring")
        result = evaluate(assessments, people, label=label, method=method, seed=seed)
        bar.update(task, advance=1, description="report")
        if report is not None:
            write_atomic(report, report_html(result))
        bar.update(task, advance=1)
    clean = _clean(result)
    if fmt == "json":
        typer.echo(json.dumps(clean, indent=2, ensure_ascii=False))
        return
    console.print(f"[bold]risk score evaluation[/] ({method}) — synthetic data only", highlight=False)
    console.print(f"n={result['n']} positives={result['positives']} AUC={result['auc']:.3f} "
                  f"[{result['auc_ci'][0]:.3f}, {result['auc_ci'][1]:.3f}] Brier={result['brier']:.4f} "
                  f"ECE={result['ece']:.4f}", highlight=False)
    for lv in result["levels"]:
        console.print(f"  level {lv['cutoff']:>10}: sensitivity {lv['sensitivity']:.3f} "
                      f"specificity {lv['specificity']:.3f} flagged {lv['flagged']}", highlight=False)
    for key, rows in result["subgroups"].items():
        console.print(f"[bold]{key}[/]")
        for g in rows:
            if "auc" in g:
                console.print(f"  {g['group']:>20}: n={g['n']} AUC={g['auc']:.3f} Brier={g['brier']:.4f} "
                              f"ECE={g['ece']:.4f}", highlight=False)
            else:
                console.print(f"  {g['group']:>20}: n={g['n']} ({g['note']})", highlight=False)
    if report is not None:
        console.print(f"report → {report}")
