"""Scoped reads. Every sensitive object has one access function; a record the user may not see raises
``Http404`` exactly like a missing one. A user sees their own agency's subjects and the subjects their
agency holds an active :class:`AccessGrant` for."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from lantern.platform import crypto
from lantern.platform.audit.models import Outcome
from lantern.platform.audit.services import audit_record
from lantern.platform.cases.models import (
    AccessGrant,
    Assessment,
    AssessmentRevision,
    JourneyLeg,
    Subject,
)
from lantern.platform.roles import has_capability

_REF = re.compile(r"^[SA]-[0-9A-Z]{6,16}$")


def safe_ref(ref: str) -> str:
    """A requested reference as it may appear in the audit trail: a well-formed pseudonym, else a marker
    (whatever was typed into a URL could be a name)."""
    return ref if _REF.match(ref or "") else "(malformed)"


def require(user, capability: str, *, action: str = "", object_type: str = "", object_ref: str = "") -> None:
    """403 (audited as denied) when the user's role lacks ``capability``."""
    if not has_capability(user, capability):
        if getattr(user, "is_authenticated", False):
            audit_record(actor=user, action=action or capability, object_type=object_type,
                         object_ref=object_ref, outcome=Outcome.DENIED, detail=f"missing capability {capability}")
        raise PermissionDenied


def _active_grant(user):
    return AccessGrant.objects.filter(
        subject=OuterRef("pk"), agency_id=user.agency_id, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def subjects_visible_to(user) -> QuerySet[Subject]:
    """The subjects the user's agency owns or holds an active grant for (no capability check, no audit)."""
    if not getattr(user, "agency_id", None):
        return Subject.objects.none()
    return Subject.objects.filter(Q(agency_id=user.agency_id) | Exists(_active_grant(user)))


def subject_list_for_user(*, user, name: str = "", ref: str = "") -> QuerySet[Subject]:
    """My agency's (and granted) subjects with their number of assessments and last interview date.

    ``name`` searches the blind index (exact match on the normalised full name; audited, the name itself is
    never logged); ``ref`` matches a pseudonym exactly.
    """
    require(user, "case.read", action="subject.list")
    qs = subjects_visible_to(user).select_related("agency").annotate(
        n_assessments=Count("assessments", distinct=True), last_interview=Max("assessments__interview_date")
    )
    if name:
        qs = qs.filter(identity__name_index=crypto.blind_index(name))
        audit_record(actor=user, action="subject.search", object_type="subject", detail="by=name")
    if ref:
        qs = qs.filter(ref=ref.strip().upper())
    return qs.order_by("-created_at", "-id")


def subject_count_for_user(*, user) -> int:
    require(user, "case.read", action="subject.count")
    return subjects_visible_to(user).count()


def subject_get_for_user(*, user, ref: str, capability: str = "case.read", audit: bool = True) -> Subject:
    """One subject by pseudonym, or Http404 (missing and other agency's alike). Audited as a read."""
    require(user, capability, action="subject.read", object_type="subject", object_ref=safe_ref(ref))
    subject = subjects_visible_to(user).select_related("agency").filter(ref=ref).first()
    if subject is None:
        audit_record(actor=user, action="subject.read", object_type="subject", object_ref=safe_ref(ref),
                     outcome=Outcome.NOT_FOUND)
        raise Http404("No such subject")
    if audit:
        audit_record(actor=user, action="subject.read", object_type="subject", object_ref=subject.ref)
    return subject


def identity_get_for_user(*, user, subject: Subject):
    """The decrypted identity of a subject the user can already see; audited (field names only)."""
    require(user, "identity.read", action="identity.read", object_type="subject", object_ref=subject.ref)
    identity = getattr(subject, "identity", None)
    audit_record(actor=user, action="identity.read", object_type="subject", object_ref=subject.ref)
    return identity


def assessment_list_for_subject(*, user, subject: Subject) -> QuerySet[Assessment]:
    require(user, "case.read", action="assessment.list")
    return subject.assessments.select_related("created_by", "agency").order_by("-interview_date", "-id")


def latest_assessments_for_subjects(*, user, subjects) -> QuerySet[Assessment]:
    """The assessments of these (already visible) subjects, latest first per subject, for list pages."""
    require(user, "case.read", action="assessment.list")
    return (Assessment.objects.filter(subject__in=[s.pk for s in subjects])
            .select_related("subject", "agency").order_by("subject_id", "-interview_date", "-id"))


def assessment_get_for_user(*, user, ref: str) -> Assessment:
    require(user, "case.read", action="assessment.read", object_type="assessment", object_ref=safe_ref(ref))
    visible = subjects_visible_to(user)
    assessment = (
        Assessment.objects.select_related("subject", "agency", "created_by")
        .filter(ref=ref, subject__in=visible).first()
    )
    if assessment is None:
        audit_record(actor=user, action="assessment.read", object_type="assessment", object_ref=safe_ref(ref),
                     outcome=Outcome.NOT_FOUND)
        raise Http404("No such assessment")
    audit_record(actor=user, action="assessment.read", object_type="assessment", object_ref=assessment.ref)
    return assessment


def assessment_history_for_user(*, user, assessment: Assessment) -> tuple[list[dict], bool]:
    """The corrections of an assessment the user can already see, newest first, and whether the old values are
    shown: only to users who may read case files (``case.read``) in the agency that recorded it — another agency
    holding a grant sees who changed which fields, when and why, not what the values were.

    Each item: ``number``, ``created_at``, ``created_by`` (username), ``reason``, ``changed_fields``, and when the
    values are shown ``previous`` and ``new`` ({field: value}, flat format). ``new`` is rebuilt by walking back
    from the current values. Audited (the number of revisions, and whether values were shown).
    """
    from lantern.platform.cases.services import assessment_values

    require(user, "case.read", action="assessment.history", object_type="assessment", object_ref=assessment.ref)
    show_values = has_capability(user, "case.read") and assessment.agency_id == user.agency_id
    revisions = list(AssessmentRevision.objects.filter(assessment=assessment).select_related("created_by")
                     .order_by("-number"))
    state = assessment_values(assessment) if show_values and revisions else {}
    items = []
    for rev in revisions:  # newest first: the values after a revision are the state before the next one
        item = {"number": rev.number, "created_at": rev.created_at, "created_by": rev.created_by.username,
                "reason": rev.reason, "changed_fields": list(rev.changed_fields)}
        if show_values:
            old = {**rev.previous, **({"notes": rev.previous_notes} if "notes" in rev.changed_fields else {})}
            item["new"] = {name: state.get(name) for name in rev.changed_fields}
            item["previous"] = {name: old.get(name) for name in rev.changed_fields}
            state.update(item["previous"])
        items.append(item)
    audit_record(actor=user, action="assessment.history", object_type="assessment", object_ref=assessment.ref,
                 detail=f"revisions={len(items)} values={'shown' if show_values else 'hidden'}")
    return items, show_values


def journey_for_subject(*, user, subject: Subject) -> list[JourneyLeg]:
    require(user, "case.read", action="journey.read")
    return list(subject.legs.order_by("order"))


def leg_get_for_user(*, user, subject: Subject, leg_id: int) -> JourneyLeg:
    leg = subject.legs.filter(pk=leg_id).first()
    if leg is None:
        raise Http404("No such journey leg")
    return leg


def grants_for_subject(*, user, subject: Subject) -> QuerySet[AccessGrant]:
    require(user, "case.read", action="grant.list")
    return subject.grants.select_related("agency", "granted_by").order_by("-created_at")


def assessment_rows_for_analysis(*, user) -> QuerySet[Assessment]:
    """Pseudonymous assessments of the user's agency (no identity), for analysts' exports."""
    require(user, "assessment.analyse", action="assessment.export")
    return Assessment.objects.filter(agency_id=user.agency_id).select_related("subject", "agency")
