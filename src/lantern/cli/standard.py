"""`lantern standard` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="standard commands.", no_args_is_help=True)
