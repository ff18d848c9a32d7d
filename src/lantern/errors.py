"""Errors shared by the analytic core, the platform and the command line.

A :class:`LanternError` carries one or more :class:`Problem` rows, each naming the record, the field
and the reason, so every edge (web form, API, CLI) can show the user exactly what is wrong without a
traceback. The command line exits with status 2 on a ``LanternError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input.

    Parameters
    ----------
    reason : str
        Plain-language explanation of what is wrong and, where possible, what to do.
    field : str, optional
        The field, column, key or option at fault.
    record : str, optional
        The record, row, file or object at fault (never a person's identifying data).
    """

    reason: str
    field: str | None = None
    record: str | None = None

    def __str__(self) -> str:
        where = ", ".join(
            part for part in (self.record and f"{self.record}", self.field and f"field '{self.field}'") if part
        )
        return f"{where}: {self.reason}" if where else self.reason


@dataclass
class LanternError(Exception):
    """Input that Lantern refuses, with every problem found (not only the first)."""

    problems: list[Problem] = field(default_factory=list)

    def __init__(self, reason: str | list[Problem], *, field: str | None = None, record: str | None = None):
        if isinstance(reason, list):
            self.problems = list(reason)
        else:
            self.problems = [Problem(reason=reason, field=field, record=record)]
        super().__init__(str(self))

    def __str__(self) -> str:
        return "; ".join(str(p) for p in self.problems)


class ValidationError(LanternError):
    """Input that does not satisfy the data standard or a documented file format."""


class EstimationError(LanternError):
    """An estimate that cannot be produced from the data given (and why)."""
