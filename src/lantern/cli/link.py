"""`lantern link`: link agency lists into people and capture histories; `lantern link encode`.

``lantern link LIST … --out DIR`` is the default action (the explicit spelling ``lantern link run``
works too); ``lantern link encode LIST --secret-file F --out ENCODED`` encodes one list locally
for the privacy-preserving mode.
"""

from __future__ import annotations

from pathlib import Path

import typer
from typer.core import TyperGroup


class _RunByDefault(TyperGroup):
    """A group whose first argument, when it is not a sub-command, goes to ``run``."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_RunByDefault,
    help="Link agency lists into people and capture histories (plaintext or Bloom-filter encodings).\n\n"
    "lantern link LIST.csv|parquet … --out DIR   (same as 'lantern link run …')\n\n"
    "lantern link encode LIST --secret-file F --out LIST.enc",
    no_args_is_help=True,
)


def _columns(columns_file, id_column, list_column, given, family, dob, sex, citizenship, extra):
    from dataclasses import replace

    from lantern.linkage.io import ColumnMap

    cmap = ColumnMap.from_yaml(columns_file) if columns_file else ColumnMap()
    flags = {"record_id": id_column, "list": list_column, "given_name": given, "family_name": family,
             "date_of_birth": dob, "sex": sex, "citizenship": citizenship}
    cmap = replace(cmap, **{k: v for k, v in flags.items() if v})
    if extra:
        cmap = replace(cmap, extra=tuple(extra))
    return cmap


_ID = typer.Option(None, "--id-column", help="Column holding the record id (default record_id).")
_LISTCOL = typer.Option(None, "--list-column", help="Column holding the list key (default list; else the file name).")
_GIVEN = typer.Option(None, "--given-name-column", help="Column of given names (default given_name).")
_FAMILY = typer.Option(None, "--family-name-column", help="Column of family names (default family_name).")
_DOB = typer.Option(None, "--dob-column", help="Column of dates of birth (default date_of_birth).")
_SEX = typer.Option(None, "--sex-column", help="Column of sex codes (default sex, optional).")
_CIT = typer.Option(None, "--citizenship-column", help="Column of citizenship codes (default citizenship, optional).")
_EXTRA = typer.Option(None, "--extra-column", help="Further column compared as text (repeatable).")
_COLUMNS = typer.Option(None, "--columns", help="YAML mapping 'role: column' (roles: record_id, list, given_name, "
                        "family_name, date_of_birth, sex, citizenship, extra).")


@app.command("run")
def run(
    lists: list[Path] = typer.Argument(..., help="Agency lists (.csv or .parquet), or encoded lists with --encoded."),
    out: Path = typer.Option(..., "--out", help="Output directory."),
    engine: str = typer.Option("duckdb", "--engine", help="duckdb (embedded) or spark (local mode unless configured)."),
    threshold: float = typer.Option(None, "--threshold", help="Match probability to accept a pair (default 0.5, the Bayes decision point)."),
    encoded: bool = typer.Option(False, "--encoded", help="The lists are Bloom-filter encodings from 'lantern link encode'."),
    secret_file: Path = typer.Option(None, "--secret-file", help="With --encoded: check the lists were encoded with this secret."),
    report: Path = typer.Option(None, "--report", help="Also write an HTML report here."),
    seed: int = typer.Option(42, "--seed", help="Seed for the random sampling of u probabilities."),
    columns: Path = _COLUMNS,
    id_column: str = _ID,
    list_column: str = _LISTCOL,
    given_name_column: str = _GIVEN,
    family_name_column: str = _FAMILY,
    dob_column: str = _DOB,
    sex_column: str = _SEX,
    citizenship_column: str = _CIT,
    extra_column: list[str] = _EXTRA,
) -> None:
    """Link and deduplicate LISTS; write clusters.csv, histories.csv, pairs.parquet, model.json, summary.json."""
    from rich.table import Table

    from lantern.cli._common import console, progress_bar
    from lantern.errors import LanternError
    from lantern.linkage.pipeline import link_lists, write_outputs

    mapping_given = any([columns, id_column, list_column, given_name_column, family_name_column, dob_column,
                         sex_column, citizenship_column, extra_column])
    if encoded and mapping_given:
        raise LanternError("column mappings apply when encoding, not to encoded lists", field="--columns")
    cmap = None if encoded else _columns(columns, id_column, list_column, given_name_column, family_name_column,
                                         dob_column, sex_column, citizenship_column, extra_column)
    secret = None
    if secret_file is not None:
        from lantern.linkage.bloom import read_secret

        secret = read_secret(secret_file)
    steps = ["reading lists", "normalising names and dates", f"training and scoring on {engine}", "writing outputs"]
    with progress_bar() as progress:
        task = progress.add_task("linking", total=len(steps))

        def say(msg: str) -> None:
            progress.update(task, description=msg, completed=steps.index(msg) if msg in steps else None)

        result = link_lists(lists, columns=cmap, threshold=threshold, engine=engine, encoded=encoded, secret=secret,
                            seed=seed, progress=say)
        say("writing outputs")
        summary = write_outputs(result, out, report=report)
        progress.update(task, completed=len(steps))
    console.print(f"{summary['records']:,} records from {len(summary['lists'])} lists → [bold]{summary['people']:,}[/] people "
                  f"at threshold {summary['threshold']} ({'encoded' if encoded else 'plaintext'}, {engine}).")
    table = Table(title="How the result moves with the threshold")
    for col in ("threshold", "people", "accepted pairs", "est. precision", "est. recall", "estimate"):
        table.add_column(col)
    for row in summary["threshold_band"]:
        est = f"{row['estimate']:,.0f}" if row.get("estimate") is not None else row.get("estimate_note", "–")
        table.add_row(str(row["threshold"]), f"{row['people']:,}", f"{row['accepted_pairs']:,}",
                      f"{row['estimated_precision'] or 0:.4f}", f"{row['estimated_recall'] or 0:.4f}", str(est))
    console.print(table)
    for warning in summary["warnings"]:
        console.print(f"[yellow]Warning:[/] {warning}")
    console.print(f"Wrote {out}/clusters.csv, histories.csv, pairs.parquet, model.json, summary.json"
                  + (f" and {report}" if report else ""))


@app.command("encode")
def encode(
    list_path: Path = typer.Argument(..., metavar="LIST", help="One agency list (.csv or .parquet)."),
    secret_file: Path = typer.Option(None, "--secret-file", help="File holding the secret shared by the agencies (≥ 16 bytes)."),
    out: Path = typer.Option(..., "--out", help="Encoded list to write (Parquet; e.g. LIST.enc)."),
    columns: Path = _COLUMNS,
    id_column: str = _ID,
    list_column: str = _LISTCOL,
    given_name_column: str = _GIVEN,
    family_name_column: str = _FAMILY,
    dob_column: str = _DOB,
    sex_column: str = _SEX,
    citizenship_column: str = _CIT,
    extra_column: list[str] = _EXTRA,
) -> None:
    """Encode LIST into keyed, hardened Bloom filters and tokens (run this at the agency)."""
    from lantern.cli._common import console, progress_bar
    from lantern.linkage.bloom import encode_list, read_secret

    secret = read_secret(secret_file)
    cmap = _columns(columns, id_column, list_column, given_name_column, family_name_column, dob_column, sex_column,
                    citizenship_column, extra_column)
    with progress_bar() as progress:
        task = progress.add_task("encoding", total=1)
        path = encode_list(list_path, out, secret=secret, columns=cmap)
        progress.update(task, completed=1)
    console.print(f"Wrote {path} (no plaintext identifiers; share it with the linkage unit, never the secret).")
