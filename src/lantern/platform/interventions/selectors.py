"""Scoped reads of intervention plans. A plan item is visible with its subject (the owning agency and agencies
holding an active grant); an item the user may not see — or, for writes, one added by another agency —
raises ``Http404`` exactly like a missing one."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from lantern.platform.audit.models import Outcome
from lantern.platform.audit.services import audit_record
from lantern.platform.cases.models import Subject
from lantern.platform.cases.selectors import require, subjects_visible_to
from lantern.platform.interventions.models import OPEN_STATUSES, PlanItem


def plan_for_subject(*, user, subject: Subject) -> QuerySet[PlanItem]:
    """The items of a subject the user can already see, by due date."""
    require(user, "case.read", action="plan.read", object_type="subject", object_ref=subject.ref)
    return subject.plan_items.select_related("agency", "created_by", "source_assessment").order_by("due_date", "id")


def plan_item_get_for_user(*, user, subject: Subject, item_id: int, for_write: bool = False) -> PlanItem:
    """One item of this subject's plan; with ``for_write`` only an item of the user's own agency."""
    require(user, "case.write" if for_write else "case.read", action="plan.read", object_type="subject",
            object_ref=subject.ref)
    qs = PlanItem.objects.select_related("subject", "agency").filter(pk=item_id, subject=subject,
                                                                     subject__in=subjects_visible_to(user))
    if for_write:
        qs = qs.filter(agency_id=user.agency_id)
    item = qs.first()
    if item is None:
        audit_record(actor=user, action="plan.read", object_type="subject", object_ref=subject.ref,
                     outcome=Outcome.NOT_FOUND, detail=f"item={int(item_id)}")
        raise Http404("No such plan item")
    return item


def plan_summary(*, user, subject: Subject) -> dict[str, int]:
    """Counts for the subject page: items by status and overdue (one query)."""
    require(user, "case.read", action="plan.read", object_type="subject", object_ref=subject.ref)
    today = timezone.localdate()
    counts = {"total": 0, "open": 0, "overdue": 0, "done": 0}
    for status, due in subject.plan_items.values_list("status", "due_date"):
        counts["total"] += 1
        if status in OPEN_STATUSES:
            counts["open"] += 1
            counts["overdue"] += due < today
        elif status == "done":
            counts["done"] += 1
    return counts
