"""Platform commands: `lantern demo`, `lantern serve`, `lantern token create`."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the platform commands to the main app."""
