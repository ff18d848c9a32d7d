"""`lantern link` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="link commands.", no_args_is_help=True)
