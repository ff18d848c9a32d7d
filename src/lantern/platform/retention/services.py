"""Retention: the policy, legal holds, the cases due for erasure and the erasure job.

**Last activity** of a case (a subject) is the latest of: the subject's creation; an assessment saved or
corrected; the identity written; a consent recorded or withdrawn; a journey edit (the audit trail's
``journey.update`` rows: legs carry no timestamp); a referral sent, answered or ended; a plan item changed.
Reading a case is not activity (opening a file must not keep it forever), and neither is setting or lifting a
legal hold. A case is **due** on ``last activity's date + policy days`` and on every day after.

A due case is **skipped and reported**, never erased, while it has a legal hold, or while a referral of it
is accepted and the access grant it created for the receiving agency is still active (that agency is working
with the person; the owning agency closes or withdraws the referral first, or the grant expires). Otherwise
``retention_apply`` erases it in one transaction of its own: open referrals are withdrawn and active access
grants revoked first (audited, so that the other agencies' trails say why the case went), then the case is
erased through ``cases.services.subject_erase_records``, like a supervisor's erasure. The audit rows name the
pseudonym only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.db import transaction
from django.db.models import DateTimeField, Max, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404
from django.utils import timezone

from lantern.errors import ValidationError
from lantern.platform.audit.models import AuditEvent, Outcome
from lantern.platform.audit.services import audit_record
from lantern.platform.cases.models import AccessGrant, Assessment, Consent, Subject, SubjectIdentity
from lantern.platform.cases.selectors import require
from lantern.platform.cases.services import subject_erase_records
from lantern.platform.retention.models import (
    DEFAULT_DAYS,
    MAX_DAYS,
    MIN_DAYS,
    LegalHold,
    RetentionPolicy,
)

#: audit actions on a subject that count as activity (the journey editor's writes)
ACTIVITY_AUDIT_ACTIONS = ("journey.update",)
HOLD_REASON_MAX = 300
#: why a due case was not erased
HELD, REFERRED = "legal_hold", "accepted_referral"


# -- policy -------------------------------------------------------------------------------------------------

def policy_days(agency) -> int:
    """The agency's retention period in days (the platform default without a policy of its own)."""
    policy = RetentionPolicy.objects.filter(agency=agency).first()
    return policy.days if policy else DEFAULT_DAYS


def retention_policy_set(*, user, days) -> RetentionPolicy:
    """The agency administrator sets their agency's period (days after the last activity). Audited."""
    require(user, "agency.admin", action="retention.policy", object_type="agency", object_ref=user.agency.key)
    try:
        days = int(str(days).strip())
    except (TypeError, ValueError):
        raise ValidationError("must be a whole number of days", field="days") from None
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ValidationError(f"must be between {MIN_DAYS} and {MAX_DAYS} days", field="days")
    with transaction.atomic():
        policy, _ = RetentionPolicy.objects.update_or_create(
            agency_id=user.agency_id, defaults={"days": days, "updated_by": user, "updated_at": timezone.now()})
        audit_record(actor=user, action="retention.policy", object_type="agency", object_ref=user.agency.key,
                     detail=f"days={days}")
    return policy


# -- legal holds --------------------------------------------------------------------------------------------

def _owned(user, subject: Subject, action: str) -> None:
    require(user, "case.erase", action=action, object_type="subject", object_ref=subject.ref)
    if subject.agency_id != user.agency_id:  # a granted agency sees the case, but holds are the owner's
        audit_record(actor=user, action=action, object_type="subject", object_ref=subject.ref,
                     outcome=Outcome.NOT_FOUND)
        raise Http404("No such subject")


def legal_hold_set(*, user, subject: Subject, reason: str) -> LegalHold:
    """A supervisor of the owning agency keeps the case beyond the retention period, stating why (encrypted;
    the audit row has no reason). Setting it again replaces the reason."""
    _owned(user, subject, "legalhold.set")
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationError("is required: e.g. the proceedings the case file is needed for", field="reason")
    if len(reason) > HOLD_REASON_MAX:
        raise ValidationError(f"is longer than {HOLD_REASON_MAX} characters", field="reason")
    with transaction.atomic():
        hold, created = LegalHold.objects.update_or_create(
            subject=subject, defaults={"reason": reason, "set_by": user, "set_at": timezone.now()})
        audit_record(actor=user, action="legalhold.set", object_type="subject", object_ref=subject.ref,
                     detail="" if created else "replaced")
    return hold


def legal_hold_lift(*, user, subject: Subject) -> bool:
    """Lift the hold (the proceedings ended). Returns whether there was one. The case is then due again by
    its last activity, possibly at the next run of the job."""
    _owned(user, subject, "legalhold.lift")
    with transaction.atomic():
        n, _ = LegalHold.objects.filter(subject=subject).delete()
        if n:
            audit_record(actor=user, action="legalhold.lift", object_type="subject", object_ref=subject.ref)
    return bool(n)


# -- due cases ----------------------------------------------------------------------------------------------

def _latest(qs: QuerySet, value: str, key: str = "subject", outer: str = "pk") -> Subquery:
    """The latest ``value`` of the rows of ``qs`` whose ``key`` is the outer subject's ``outer``."""
    return Subquery(qs.filter(**{key: OuterRef(outer)}).order_by().values(key).annotate(m=Max(value))
                    .values("m")[:1], output_field=DateTimeField())


def with_last_activity(qs: QuerySet[Subject]) -> QuerySet[Subject]:
    """Annotate ``last_activity`` (see the module's docstring) in one query, on SQLite and PostgreSQL."""
    from lantern.platform.interventions.models import PlanItem
    from lantern.platform.referrals.models import Referral

    sources = [
        _latest(Assessment.objects, "created_at"),
        _latest(Assessment.objects, "corrected_at"),
        _latest(SubjectIdentity.objects, "updated_at"),
        _latest(Consent.objects, "created_at"),
        _latest(Consent.objects, "withdrawn_at"),
        _latest(PlanItem.objects, "updated_at"),
        _latest(Referral.objects, "sent_at"),
        _latest(Referral.objects, "responded_at"),
        _latest(Referral.objects, "ended_at"),
        _latest(AuditEvent.objects.filter(object_type="subject", action__in=ACTIVITY_AUDIT_ACTIONS,
                                          outcome=Outcome.OK), "at", key="object_ref", outer="ref"),
    ]
    # SQLite's MAX(a, b, …) is NULL when one argument is: every source falls back to the creation time
    return qs.annotate(last_activity=Greatest("created_at", *[Coalesce(s, "created_at") for s in sources]))


@dataclass(frozen=True)
class DueCase:
    ref: str
    last_activity: dt.datetime
    due_on: dt.date
    blocked: str = ""  # HELD or REFERRED: reported, not erased


def _local_date(when: dt.datetime) -> dt.date:
    return timezone.localtime(when).date() if timezone.is_aware(when) else when.date()


def _cutoff(today: dt.date, days: int) -> dt.datetime:
    """Cases whose last activity is before this instant are due on ``today``."""
    start = dt.datetime.combine(today - dt.timedelta(days=days - 1), dt.time.min)
    return timezone.make_aware(start) if timezone.is_naive(start) else start


def _blocked(subject_ids: list[int], agency_id: int, now: dt.datetime) -> dict[int, str]:
    from lantern.platform.referrals.models import Referral, Status

    out = {sid: REFERRED for sid in Referral.objects.filter(
        subject_id__in=subject_ids, status=Status.ACCEPTED, grant__revoked_at__isnull=True,
        grant__expires_at__gt=now).exclude(to_agency_id=agency_id).values_list("subject_id", flat=True)}
    out.update({sid: HELD for sid in LegalHold.objects.filter(subject_id__in=subject_ids)
                .values_list("subject_id", flat=True)})
    return out


def retention_due(*, agency, today: dt.date | None = None, within_days: int = 0) -> list[DueCase]:
    """The agency's cases due for erasure on ``today`` (or within ``within_days`` after it), oldest activity
    first: pseudonyms, last activity, the day each is due and, for a case that will not be erased, why.
    A selector without a user: callers check the capability (the web view) or run as the operator (CLI)."""
    today = today or timezone.localdate()
    days = policy_days(agency)
    rows = list(with_last_activity(Subject.objects.filter(agency=agency))
                .filter(last_activity__lt=_cutoff(today + dt.timedelta(days=within_days), days))
                .order_by("last_activity", "id").values_list("id", "ref", "last_activity"))
    blocked = _blocked([r[0] for r in rows], agency.pk, timezone.now())
    return [DueCase(ref=ref, last_activity=last, due_on=_local_date(last) + dt.timedelta(days=days),
                    blocked=blocked.get(pk, "")) for pk, ref, last in rows]


def retention_due_for_user(*, user, today: dt.date | None = None, within_days: int = 30) -> list[DueCase]:
    """Supervisors: their agency's cases due within ``within_days`` (the web page)."""
    require(user, "case.erase", action="retention.due")
    return retention_due(agency=user.agency, today=today, within_days=within_days)


# -- the job ------------------------------------------------------------------------------------------------

@dataclass
class RetentionReport:
    agency: str
    days: int
    dry_run: bool
    erased: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (pseudonym, HELD | REFERRED)


def _system_actor(agency):
    """The scheduled job as the audit trail's actor: no user, but the agency's key, so that the agency's
    auditors see the rows in their trail."""
    return SimpleNamespace(pk=None, username="retention", agency=agency)


def _erase_one(*, actor, agency, subject_id: int, today: dt.date, days: int) -> str:
    """Erase one due case in its own transaction; re-checked under a row lock (activity or a hold may have
    come since the list was made). Returns "" when erased, else why not."""
    from lantern.platform.referrals.models import OPEN_STATUSES, Referral, Status
    from lantern.platform.referrals.services import _end

    with transaction.atomic():
        subject = Subject.objects.select_for_update().filter(pk=subject_id, agency=agency).first()
        if subject is None:
            return "gone"
        if not with_last_activity(Subject.objects.filter(pk=subject_id)).filter(
                last_activity__lt=_cutoff(today, days)).exists():
            return "active"
        now = timezone.now()
        reason = _blocked([subject_id], agency.pk, now).get(subject_id)
        if reason:
            return reason
        for referral in (Referral.objects.select_for_update(of=("self",))
                         .select_related("subject", "to_agency", "grant")
                         .filter(subject=subject, status__in=OPEN_STATUSES)):
            _end(referral, user=actor, status=Status.WITHDRAWN, reason="the retention period ended")
            audit_record(actor=actor, action="referral.withdraw", object_type="referral", object_ref=referral.ref,
                         detail=f"subject={subject.ref} by=retention")
        for grant in AccessGrant.objects.select_related("agency").filter(subject=subject, revoked_at__isnull=True,
                                                                       expires_at__gt=now):
            grant.revoked_at = now
            grant.save(update_fields=["revoked_at"])
            audit_record(actor=actor, action="grant.revoke", object_type="subject", object_ref=subject.ref,
                         detail=f"agency={grant.agency.key} by=retention")
        subject_erase_records(actor=actor, subject=subject, note=f" by=retention days={days}")
    return ""


def retention_apply(*, actor=None, agency, today: dt.date | None = None, dry_run: bool = False) -> RetentionReport:
    """Erase the agency's due cases (see the module's docstring), one transaction per case; report the
    skipped ones. ``actor``: the user running it, or ``None`` for the scheduled job. ``dry_run`` writes
    nothing at all (not even an audit row) and reports what a run would do."""
    today = today or timezone.localdate()
    days = policy_days(agency)
    report = RetentionReport(agency=agency.key, days=days, dry_run=dry_run)
    due = retention_due(agency=agency, today=today)
    ids = dict(Subject.objects.filter(agency=agency, ref__in=[d.ref for d in due]).values_list("ref", "id"))
    actor = actor or _system_actor(agency)
    for case in due:
        if case.blocked:
            report.skipped.append((case.ref, case.blocked))
            continue
        if dry_run:
            report.erased.append(case.ref)
            continue
        why = _erase_one(actor=actor, agency=agency, subject_id=ids[case.ref], today=today, days=days)
        if not why:
            report.erased.append(case.ref)
        elif why in (HELD, REFERRED):
            report.skipped.append((case.ref, why))
    if not dry_run and (report.erased or report.skipped):
        audit_record(actor=actor, action="retention.apply", object_type="agency", object_ref=agency.key,
                     detail=f"days={days} erased={len(report.erased)} skipped={len(report.skipped)}")
    return report
