"""Audited writes on referrals. Each service checks the role's capability before its transaction (so the audit
row of a refusal survives), validates everything (all problems at once, nothing saved on a problem), writes,
and appends an audit row naming the referral and the agencies — never the note, a reason or an identifier.

Rules (docs/referrals.md):

* only the agency that owns the subject refers it, to another agency;
* it needs an active consent of the person with purpose ``referral`` whose scope covers the receiving agency:
  ``own_agency`` never; ``named_agency`` only the agency the consent names; ``referral_network`` an agency
  of the national referral mechanism (:data:`REFERRAL_NETWORK_TYPES`) in the sending agency's country;
* without such consent only a supervisor (``referral.override``) refers, stating why; the access the
  receiving agency then gets is short (:data:`OVERRIDE_GRANT_DAYS`);
* accepting creates the access grant (:data:`GRANT_DAYS`, or until the consent is withdrawn); withdrawing
  or closing the referral revokes it; withdrawing the consent withdraws every open referral resting on it.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from lantern.errors import Problem, ValidationError
from lantern.platform import vocab
from lantern.platform.accounts.models import Agency
from lantern.platform.audit.services import audit_record
from lantern.platform.cases.models import AccessGrant, Consent, Subject
from lantern.platform.cases.selectors import require
from lantern.platform.referrals.models import OPEN_STATUSES, Referral, Status
from lantern.platform.roles import has_capability

#: agency types of the national identification and referral mechanism (Romania: Government Decision
#: 88/2023 — the anti-trafficking agency, police, border police, immigration, labour inspectorate, social and
#: child-protection services and the NGOs assisting victims). Employers and their organisations are not in it.
REFERRAL_NETWORK_TYPES = frozenset({"anti_trafficking_agency", "police", "border_police", "immigration",
                                    "labour_inspection", "social_services", "ngo"})
#: days of access on acceptance, under a consent (the grant also ends when the consent is withdrawn)
GRANT_DAYS = 90
#: days of access on acceptance of a supervisor's override (no consent covering the receiving agency)
OVERRIDE_GRANT_DAYS = 7
NOTE_MAX = 500
REASON_MAX = 300

# what looks like an identifier in a note: an e-mail address, a run of 6+ digits (phone, document, personal
# number; spaces, dots and dashes between digits allowed), a date (a birth date)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_DIGITS = re.compile(r"(?:\d[\s./-]?){6,}")
_DATE = re.compile(r"\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b")


def _checked(capability: str, *, action: str):
    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            user = kwargs["user"]
            referral = kwargs.get("referral")
            require(user, capability, action=action, object_type="referral" if referral else "subject",
                    object_ref=referral.ref if referral else getattr(kwargs.get("subject"), "ref", ""))
            with transaction.atomic():
                return fn(*args, **kwargs)

        return wrapper

    return deco


def _text(value: Any, *, field: str, limit: int, required: str | None, problems: list[Problem]) -> str:
    text = str(value or "").strip()
    if required and not text:
        problems.append(Problem(required, field=field))
    elif len(text) > limit:
        problems.append(Problem(f"is longer than {limit} characters", field=field))
    return text


def note_problems(note: str, *, subject: Subject, field: str = "note") -> list[Problem]:
    """The note goes to the receiving agency before it may see the case: refuse what looks like an identifier
    (an e-mail, a long number, a date) and any of the subject's recorded identifiers (names, document numbers,
    phone, date of birth). Also applied to the other texts the other agency reads (``field`` names them)."""
    problems = []
    if _EMAIL.search(note) or _DIGITS.search(note) or _DATE.search(note):
        problems.append(Problem("must not contain identifiers (no e-mail, phone, document or personal number, "
                                "date of birth)", field=field))
        return problems
    identity = getattr(subject, "identity", None)  # (None when no identity was recorded)
    if identity is not None:
        low = note.casefold()
        words = set(re.findall(r"\w+", low))
        names = [identity.given_name, identity.family_name]
        tokens = {w for n in names for w in re.findall(r"\w+", (n or "").casefold()) if len(w) >= 3}
        others = [x.casefold() for x in (identity.document_numbers, identity.phone, identity.date_of_birth) if x]
        if tokens & words or any(x and x in low for x in others):
            problems.append(Problem("must not contain identifiers: it names the person or their documents",
                                    field=field))
    return problems


def consent_covers(consent: Consent, *, from_agency: Agency, to_agency: Agency) -> str | None:
    """``None`` when ``consent`` allows referring its subject from ``from_agency`` to ``to_agency``, else why
    not (a sentence)."""
    if consent.purpose != "referral":
        return "is not a consent to a referral (purpose 'referral')"
    if consent.withdrawn_at is not None:
        return "was withdrawn"
    if consent.scope == "own_agency":
        return "allows no sharing outside this agency (scope 'own_agency')"
    if consent.scope == "named_agency":
        if consent.agency_id is None:
            return "names no organisation: record a consent that names the receiving agency"
        if consent.agency_id != to_agency.pk:
            return "names another organisation than the receiving agency"
        return None
    if consent.scope == "referral_network":
        if to_agency.type not in REFERRAL_NETWORK_TYPES:
            return "covers the agencies of the national referral mechanism, which this agency's type is not in"
        if to_agency.country != from_agency.country:
            return "covers the national referral mechanism: the receiving agency is in another country"
        return None
    return f"has a scope ({consent.scope[:30]!r}) that allows no referral"


def _grant_reason(referral: Referral) -> str:
    basis = f"consent {referral.consent_id}" if referral.consent_id else "supervisor's override"
    return f"referral {referral.ref} ({basis})"


@_checked("referral.send", action="referral.send")
def referral_send(*, user, subject: Subject, to_agency: Agency | str, consent: Consent | int | None = None,
                  override_reason: str = "", intervention: str = "", plan_item=None, note: str = "") -> Referral:
    """Refer ``subject`` (of the user's agency) to ``to_agency`` (an Agency or its key).

    ``consent`` (a Consent of this subject or its id) is the person's consent it rests on; without it only a
    supervisor may refer, with ``override_reason``. ``intervention`` (a catalogue id) and ``plan_item`` (a
    PlanItem of this subject, or its id) say what prompted it; ``note`` (at most 500 characters) is read by
    the receiving agency before it accepts and must carry no identifier.
    """
    from lantern.platform.interventions.catalogue import intervention_or_none
    from lantern.platform.interventions.models import PlanItem

    if subject.agency_id != user.agency_id:  # only the owner refers; a granted agency sees it, no more
        raise Http404("No such subject")
    problems: list[Problem] = []
    receiver = to_agency if isinstance(to_agency, Agency) else Agency.objects.filter(key=str(to_agency or "")).first()
    if receiver is None:
        problems.append(Problem("is required: the agency to refer to" if not to_agency
                                else f"{str(to_agency)[:60]!r} is not an agency", field="to_agency"))
    elif receiver.pk == user.agency_id:
        problems.append(Problem("refer to another agency: yours already holds the record", field="to_agency"))
    found = None
    if consent not in (None, ""):
        cid = consent.pk if isinstance(consent, Consent) else consent
        try:
            found = subject.consents.filter(pk=int(cid)).first()
        except (TypeError, ValueError):
            found = None
        if found is None:
            problems.append(Problem("is not a consent of this person", field="consent"))
        elif receiver is not None and receiver.pk != user.agency_id:
            why = consent_covers(found, from_agency=user.agency, to_agency=receiver)
            if why:
                problems.append(Problem(f"this consent {why}", field="consent"))
    reason = _text(override_reason, field="override_reason", limit=REASON_MAX, required=None, problems=problems)
    if reason and len(reason) <= REASON_MAX:  # the receiving agency reads it before it may open the case
        problems += note_problems(reason, subject=subject, field="override_reason")
    if found is not None and reason:
        problems.append(Problem("leave it empty when a consent covers the referral", field="override_reason"))
    if consent in (None, ""):
        if not has_capability(user, "referral.override"):
            problems.append(Problem("is required: the person's consent to a referral to this agency (only a "
                                    "supervisor may refer without one, stating why)", field="consent"))
        elif not reason:
            problems.append(Problem("is required without a consent: say why the person cannot be asked or the "
                                    "referral cannot wait", field="override_reason"))
    iid = str(intervention or "").strip()
    if iid and intervention_or_none(iid) is None:
        problems.append(Problem(f"{iid[:80]!r} is not an intervention of the catalogue of standard "
                                f"{vocab.current_version()}", field="intervention"))
    item = None
    if plan_item not in (None, ""):
        pid = plan_item.pk if isinstance(plan_item, PlanItem) else plan_item
        try:
            item = PlanItem.objects.filter(pk=int(pid), subject=subject).first()
        except (TypeError, ValueError):
            item = None
        if item is None:
            problems.append(Problem("is not an item of this person's plan", field="plan_item"))
        elif not iid:
            iid = item.intervention
    text = _text(note, field="note", limit=NOTE_MAX, required=None, problems=problems)
    if text and len(text) <= NOTE_MAX:
        problems += note_problems(text, subject=subject)
    if receiver is not None and not problems and Referral.objects.filter(
            subject=subject, to_agency=receiver, status__in=OPEN_STATUSES).exists():
        problems.append(Problem("this person already has an open referral to this agency", field="to_agency"))
    if problems:
        raise ValidationError(problems)
    try:
        with transaction.atomic():
            referral = Referral.objects.create(
                subject=subject, from_agency_id=user.agency_id, to_agency=receiver, consent=found,
                override_reason=reason if found is None else "", intervention=iid,
                standard_version=vocab.current_version() if iid else "", plan_item=item, note=text, sent_by=user)
    except IntegrityError as exc:  # a concurrent request sent the same referral
        raise ValidationError("this person already has an open referral to this agency", field="to_agency") from exc
    audit_record(actor=user, action="referral.send", object_type="referral", object_ref=referral.ref,
                 detail=f"subject={subject.ref} to={receiver.key} basis={'override' if found is None else 'consent'}")
    return referral


def _lock(referral: Referral) -> Referral:
    # of=("self",): PostgreSQL cannot lock the nullable side of the outer joins select_related makes
    return Referral.objects.select_for_update(of=("self",)).select_related(
        "subject", "from_agency", "to_agency", "consent", "grant").get(pk=referral.pk)


def _state(referral: Referral, allowed: tuple[str, ...], verb: str) -> None:
    if referral.status not in allowed:
        raise ValidationError(f"a referral that is {referral.status} cannot be {verb}", field="status")


def _receiver(user, referral: Referral) -> None:
    if referral.to_agency_id != user.agency_id:
        raise Http404("No such referral")


def _sender(user, referral: Referral) -> None:
    if referral.from_agency_id != user.agency_id:
        raise Http404("No such referral")


@_checked("referral.receive", action="referral.accept")
def referral_accept(*, user, referral: Referral, days: int | None = None) -> Referral:
    """Accept a referral sent to the user's agency: creates the access grant (``days``, default 90 under a
    consent — at most 365 —, 7 under an override — at most 7) through which the subject opens for the
    agency."""
    _receiver(user, referral)
    referral = _lock(referral)
    _state(referral, (Status.SENT,), "accepted")
    limit = OVERRIDE_GRANT_DAYS if referral.is_override else 365
    days = (OVERRIDE_GRANT_DAYS if referral.is_override else GRANT_DAYS) if days in (None, "") else days
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise ValidationError("must be a whole number of days", field="days") from None
    if not 1 <= days <= limit:
        raise ValidationError(f"must be between 1 and {limit} days"
                              + (" (a referral without consent opens the case for a week at most)"
                                 if referral.is_override else ""), field="days")
    if referral.consent_id and referral.consent.withdrawn_at is not None:  # pragma: no cover - ended with it
        raise ValidationError("the consent it rests on was withdrawn", field="consent")
    now = timezone.now()
    grant = AccessGrant.objects.create(agency_id=referral.to_agency_id, subject=referral.subject,
                                       granted_by=referral.sent_by, reason=_grant_reason(referral), created_at=now,
                                       expires_at=now + dt.timedelta(days=days))
    referral.status, referral.responded_at, referral.responded_by, referral.grant = Status.ACCEPTED, now, user, grant
    referral.save(update_fields=["status", "responded_at", "responded_by", "grant"])
    audit_record(actor=user, action="referral.accept", object_type="referral", object_ref=referral.ref,
                 detail=f"subject={referral.subject.ref} days={days}")
    audit_record(actor=user, action="grant.create", object_type="subject", object_ref=referral.subject.ref,
                 detail=f"agency={referral.to_agency.key} days={days} referral={referral.ref}")
    return referral


@_checked("referral.receive", action="referral.decline")
def referral_decline(*, user, referral: Referral, reason: str) -> Referral:
    """Decline a referral sent to the user's agency, saying why (the sending agency reads it)."""
    _receiver(user, referral)
    referral = _lock(referral)
    _state(referral, (Status.SENT,), "declined")
    problems: list[Problem] = []
    text = _text(reason, field="reason", limit=REASON_MAX, required="is required: say why (the sending agency "
                 "reads it)", problems=problems)
    if problems:
        raise ValidationError(problems)
    referral.status, referral.responded_at, referral.responded_by = Status.DECLINED, timezone.now(), user
    referral.decline_reason = text
    referral.save(update_fields=["status", "responded_at", "responded_by", "decline_reason"])
    audit_record(actor=user, action="referral.decline", object_type="referral", object_ref=referral.ref,
                 detail=f"subject={referral.subject.ref}")
    return referral


def _end(referral: Referral, *, user, status: str, reason: str, ended_by=None) -> Referral:
    """Withdraw or close; revoke the access grant the acceptance created. ``user`` acts (audit), ``ended_by``
    is recorded on the referral (empty when it ended with the consent)."""
    now = timezone.now()
    if referral.grant_id and referral.grant.revoked_at is None:
        referral.grant.revoked_at = now
        referral.grant.save(update_fields=["revoked_at"])
        audit_record(actor=user, action="grant.revoke", object_type="subject", object_ref=referral.subject.ref,
                     detail=f"agency={referral.to_agency.key} referral={referral.ref}")
    referral.status, referral.ended_at, referral.ended_by, referral.end_reason = status, now, ended_by, reason
    referral.save(update_fields=["status", "ended_at", "ended_by", "end_reason"])
    return referral


@_checked("referral.send", action="referral.withdraw")
def referral_withdraw(*, user, referral: Referral, reason: str = "") -> Referral:
    """Withdraw a referral the user's agency sent (sent or accepted); an accepted one's access is revoked."""
    _sender(user, referral)
    referral = _lock(referral)
    _state(referral, OPEN_STATUSES, "withdrawn")
    problems: list[Problem] = []
    text = _text(reason, field="reason", limit=REASON_MAX, required=None, problems=problems)
    if text and len(text) <= REASON_MAX:  # the receiving agency reads it, maybe without ever having had the case
        problems += note_problems(text, subject=referral.subject, field="reason")
    if problems:
        raise ValidationError(problems)
    _end(referral, user=user, status=Status.WITHDRAWN, reason=text, ended_by=user)
    audit_record(actor=user, action="referral.withdraw", object_type="referral", object_ref=referral.ref,
                 detail=f"subject={referral.subject.ref}")
    return referral


@_checked("referral.receive", action="referral.close")
def referral_close(*, user, referral: Referral, reason: str = "") -> Referral:
    """Close an accepted referral (either agency: the service was delivered or is no longer needed); the
    receiving agency's access ends with it."""
    if user.agency_id not in (referral.from_agency_id, referral.to_agency_id):
        raise Http404("No such referral")
    referral = _lock(referral)
    _state(referral, (Status.ACCEPTED,), "closed")
    problems: list[Problem] = []
    text = _text(reason, field="reason", limit=REASON_MAX, required=None, problems=problems)
    if problems:
        raise ValidationError(problems)
    _end(referral, user=user, status=Status.CLOSED, reason=text, ended_by=user)
    audit_record(actor=user, action="referral.close", object_type="referral", object_ref=referral.ref,
                 detail=f"subject={referral.subject.ref}")
    return referral


def referrals_end_for_consent(*, user, consent: Consent) -> int:
    """Called by ``cases.services.consent_withdraw`` inside its transaction: every open referral resting on
    the consent is withdrawn and the access grant it created revoked. Returns how many."""
    n = 0
    for referral in (Referral.objects.select_for_update(of=("self",)).select_related("subject", "to_agency", "grant")
                     .filter(consent=consent, status__in=OPEN_STATUSES)):
        _end(referral, user=user, status=Status.WITHDRAWN, reason="the consent was withdrawn")
        audit_record(actor=user, action="referral.withdraw", object_type="referral", object_ref=referral.ref,
                     detail=f"subject={referral.subject.ref} by=consent.withdraw")
        n += 1
    return n
