"""Scoped reads of referrals. A user sees the referrals their agency sent (outbox) or received (inbox); any
other referral raises ``Http404`` exactly like a missing one. Until the receiving agency accepts, it sees no
identifier and not even the subject's pseudonym: only the referral's own reference, the sending agency, the
intervention and the note (:func:`referral_view`)."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from lantern.errors import Problem, ValidationError
from lantern.platform.accounts.models import Agency
from lantern.platform.audit.models import Outcome
from lantern.platform.audit.services import audit_record
from lantern.platform.cases.models import Consent, Subject
from lantern.platform.cases.selectors import require
from lantern.platform.referrals.models import Referral, Status
from lantern.platform.roles import has_capability

_REF = re.compile(r"^R-[0-9A-Z]{6,16}$")
BOXES = ("inbox", "outbox", "all")


def safe_ref(ref: str) -> str:
    return ref if _REF.match(ref or "") else "(malformed)"


def require_referrals(user, *, action: str, object_ref: str = "") -> None:
    """Reading referrals needs ``referral.send`` (outbox) or ``referral.receive`` (inbox); else 403, audited."""
    if not (has_capability(user, "referral.send") or has_capability(user, "referral.receive")):
        require(user, "referral.receive", action=action, object_type="referral", object_ref=object_ref)
        raise PermissionDenied  # pragma: no cover - require raised


def referral_list_for_user(*, user, box: str = "all", status: str = "") -> QuerySet[Referral]:
    """The referrals the user's agency received (``inbox``), sent (``outbox``) or both (``all``), newest first,
    of one ``status`` (empty: any). An unknown box or status is refused (a typo must not answer everything)."""
    require_referrals(user, action="referral.list")
    problems = []
    if box not in BOXES:
        problems.append(Problem(f"must be one of {', '.join(BOXES)}", field="box"))
    if status and status not in Status.values:
        problems.append(Problem(f"must be one of {', '.join(Status.values)} (or empty)", field="status"))
    if problems:
        raise ValidationError(problems)
    mine = {"inbox": Q(to_agency_id=user.agency_id), "outbox": Q(from_agency_id=user.agency_id)}
    where = mine.get(box, mine["inbox"] | mine["outbox"])
    qs = Referral.objects.filter(where).select_related("subject", "from_agency", "to_agency", "consent", "sent_by",
                                                      "grant")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-sent_at", "-id")


def referral_get_for_user(*, user, ref: str, capability: str | None = None) -> Referral:
    """One referral of the user's agency (sent or received) by its reference, or Http404 (missing and other
    agencies' alike). Audited as a read."""
    if capability:
        require(user, capability, action="referral.read", object_type="referral", object_ref=safe_ref(ref))
    else:
        require_referrals(user, action="referral.read", object_ref=safe_ref(ref))
    referral = (Referral.objects.select_related("subject", "from_agency", "to_agency", "consent", "consent__agency",
                                                "grant", "sent_by", "responded_by", "ended_by", "plan_item")
                .filter(Q(from_agency_id=user.agency_id) | Q(to_agency_id=user.agency_id), ref=ref).first())
    if referral is None:
        audit_record(actor=user, action="referral.read", object_type="referral", object_ref=safe_ref(ref),
                     outcome=Outcome.NOT_FOUND)
        raise Http404("No such referral")
    audit_record(actor=user, action="referral.read", object_type="referral", object_ref=referral.ref)
    return referral


def subject_visible(referral: Referral, *, user) -> bool:
    """Whether the user's agency may see the subject behind a referral: the sender always; the receiver once
    it accepted, while the access grant runs."""
    if referral.from_agency_id == user.agency_id:
        return True
    grant = referral.grant
    return bool(referral.status == Status.ACCEPTED and grant is not None and grant.revoked_at is None
                and grant.expires_at > timezone.now())


def referral_view(referral: Referral, *, user) -> dict:
    """What the user may see of a referral, as plain values: the subject's pseudonym only for the sending
    agency and, after accepting, the receiving one; the consent's basis; never an identifier."""
    visible = subject_visible(referral, user=user)
    consent = referral.consent
    return {
        "ref": referral.ref, "status": referral.status, "direction": "outbox" if referral.from_agency_id ==
        user.agency_id else "inbox",
        "from_agency": referral.from_agency.key, "from_agency_name": referral.from_agency.name,
        "to_agency": referral.to_agency.key, "to_agency_name": referral.to_agency.name,
        "subject": referral.subject.ref if visible else None,
        "basis": "override" if consent is None else "consent",
        "consent": None if consent is None else {"id": consent.pk, "scope": consent.scope,
                                                 "given_on": consent.given_on,
                                                 "withdrawn": consent.withdrawn_at is not None},
        "override_reason": referral.override_reason or None,
        "intervention": referral.intervention or None, "standard_version": referral.standard_version or None,
        "note": referral.note, "sent_at": referral.sent_at, "responded_at": referral.responded_at,
        "decline_reason": referral.decline_reason or None, "ended_at": referral.ended_at,
        "end_reason": referral.end_reason or None,
        "access_until": referral.grant.expires_at if visible and referral.grant_id else None,
    }


def referral_consents(*, subject: Subject) -> QuerySet[Consent]:
    """The subject's active consents to a referral (the sending form's chooser)."""
    return (subject.consents.filter(purpose="referral", withdrawn_at__isnull=True).select_related("agency")
            .order_by("-given_on", "-id"))


def receiving_agencies(*, user) -> QuerySet[Agency]:
    """Agencies a referral may go to: every other agency (the consent decides which ones are allowed)."""
    return Agency.objects.exclude(pk=user.agency_id).order_by("name")


def referrals_for_subject(*, user, subject: Subject) -> QuerySet[Referral]:
    """The referrals of a subject the user can already see, that the user's agency sent or received."""
    if not (has_capability(user, "referral.send") or has_capability(user, "referral.receive")):
        return Referral.objects.none()
    return (subject.referrals.filter(Q(from_agency_id=user.agency_id) | Q(to_agency_id=user.agency_id))
            .select_related("from_agency", "to_agency").order_by("-sent_at", "-id"))
