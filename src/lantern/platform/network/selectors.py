"""Scoped reads of the network tools.

* The directory and the responsibility matrix are read by every signed-in user of an agency (``network.read``):
  caseworkers use them to find where to refer.
* An action plan is seen by the agency that owns it, by the agencies of its participating organisations (the
  organisations responsible for its actions join them) and, when the plan is marked ``network``, by every
  signed-in user. Any other plan — another country's or another agency's private plan — answers 404 exactly
  like a missing one.
"""

from __future__ import annotations

import re

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from lantern.platform.audit.models import Outcome
from lantern.platform.audit.services import audit_record
from lantern.platform.cases.selectors import require
from lantern.platform.network.models import (
    CLOSED_STATUSES,
    ActionPlan,
    Organisation,
    PlanAction,
    Responsibility,
    Visibility,
)
from lantern.platform.roles import has_capability

_REF = re.compile(r"^P-[0-9A-Z]{6,16}$")


def safe_ref(ref: str) -> str:
    return ref if _REF.match(ref or "") else "(malformed)"


def organisation_list(*, user, country: str = "", type: str = "", strand: str = "", intervention: str = "",  # noqa: A002
                      language: str = "", q: str = "") -> list[Organisation]:
    """The directory, filtered. Strand / intervention / language filters match the stored lists."""
    require(user, "network.read", action="organisation.list", object_type="organisation")
    qs = Organisation.objects.select_related("agency").order_by("country", "name")
    if country:
        qs = qs.filter(country=country)
    if type:
        qs = qs.filter(type=type)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(region__icontains=q))
    rows = list(qs)
    if intervention:
        rows = [o for o in rows if intervention in (o.interventions or [])]
    if strand:
        from lantern.platform.interventions.catalogue import catalogue

        strand_of = {i.id: i.strand for i in catalogue().interventions}
        rows = [o for o in rows if any(strand_of.get(i) == strand for i in o.interventions or [])]
    if language:
        rows = [o for o in rows if language in (o.languages or [])]
    return rows


def organisation_get(*, user, key: str) -> Organisation:
    require(user, "network.read", action="organisation.read", object_type="organisation")
    org = Organisation.objects.select_related("agency").filter(key=key).first()
    if org is None:
        raise Http404("No such organisation")
    return org


def responsibility_list(*, user, country: str = "") -> QuerySet[Responsibility]:
    require(user, "network.read", action="responsibility.list", object_type="responsibility")
    qs = Responsibility.objects.select_related("organisation")
    return qs.filter(country=country) if country else qs


def plans_visible_to(user) -> QuerySet[ActionPlan]:
    """Plans the user's agency owns or takes part in, and plans open to the whole network (no audit)."""
    if not getattr(user, "agency_id", None):
        return ActionPlan.objects.none()
    mine = ActionPlan.objects.filter(Q(owner_id=user.agency_id) | Q(participants__agency_id=user.agency_id))
    return ActionPlan.objects.filter(Q(pk__in=mine.values("pk")) | Q(visibility=Visibility.NETWORK))


def plan_list_for_user(*, user) -> QuerySet[ActionPlan]:
    require(user, "network.read", action="plan.list", object_type="plan")
    return plans_visible_to(user).select_related("owner").order_by("-period_start", "title")


def plan_get_for_user(*, user, ref: str, capability: str = "network.read") -> ActionPlan:
    """One visible plan, or Http404 (missing and not visible alike); audited as a read."""
    require(user, capability, action="plan.read", object_type="plan", object_ref=safe_ref(ref))
    plan = (plans_visible_to(user).select_related("owner", "created_by")
            .prefetch_related("participants",
                              Prefetch("actions", queryset=PlanAction.objects.select_related("responsible")),
                              "kpis__values", "notes").filter(ref=ref).first())
    if plan is None:
        audit_record(actor=user, action="plan.read", object_type="plan", object_ref=safe_ref(ref),
                     outcome=Outcome.NOT_FOUND)
        raise Http404("No such plan")
    return plan


def can_edit_plan(user, plan: ActionPlan) -> bool:
    """Coordinators of the owning agency or of a participating organisation's agency."""
    if not has_capability(user, "network.edit"):
        return False
    return plan.owner_id == user.agency_id or any(o.agency_id == user.agency_id for o in plan.participants.all())


def overdue_actions_for_user(*, user, limit: int = 50) -> list[PlanAction]:
    """Actions past their due date and not finished, of the plans the user's agency owns or takes part in."""
    if not has_capability(user, "network.read"):
        return []
    mine = ActionPlan.objects.filter(Q(owner_id=user.agency_id) | Q(participants__agency_id=user.agency_id))
    return list(PlanAction.objects.filter(plan__in=mine.values("pk"), due_date__lt=timezone.localdate())
                .exclude(status__in=CLOSED_STATUSES).select_related("plan", "responsible")
                .order_by("due_date", "id")[:limit])
