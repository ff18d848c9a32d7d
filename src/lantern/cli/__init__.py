"""The ``lantern`` command line.

Each capability has its own module in this package, defining a Typer app or command; this module only
assembles them. Heavy libraries are imported inside the commands so that ``lantern --help`` is quick.
"""

from __future__ import annotations

import os
import sys

import typer

from lantern.cli import (
    estimate,
    link,
    platform,
    retention,
    screen,
    simulate,
    standard,
    stats,
    toolkit,
)
from lantern.errors import LanternError

app = typer.Typer(
    name="lantern",
    help="Lantern: reduce the vulnerability of third-country nationals to trafficking.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

app.add_typer(standard.app, name="standard")
app.add_typer(screen.app, name="screen")
app.add_typer(stats.app, name="stats")
app.add_typer(link.app, name="link")
app.add_typer(toolkit.app, name="toolkit")
app.add_typer(retention.app, name="retention")
app.command("simulate")(simulate.simulate)
app.command("estimate")(estimate.estimate)
platform.register(app)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; a :class:`LanternError` becomes a clear message and exit status 2."""
    from lantern.cli._common import report_error

    try:
        app(args=argv, standalone_mode=True)
    except LanternError as exc:
        report_error(exc)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a user never sees a traceback
        if os.environ.get("LANTERN_DEBUG"):
            raise
        report_error(exc, unexpected=True)
        sys.exit(1)
