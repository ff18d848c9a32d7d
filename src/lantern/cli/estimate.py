"""`lantern estimate`."""

from __future__ import annotations


def estimate() -> None:
    """Estimate the hidden population (not yet built)."""
    raise SystemExit("lantern estimate is not built yet")
