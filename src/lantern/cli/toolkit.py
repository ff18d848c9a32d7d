"""`lantern toolkit`: the practitioners' toolkit as PDF or HTML, in English or Romanian."""

from __future__ import annotations

from pathlib import Path

import typer

from lantern.errors import LanternError

app = typer.Typer(help="The interventions toolkit (catalogue organised by vulnerability type and level).",
                  no_args_is_help=True)


def _check_lang(lang: str) -> None:
    if lang not in ("en", "ro"):
        raise LanternError("language must be en or ro", field="--lang")


@app.command("pdf")
def pdf(
    lang: str = typer.Option("en", "--lang", help="en or ro."),
    out: Path = typer.Option(Path("toolkit.pdf"), "--out", help="Where to write the PDF."),
) -> None:
    """Write the toolkit as a PDF (WeasyPrint)."""
    from lantern.cli._common import console
    from lantern.toolkit import toolkit_pdf

    _check_lang(lang)
    data = toolkit_pdf(lang=lang, out=out)
    console.print(f"toolkit ({lang}) → {out} ({len(data) // 1024} KiB)")


@app.command("html")
def html(
    lang: str = typer.Option("en", "--lang", help="en or ro."),
    out: Path = typer.Option(Path("toolkit.html"), "--out", help="Where to write the HTML page."),
) -> None:
    """Write the toolkit as one self-contained HTML page."""
    from lantern.cli._common import console
    from lantern.toolkit import toolkit_html
    from lantern.toolkit.render import write_atomic

    _check_lang(lang)
    write_atomic(out, toolkit_html(lang=lang))
    console.print(f"toolkit ({lang}) → {out}")
