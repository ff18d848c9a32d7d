"""Writing audit rows."""

from __future__ import annotations

from lantern.platform.audit.models import AuditEvent, Outcome
from lantern.platform.middleware import current_request_id


def audit_record(
    *,
    actor,
    action: str,
    object_type: str = "",
    object_ref: str = "",
    outcome: str = Outcome.OK,
    detail: str = "",
    channel: str | None = None,
) -> AuditEvent:
    """Append one audit row. ``detail`` must never carry a field value (only names or counts)."""
    request_id, request_channel = current_request_id()
    agency = getattr(getattr(actor, "agency", None), "key", "") if actor is not None else ""
    return AuditEvent.objects.create(
        actor_id=getattr(actor, "pk", None),
        actor=getattr(actor, "username", "") or "",
        agency=agency,
        action=action,
        object_type=object_type,
        object_ref=object_ref,
        outcome=outcome,
        detail=detail[:300],
        request_id=request_id,
        channel=channel or request_channel,
    )
