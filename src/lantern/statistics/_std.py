"""Access to the data standard for the statistics (membership flags, code lists, mappings).

The standard (``lantern.standard``) is the only source of truth; the statistics ask it for the EU
member states (who is a TCN), code lists and the CTDC / Eurostat mappings. While the standard package
is not importable (it is developed in parallel), :func:`eu_codes` falls back to the EU-27 list below
and :func:`mapping` to an empty mapping (codes are exported unchanged) — a documented stop-gap.
"""

from __future__ import annotations

import functools
from typing import Any

from lantern.errors import LanternError

# EU-27 (since 1 February 2020); used only when lantern.standard cannot be loaded.
_EU27_FALLBACK = frozenset(
    ["AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "HU"]
)


@functools.lru_cache(maxsize=8)
def load(version: str | None = None) -> Any | None:
    """The loaded standard, or ``None`` if it cannot be imported yet."""
    try:
        from lantern.standard import load_standard  # type: ignore[attr-defined]
    except ImportError:
        return None
    try:
        return load_standard(version)
    except (LanternError, FileNotFoundError, AttributeError, KeyError):
        return None


@functools.lru_cache(maxsize=8)
def eu_codes(version: str | None = None) -> frozenset[str]:
    """ISO alpha-2 codes of EU member states (citizens of these are not TCNs)."""
    std = load(version)
    if std is not None:
        try:
            codes = frozenset(c.alpha_2 for c in std.countries if getattr(c, "eu", False))
            if codes:
                return codes
        except (AttributeError, TypeError):
            pass
    return _EU27_FALLBACK


def mapping(name: str, version: str | None = None) -> dict[str, Any]:
    """A mapping of the standard (e.g. ``"eurostat"``, ``"ctdc"``) as a plain dict, or ``{}``."""
    std = load(version)
    if std is None or not hasattr(std, "mapping"):
        return {}
    try:
        found = std.mapping(name)
    except (LanternError, KeyError, ValueError):
        return {}
    if hasattr(found, "items"):
        return dict(found.items())
    return dict(found) if found else {}


def code_ids(name: str, version: str | None = None) -> list[str] | None:
    """Ids of a code list of the standard, or ``None`` when unavailable."""
    std = load(version)
    if std is None:
        return None
    try:
        return list(std.code_list(name).ids())
    except (LanternError, KeyError, AttributeError, TypeError):
        return None


#: Eurostat crim_thb groups of the forms of exploitation (sexual / labour / other). Used when the
#: standard carries no ``eurostat`` mapping for ``exploitation_form``.
_EUROSTAT_GROUP_FALLBACK = {
    "sexual_exploitation": "SEX",
    "forced_labour": "LAB",
    "forced_begging": "LAB",
    "servitude": "LAB",
    "slavery": "LAB",
    "domestic_servitude": "LAB",
}


def eurostat_exploitation_group(form: str, version: str | None = None) -> str:
    """Eurostat's group (``SEX``, ``LAB`` or ``OTH``) of a form of exploitation id."""
    found = mapping("eurostat", version)
    table = found.get("exploitation_form") if isinstance(found, dict) else None
    if isinstance(table, dict) and form in table:
        value = str(table[form]).upper()
        if value.startswith("SEX"):
            return "SEX"
        if value.startswith("LAB") or "LABOUR" in value:
            return "LAB"
        return "OTH"
    if form in _EUROSTAT_GROUP_FALLBACK:
        return _EUROSTAT_GROUP_FALLBACK[form]
    if "sexual" in form:
        return "SEX"
    return "OTH"
