"""Reading the audit trail: an auditor sees the rows of their own agency only."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from lantern.platform.audit.models import AuditEvent
from lantern.platform.roles import has_capability


def audit_list_for_user(*, user, action: str = "", object_ref: str = ""):
    if not has_capability(user, "audit.read"):
        raise PermissionDenied
    qs = AuditEvent.objects.filter(agency=user.agency.key)
    if action:
        qs = qs.filter(action=action)
    if object_ref:
        qs = qs.filter(object_ref=object_ref)
    return qs
