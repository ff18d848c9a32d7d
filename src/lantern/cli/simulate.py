"""`lantern simulate`."""

from __future__ import annotations


def simulate() -> None:
    """Generate a synthetic world (not yet built)."""
    raise SystemExit("lantern simulate is not built yet")
