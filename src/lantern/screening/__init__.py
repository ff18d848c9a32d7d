"""Screening: ILO–EC indicator rules, the IOM vulnerability profile and an explained risk score.

Analytic core (no Django). Batch: :func:`screen_batch`; one assessment with explanations:
:func:`screen_assessment`; a fitted, calibrated logistic model: :class:`RiskModel`; evaluation on
labelled (synthetic) data: :func:`evaluate`. Validated on synthetic data only until an agency
validates it on its own data.
"""

from __future__ import annotations

from lantern.screening.batch import screen_batch
from lantern.screening.guard import assert_no_protected
from lantern.screening.single import ScreeningResult, screen_assessment
from lantern.screening.spec import ScreeningSpec, spec_for

__all__ = [
    "ScreeningResult",
    "ScreeningSpec",
    "assert_no_protected",
    "screen_assessment",
    "screen_batch",
    "spec_for",
]
