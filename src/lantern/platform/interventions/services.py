"""Audited writes on intervention plans. Each service checks the role's capability before its transaction
(so the audit row of a refusal survives), validates everything (all problems at once, nothing saved on a
problem), writes, and appends an audit row naming the item and the fields changed — never their values."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from lantern.errors import Problem, ValidationError
from lantern.platform import vocab
from lantern.platform.audit.services import audit_record
from lantern.platform.cases.models import Assessment, Subject
from lantern.platform.cases.selectors import require
from lantern.platform.interventions.catalogue import intervention_or_none
from lantern.platform.interventions.models import PlanItem, Status

NOTE_MAX = 2000
#: a due date may be set at most this far ahead
MAX_AHEAD = dt.timedelta(days=5 * 366)
EDITABLE = ("status", "due_date", "provider", "note")


def _checked(action: str):
    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            user = kwargs["user"]
            subject = kwargs.get("subject") or kwargs["item"].subject
            require(user, "case.write", action=action, object_type="subject", object_ref=subject.ref)
            with transaction.atomic():
                return fn(*args, **kwargs)

        return wrapper

    return deco


def _date(value: Any, *, problems: list[Problem], record: str | None) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if value in (None, ""):
        problems.append(Problem("is required (YYYY-MM-DD)", field="due_date", record=record))
        return None
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        problems.append(Problem(f"{str(value)[:20]!r} is not a date (use YYYY-MM-DD)", field="due_date",
                                record=record))
        return None


def clean_item(data: Mapping[str, Any], *, item: PlanItem | None = None, subject: Subject | None = None,
               record: str | None = None) -> dict[str, Any]:
    """Validate the fields of a new item (``item`` None) or the fields given for an existing one.

    Rules: the intervention must be in the catalogue of the current standard version (it cannot be changed
    afterwards); the status one of planned, in_progress, done, cancelled; a due date that is set or changed
    must be a real date, not before today and at most five years ahead (an unchanged due date may have
    passed: the item is then overdue); the responsible agency type a code of the standard's ``agency_type``
    list (or empty); the note at most 2,000 characters; ``source_assessment`` an interview of this subject.
    Raises ``ValidationError`` with every problem.
    """
    problems: list[Problem] = []
    unknown = sorted(set(data) - {"intervention", "source_assessment", *EDITABLE})
    for key in unknown:
        problems.append(Problem("is not a field of a plan item", field=str(key)[:40], record=record))
    out: dict[str, Any] = {}
    today = timezone.localdate()
    if item is None:
        iid = str(data.get("intervention") or "").strip()
        if not iid:
            problems.append(Problem("is required: an intervention id of the catalogue", field="intervention",
                                    record=record))
        elif intervention_or_none(iid) is None:
            problems.append(Problem(f"{iid[:80]!r} is not an intervention of the catalogue of standard "
                                    f"{vocab.current_version()}", field="intervention", record=record))
        else:
            out["intervention"] = iid
            out["standard_version"] = vocab.current_version()
        ref = str(data.get("source_assessment") or "").strip()
        if ref:
            source = Assessment.objects.filter(ref=ref, subject=subject).first() if subject else None
            if source is None:
                problems.append(Problem("is not an interview of this subject", field="source_assessment",
                                        record=record))
            out["source_assessment"] = source
    elif "intervention" in data and str(data["intervention"]) != item.intervention:
        problems.append(Problem("cannot be changed: remove the item and add another", field="intervention",
                                record=record))
    if item is None or "status" in data:
        status = str(data.get("status") or (Status.PLANNED if item is None else "")).strip()
        if status not in Status.values:
            problems.append(Problem(f"must be one of {', '.join(Status.values)}", field="status", record=record))
        else:
            out["status"] = status
    if item is None or "due_date" in data:
        due = _date(data.get("due_date"), problems=problems, record=record)
        if due is not None and (item is None or due != item.due_date):
            if due < today:
                problems.append(Problem(f"{due.isoformat()} is in the past: a due date is today or later",
                                        field="due_date", record=record))
            elif due > today + MAX_AHEAD:
                problems.append(Problem("is more than five years ahead", field="due_date", record=record))
        if due is not None:
            out["due_date"] = due
    if item is None or "provider" in data:
        provider = str(data.get("provider") or "").strip()
        if provider and not vocab.in_code_list("agency_type", provider):
            problems.append(Problem(f"{provider[:40]!r} is not a code of the list 'agency_type'", field="provider",
                                    record=record))
        out["provider"] = provider
    if item is None or "note" in data:
        note = str(data.get("note") or "")
        if len(note) > NOTE_MAX:
            problems.append(Problem(f"is longer than {NOTE_MAX} characters", field="note", record=record))
        out["note"] = note
    if problems:
        raise ValidationError(problems)
    return out


@_checked("plan.add")
def plan_item_add(*, user, subject: Subject, data: Mapping[str, Any]) -> PlanItem:
    """Add an item to a subject's plan (a subject the user may write to: own agency or granted)."""
    cleaned = clean_item(data, subject=subject)
    now = timezone.now()
    item = PlanItem.objects.create(subject=subject, agency_id=user.agency_id, created_by=user, created_at=now,
                                   updated_at=now, **cleaned)
    audit_record(actor=user, action="plan.add", object_type="subject", object_ref=subject.ref,
                 detail=f"item={item.pk}")
    return item


def _own(user, item: PlanItem) -> None:
    if item.agency_id != user.agency_id:  # another agency's item: exactly like a missing one
        raise Http404("No such plan item")


@_checked("plan.update")
def plan_item_update(*, user, item: PlanItem, data: Mapping[str, Any]) -> PlanItem:
    """Change the status, due date, responsible agency type or note of an item of the user's agency."""
    _own(user, item)
    cleaned = clean_item(data, item=item)
    changed = [k for k, v in cleaned.items() if getattr(item, k) != v]
    for k in changed:
        setattr(item, k, cleaned[k])
    if changed:
        item.updated_at = timezone.now()
        item.save(update_fields=[*changed, "updated_at"])
    audit_record(actor=user, action="plan.update", object_type="subject", object_ref=item.subject.ref,
                 detail=f"item={item.pk} fields={','.join(changed) or '-'}")
    return item


@_checked("plan.remove")
def plan_item_remove(*, user, item: PlanItem) -> None:
    """Remove an item of the user's agency from the plan."""
    _own(user, item)
    pk, ref = item.pk, item.subject.ref
    item.delete()
    audit_record(actor=user, action="plan.remove", object_type="subject", object_ref=ref, detail=f"item={pk}")
