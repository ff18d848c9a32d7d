"""`lantern screen` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="screen commands.", no_args_is_help=True)
