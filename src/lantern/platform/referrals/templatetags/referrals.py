"""The subject page's referral panel (one line in ``web/subject_detail.html``) and the header's link."""

from __future__ import annotations

from django import template

from lantern.platform.referrals import selectors
from lantern.platform.roles import has_capability

register = template.Library()


@register.filter
def uses_referrals(user) -> bool:
    """Whether the header shows the referrals link: ``{% if user|uses_referrals %}``."""
    return has_capability(user, "referral.send") or has_capability(user, "referral.receive")


@register.inclusion_tag("referrals/_subject_referrals.html", takes_context=True)
def subject_referrals(context, subject):
    """The subject's referrals sent or received by the user's agency, and "Refer" for the owning agency."""
    user = context["request"].user
    return {"subject": subject,
            "referrals": list(selectors.referrals_for_subject(user=user, subject=subject)),
            "can_refer": has_capability(user, "referral.send") and subject.agency_id == user.agency_id,
            "shown": uses_referrals(user)}
