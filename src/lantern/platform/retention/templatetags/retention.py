"""The subject page's legal-hold panel (one line in ``web/subject_detail.html``)."""

from __future__ import annotations

from django import template

from lantern.platform.retention.models import LegalHold
from lantern.platform.roles import has_capability

register = template.Library()


@register.inclusion_tag("retention/_legal_hold.html", takes_context=True)
def legal_hold(context, subject):
    """Supervisors of the owning agency: the hold (set when, by whom; the reason) and set / lift."""
    user = context["request"].user
    shown = has_capability(user, "case.erase") and subject.agency_id == user.agency_id
    hold = LegalHold.objects.filter(subject=subject).select_related("set_by").first() if shown else None
    return {"subject": subject, "hold": hold, "shown": shown, "csrf_token": context.get("csrf_token")}
