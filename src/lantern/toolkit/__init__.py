"""Interventions toolkit: the catalogue, matching a profile to interventions, and the toolkit document.

Analytic core (no Django). :func:`load_catalogue` reads ``interventions.yaml`` from the data standard;
:func:`match_interventions` ranks interventions for a screening result with reasons;
:func:`toolkit_html` / :func:`toolkit_pdf` render the practitioners' toolkit in English or Romanian.
"""

from __future__ import annotations

from lantern.toolkit.catalogue import (
    Catalogue,
    Intervention,
    LegalBasis,
    VulnerabilityType,
    load_catalogue,
)
from lantern.toolkit.matching import Match, Profile, match_interventions, vulnerability_types
from lantern.toolkit.render import toolkit_context, toolkit_html, toolkit_pdf

__all__ = [
    "Catalogue",
    "Intervention",
    "LegalBasis",
    "Match",
    "Profile",
    "VulnerabilityType",
    "load_catalogue",
    "match_interventions",
    "toolkit_context",
    "toolkit_html",
    "toolkit_pdf",
    "vulnerability_types",
]
