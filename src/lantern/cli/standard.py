"""`lantern standard` commands: validate, export and show the data standard."""

from __future__ import annotations

from pathlib import Path

import typer

from lantern.cli._common import console

app = typer.Typer(
    help="The data standard: validate it, export it (JSON Schema, XLSForm, CSV, HTML), show items.",
    no_args_is_help=True,
)


def _load(version: str | None, path: Path | None):
    from lantern.standard import load_standard
    from lantern.standard.validate import check

    if path is not None:
        check(path)  # a draft folder is exported only when valid
        return load_standard(path=path)
    return load_standard(version)


@app.command("validate")
def validate(
    path: Path | None = typer.Option(None, "--path", help="Folder of YAML files (default: the packaged version)."),
    version: str | None = typer.Option(None, "--version", help="Packaged version to check, e.g. 1.0."),
) -> None:
    """Check ids, references, labels (en + ro), required fields and the version; list every problem."""
    from lantern.standard import load_standard
    from lantern.standard.validate import check

    check(path, version=version)
    std = load_standard(path=path) if path is not None else load_standard(version)
    console.print(
        f"[green]valid:[/] standard {std.version} ({std.path}) — {len(std.dimensions)} dimensions, "
        f"{len(std.indicators)} indicators, {len(std.factors)} factors, {len(std.definitions)} "
        f"definitions, {len(std.code_lists)} code lists, {len(std.countries)} countries, "
        f"{len(std.assessment_columns())} flat columns; other documents: "
        f"{', '.join(sorted(set(std.documents) - _KNOWN)) or 'none'}",
        highlight=False,
    )


_KNOWN = {"standard", "indicators", "factors", "definitions", "code_lists", "countries", "languages",
          "mappings", "questionnaire"}


@app.command("export")
def export(
    fmt: str = typer.Option(..., "--format", "-f", help="json-schema | xlsform | csv | html"),
    out: Path = typer.Option(..., "--out", "-o", help="File to write (written atomically)."),
    version: str | None = typer.Option(None, "--version", help="Standard version, e.g. 1.0 (default: current)."),
    path: Path | None = typer.Option(None, "--path", help="Export a draft folder instead (validated first)."),
    lang: str = typer.Option("en", "--lang", help="Page language for html (en | ro)."),
) -> None:
    """Write the standard as a JSON Schema, an XLSForm (.xlsx), a CSV data dictionary or an HTML page."""
    from lantern.errors import ValidationError
    from lantern.standard import export as ex

    if fmt not in ex.FORMATS:
        raise ValidationError(f"unknown format {fmt!r}; one of {', '.join(ex.FORMATS)}", field="--format")
    std = _load(version, path)
    written = ex.write_html(std, out, lang) if fmt == "html" else ex.export(std, fmt, out)
    console.print(f"wrote {fmt} of standard {std.version} to {written}", highlight=False)


@app.command("show")
def show(
    item_id: str | None = typer.Argument(None, help="An id: indicator, factor, dimension, definition, code list, list.code, country."),
    version: str | None = typer.Option(None, "--version", help="Standard version (default: current)."),
    lang: str = typer.Option("en", "--lang", help="Label language (en | ro)."),
) -> None:
    """Summarise the standard, or show one item."""
    from dataclasses import asdict, is_dataclass

    from rich.table import Table

    from lantern.standard import CodeList, load_standard

    std = load_standard(version)
    if item_id is None:
        table = Table(title=f"Lantern data standard {std.version}")
        table.add_column("part")
        table.add_column("count", justify="right")
        table.add_column("ids (first)")
        parts = [
            ("dimensions", std.dimensions), ("indicators", std.indicators), ("factors", std.factors),
            ("definitions", std.definitions), ("forced-labour indicators", std.forced_labour_indicators),
        ]
        for name, coll in parts:
            table.add_row(name, str(len(coll)), ", ".join(coll.ids()[:4]) + (" …" if len(coll) > 4 else ""))
        for name in std.code_list_names():
            cl = std.code_list(name)
            table.add_row(f"code list {name}", str(len(cl)), ", ".join(cl.ids()[:4]) + (" …" if len(cl) > 4 else ""))
        table.add_row("flat columns", str(len(std.assessment_columns())), "")
        table.add_row("mappings", str(len(std.mapping_names())), ", ".join(std.mapping_names()))
        console.print(table)
        return
    item = std.item(item_id)
    if isinstance(item, CodeList):
        table = Table(title=f"code list {item.name}: {item.label(lang)}")
        table.add_column("code")
        table.add_column("label")
        table.add_column("description")
        for code in item:
            table.add_row(code.id, code.label(lang), code.description)
        console.print(table)
        return
    data = asdict(item) if is_dataclass(item) else dict(vars(item))
    table = Table(title=f"{type(item).__name__} {item.id}", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    for key, value in data.items():
        if isinstance(value, dict):
            value = "; ".join(f"{k}: {v}" for k, v in value.items())
        elif isinstance(value, list | tuple):
            value = ", ".join(map(str, value))
        table.add_row(key, str(value))
    console.print(table)
