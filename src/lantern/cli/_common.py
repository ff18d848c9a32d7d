"""Helpers shared by the CLI modules: error display and progress bars."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from lantern.errors import LanternError

console = Console()
err_console = Console(stderr=True)


def report_error(exc: BaseException, *, unexpected: bool = False) -> None:
    """Print an error without a traceback."""
    if isinstance(exc, LanternError):
        err_console.print("[bold red]error:[/] the input was refused:")
        for problem in exc.problems:
            err_console.print(f"  - {problem}", markup=False, highlight=False)
    else:
        err_console.print(
            f"[bold red]error:[/] {type(exc).__name__}: {exc}\n"
            "(set LANTERN_DEBUG=1 to see the traceback)",
            highlight=False,
        )


@contextmanager
def progress_bar() -> Iterator[Progress]:
    """A Rich progress bar on stderr that stays quiet when stderr is not a terminal."""
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        yield progress
