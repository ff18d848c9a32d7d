"""The parts of the data standard the simulator needs, in one small read-only view.

Every indicator id, factor id and code the simulator writes comes from :mod:`lantern.standard`,
so the generated interviews validate against the standard.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class StandardView:
    """Ids and code lists of one version of the data standard."""

    version: str
    dimensions: tuple[tuple[str, str], ...]  # (id, role)
    indicators: tuple[tuple[str, str, dict[str, str]], ...]  # (id, dimension, grade per list)
    factors: tuple[tuple[str, str, str], ...]  # (id, level, kind)
    code_lists: dict[str, tuple[str, ...]]
    assessment_columns: tuple[str, ...]
    eu: frozenset[str]

    @property
    def indicator_ids(self) -> list[str]:
        return [i for i, _, _ in self.indicators]

    @property
    def factor_ids(self) -> list[str]:
        return [f for f, _, _ in self.factors]

    def codes(self, name: str) -> tuple[str, ...]:
        return self.code_lists[name]


@lru_cache(maxsize=4)
def standard_view(version: str | None = None) -> StandardView:
    """A view of :func:`lantern.standard.load_standard` (current version by default)."""
    from lantern.standard import load_standard

    std = load_standard(version)
    dims = tuple((d.id, d.role) for d in std.dimensions if not d.retired)
    inds = tuple((i.id, i.dimension, dict(i.grades)) for i in std.indicators if not i.retired)
    facs = tuple((f.id, f.level, f.kind) for f in std.factors if not f.retired)
    codes = {name: tuple(c.id for c in std.code_list(name).items if not getattr(c, "retired", False))
             for name in std.code_list_names()}
    cols = tuple(c.name for c in std.assessment_columns())
    eu = frozenset(c.id for c in std.countries if c.eu)
    return StandardView(str(std.version), dims, inds, facs, codes, cols, eu)
