"""Template tags that put the screening explanation, the suggestions and the plan summary on the ``web``
app's assessment and subject pages (one line there each)."""

from __future__ import annotations

from django import template

from lantern.errors import LanternError
from lantern.platform.interventions import selectors
from lantern.platform.interventions.catalogue import LEVEL_LABELS, explain, lang_of
from lantern.platform.roles import has_capability

register = template.Library()


@register.inclusion_tag("interventions/_explanation_block.html", takes_context=True)
def screening_explanation(context, assessment):
    """Score, level, each point's answer, deciding indicators, profile by level, unknown answers and the
    suggested interventions (with "add to plan" for users who may write) for one assessment."""
    request = context["request"]
    try:
        explanation = explain(assessment, lang=lang_of(getattr(request, "LANGUAGE_CODE", "en")))
        error = ""
    except LanternError as exc:  # e.g. an interview under a standard version the screening refuses
        explanation, error = None, "; ".join(p.reason for p in exc.problems)
    return {"explanation": explanation, "error": error, "request": request, "csrf_token": context.get("csrf_token"),
            "can_plan": has_capability(request.user, "case.write"), "subject_ref": assessment.subject.ref,
            "assessment_ref": assessment.ref}


@register.inclusion_tag("interventions/_subject_summary.html", takes_context=True)
def plan_summary(context, subject):
    """The subject page's summary: latest screening (already computed by the page) and the plan's counts."""
    request = context["request"]
    latest = None
    for _assessment, screened in context.get("assessments") or []:
        latest = screened
        break
    return {"subject": subject, "latest": latest,
            "counts": selectors.plan_summary(user=request.user, subject=subject)}


@register.filter
def risk_level(code):
    """The risk level's label in the active language: ``{{ s.risk_level|risk_level }}``."""
    return LEVEL_LABELS.get(code, code)
