"""Release workflow of published tables: draft → checked (disclosure report) → published.

The platform stores a :class:`Release` (``to_dict`` / ``from_dict``), shows its
:class:`DisclosureReport`, and records who checked and published it (audited). This module holds the
rules; it imports no Django.

* ``check()`` re-verifies every table independently of how it was protected: no released value in
  1 .. threshold-1, every primary cell suppressed, rounding to the base, the LP audit of every
  suppressed cell, the same suppression pattern in every period, and the standard version stated.
  A failed check raises :class:`~lantern.errors.LanternError` listing every problem; the release stays
  a draft.
* ``publish(out)`` writes the files (temporary file, then rename) only for a checked release whose
  tables have not changed since the check (a fingerprint of the released cells is compared).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lantern.errors import LanternError, Problem
from lantern.statistics.sdc import PRIMARY, PUBLISHED, audit_suppression, required_widths
from lantern.statistics.tables import StatTable

DRAFT, CHECKED, PUBLISHED_STATE = "draft", "checked", "published"


@dataclass
class TableCheck:
    table_id: str
    cells: int
    primary: int
    secondary: int
    min_interval_width: float | None
    problems: list[str] = field(default_factory=list)
    #: secondary suppression that produced the pattern (``greedy`` / ``optimal``) and what the MILP did
    method: str = "greedy"
    note: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class DisclosureReport:
    """What the check found, table by table (shown to the analyst before publication)."""

    tables: list[TableCheck]
    threshold: int
    rounding: int
    protection: int
    standard_versions: list[str]
    checked_at: str

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "threshold": self.threshold,
            "rounding": self.rounding,
            "protection": self.protection,
            "standard_versions": self.standard_versions,
            "checked_at": self.checked_at,
            "tables": [
                {
                    "table_id": t.table_id, "cells": t.cells, "primary": t.primary, "secondary": t.secondary,
                    "min_interval_width": t.min_interval_width, "problems": t.problems,
                    "method": t.method, "note": t.note,
                }
                for t in self.tables
            ],
        }


def check_table(table: StatTable) -> TableCheck:
    """Verify one table's disclosure control from scratch (see the module notes)."""
    p = table.protected
    rules = p.rules
    problems: list[str] = []
    released = p.released
    status = p.status
    counts = p.counts
    if not rules.enabled:
        problems.append("disclosure control is off (--sdc none): not publishable")
        return TableCheck(table.id, counts.size, 0, 0, None, problems)
    shown = released[~np.isnan(released)]
    bad = shown[(shown > 0) & (shown < rules.threshold)]
    if bad.size:
        problems.append(f"{bad.size} released value(s) in 1..{rules.threshold - 1}")
    primary_needed = (counts > 0) & (counts < rules.threshold)
    if (primary_needed & (status == PUBLISHED)).any():
        problems.append("a cell under the threshold is published")
    if (shown % rules.rounding != 0).any():
        problems.append(f"a released value is not a multiple of {rules.rounding}")
    suppressed = status != PUBLISHED
    width = None
    if suppressed.any():
        intervals = audit_suppression(counts, suppressed, status == PRIMARY, rules)
        w = intervals[:, 1] - intervals[:, 0]
        width = float(np.min(w))
        short = np.flatnonzero(suppressed.ravel())[w < rules.protection - 1e-9]
        if short.size:
            need = required_widths(counts, status == PRIMARY, rules, short)
            bad_cells = int((w[w < rules.protection - 1e-9] < need - 1e-9).sum())
            if bad_cells:
                problems.append(
                    f"{bad_cells} suppressed cell(s) can be bounded within less than {rules.protection} from the "
                    "published cells and margins"
                )
    if "period" in table.dims:
        axis = table.dims.index("period")
        n = counts.shape[axis]
        body = np.take(suppressed, range(n - 1), axis=axis)
        if not (body == np.take(body, [0], axis=axis)).all():
            problems.append("the suppression pattern differs between periods")
    if not table.standard_version:
        problems.append("the table does not state its standard version")
    return TableCheck(
        table.id, int(counts.size), int((status == PRIMARY).sum()), int((suppressed & (status != PRIMARY)).sum()), width, problems,
        p.method, p.note,
    )


def check_linked(tables: list[StatTable]) -> list[tuple[str, str]]:
    """Linked tables of one release, read together, must not reveal a suppressed cell.

    Tables counting the same persons must suppress their common margins alike (else recoverable), and
    the joint LP audit of each family — shared margins, plus "the children add up to the parent" for
    nested classifications (region within country, age bands within coarser bands) — must leave every
    suppressed cell an interval as wide as the single-table audit requires.
    """
    import itertools

    from lantern.statistics.tables import _family, _shared_cells

    problems = []
    for a, b in itertools.combinations(tables, 2):
        if _family(a.spec) != _family(b.spec) or not (a.protected.rules.enabled and b.protected.rules.enabled):
            continue
        shared = _shared_cells(a, b)
        if shared is None:
            continue
        ia, ib = shared
        sa = a.protected.status.ravel()[ia] != PUBLISHED
        sb = b.protected.status.ravel()[ib] != PUBLISHED
        if (sa != sb).any():
            problems.append((b.id, f"{int((sa != sb).sum())} margin cell(s) shared with table {a.id} are suppressed in one "
                                   "table and published in the other"))
    from lantern.statistics.tables import linked_families

    for fam in linked_families(tables):
        for x, y, child, parent in fam.unsupported:
            problems.append((tables[x].id, f"table {tables[x].id} (by {child}) nests in table {tables[y].id} (by {parent}) "
                                           "but they were computed apart, so their nesting is unknown: compute them "
                                           "with one spec (lantern.statistics.compute_tables) to protect them together"))
    if not problems and tables:
        from lantern.statistics.tables import joint_failures

        by_table: dict[int, int] = {}
        for t, _cell in joint_failures(tables, tables[0].protected.rules):
            by_table[t] = by_table.get(t, 0) + 1
        for t, n in by_table.items():
            problems.append((tables[t].id, f"{n} suppressed cell(s) can be bounded too narrowly when linked tables are read together"))
    return problems


def _fingerprint(tables: list[StatTable]) -> str:
    h = hashlib.sha256()
    for t in tables:
        h.update(t.id.encode())
        h.update(t.frame().to_csv(index=False).encode())
    return h.hexdigest()


@dataclass
class Release:
    """A set of tables to be published together."""

    release_id: str
    title: str
    tables: list[StatTable]
    state: str = DRAFT
    report: DisclosureReport | None = None
    fingerprint: str | None = None
    published_files: list[str] = field(default_factory=list)
    history: list[dict[str, str]] = field(default_factory=list)

    def _log(self, action: str, actor: str | None) -> None:
        self.history.append({"action": action, "actor": actor or "", "at": dt.datetime.now(dt.UTC).isoformat()})

    def check(self, *, actor: str | None = None) -> DisclosureReport:
        """Run the disclosure checks; on success the release becomes ``checked``."""
        if self.state == PUBLISHED_STATE:
            raise LanternError("a published release cannot be checked again; make a new release", record=self.release_id)
        if not self.tables:
            raise LanternError("a release needs at least one table", record=self.release_id)
        checks = [check_table(t) for t in self.tables]
        for problem in check_linked(self.tables):
            next(c for c in checks if c.table_id == problem[0]).problems.append(problem[1])
        rules = self.tables[0].protected.rules
        self.report = DisclosureReport(
            checks, rules.threshold, rules.rounding, rules.protection,
            sorted({t.standard_version for t in self.tables}), dt.datetime.now(dt.UTC).isoformat(),
        )
        if not self.report.ok:
            self.state = DRAFT
            self._log("check failed", actor)
            raise LanternError(
                [Problem(reason, record=f"release {self.release_id}, table {c.table_id}") for c in checks for reason in c.problems]
            )
        self.state = CHECKED
        self.fingerprint = _fingerprint(self.tables)
        self._log("checked", actor)
        return self.report

    def publish(self, out_dir: str | Path, *, formats: tuple[str, ...] = ("csv", "xlsx"), actor: str | None = None) -> list[Path]:
        """Write the release's files; only a checked, unchanged release is published."""
        from lantern.statistics.export import atomic_path, write_tables

        if self.state != CHECKED:
            raise LanternError(f"only a checked release can be published (this one is {self.state})", record=self.release_id)
        if _fingerprint(self.tables) != self.fingerprint:
            self.state = DRAFT
            raise LanternError("the tables changed after the check; check again", record=self.release_id)
        out_dir = Path(out_dir)
        written = []
        for fmt in formats:
            written.append(write_tables(self.tables, out_dir / f"{self.release_id}.{fmt}"))
        with atomic_path(out_dir / f"{self.release_id}.disclosure.json") as tmp:
            tmp.write_text(json.dumps(self.report.as_dict() if self.report else {}, indent=2))
        written.append(out_dir / f"{self.release_id}.disclosure.json")
        self.published_files = [str(p) for p in written]
        self.state = PUBLISHED_STATE
        self._log("published", actor)
        return written

    def to_dict(self) -> dict[str, Any]:
        """State for storage by the platform (the tables themselves are stored as their published frames)."""
        return {
            "release_id": self.release_id, "title": self.title, "state": self.state,
            "report": self.report.as_dict() if self.report else None, "fingerprint": self.fingerprint,
            "published_files": self.published_files, "history": self.history,
            "tables": [t.id for t in self.tables],
        }
