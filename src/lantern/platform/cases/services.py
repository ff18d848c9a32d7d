"""Audited writes. Each service runs in one transaction and writes an audit row naming the acting user,
the object and the action — never a field value. Input is validated (``cases.validation``) before anything
is written; a ``ValidationError`` leaves the database unchanged."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from lantern.errors import Problem, ValidationError
from lantern.platform import crypto, vocab
from lantern.platform.audit.services import audit_record
from lantern.platform.cases import validation
from lantern.platform.cases.models import (
    AccessGrant,
    Assessment,
    AssessmentRevision,
    Consent,
    JourneyLeg,
    Subject,
    SubjectIdentity,
    new_subject_ref,
)
from lantern.platform.cases.selectors import require

ASSESSMENT_FIELDS = ("standard_version", "interview_date", "sex", "age", "citizenship", "country_of_interview",
                     "region", "legal_status", "education", "sector", "exploitation_form", "identified_victim")
#: yes/no/unknown columns of the flat format's core (not indicators or factors); absent means unknown
FLAG_FIELDS = ("identified_victim",)


def _checked(capability: str, *, action: str):
    """Check the role's capability *before* the transaction (so that a denial's audit row survives), then run
    the service in one transaction."""

    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            user = kwargs["user"]
            subject = kwargs.get("subject") or getattr(kwargs.get("grant"), "subject", None)
            require(user, capability, action=action, object_type="subject" if subject is not None else "",
                    object_ref=subject.ref if subject is not None else "")
            with transaction.atomic():
                return fn(*args, **kwargs)

        return wrapper

    return deco


def _new_subject(*, user) -> Subject:
    for _ in range(5):  # a random pseudonym may collide (~1 in 10^14 per pair): retry
        try:
            with transaction.atomic():
                return Subject.objects.create(ref=new_subject_ref(), agency_id=user.agency_id, created_by=user)
        except IntegrityError:  # pragma: no cover - astronomically rare
            continue
    raise RuntimeError("could not draw a unique pseudonym")


def _write_identity(subject: Subject, data: Mapping[str, Any]) -> SubjectIdentity:
    dob = data.get("date_of_birth")
    identity, _ = SubjectIdentity.objects.get_or_create(subject=subject)
    identity.given_name = data.get("given_name", "") or ""
    identity.family_name = data.get("family_name", "") or ""
    identity.date_of_birth = dob.isoformat() if isinstance(dob, dt.date) else (dob or "")
    identity.document_numbers = data.get("document_numbers", "") or ""
    identity.phone = data.get("phone", "") or ""
    identity.name_index = crypto.blind_index(identity.given_name, identity.family_name)
    identity.save()
    return identity


def _identity_filled(data: Mapping[str, Any]) -> list[str]:
    return [f for f in validation.IDENTITY_FIELDS if data.get(f)]


@_checked("case.write", action="subject.create")
def subject_create(*, user, identity: Mapping[str, Any] | None = None) -> Subject:
    cleaned = validation.clean_identity(identity or {})
    subject = _new_subject(user=user)
    if _identity_filled(cleaned):
        _write_identity(subject, cleaned)
    audit_record(actor=user, action="subject.create", object_type="subject", object_ref=subject.ref,
                 detail="fields=" + ",".join(_identity_filled(cleaned)))
    return subject


@_checked("case.write", action="identity.update")
def subject_identity_update(*, user, subject: Subject, identity: Mapping[str, Any]) -> SubjectIdentity:
    cleaned = validation.clean_identity(identity)
    first = subject.assessments.order_by("interview_date").first()
    if cleaned["date_of_birth"] and first and cleaned["date_of_birth"] > first.interview_date:
        raise ValidationError("the date of birth is after an interview of this person", field="date_of_birth")
    result = _write_identity(subject, cleaned)
    audit_record(actor=user, action="identity.update", object_type="subject", object_ref=subject.ref,
                 detail="fields=" + ",".join(_identity_filled(cleaned)))
    return result


def _dob_of(subject: Subject) -> dt.date | None:
    identity = SubjectIdentity.objects.filter(subject=subject).first()
    if identity and identity.date_of_birth:
        return dt.date.fromisoformat(identity.date_of_birth)
    return None


def _make_assessment(*, user, subject: Subject, cleaned: Mapping[str, Any], source: str,
                     external_id: str = "") -> Assessment:
    return Assessment.objects.create(
        subject=subject,
        agency_id=user.agency_id,
        created_by=user,
        source=source,
        external_id=external_id,
        indicators=dict(cleaned["indicators"]),
        factors=dict(cleaned["factors"]),
        notes=cleaned.get("notes", ""),
        **{f: cleaned.get(f) if cleaned.get(f) is not None else
           (None if f in ("age", "interview_date") else validation.UNKNOWN if f in FLAG_FIELDS else "")
           for f in ASSESSMENT_FIELDS},
    )


@_checked("case.write", action="assessment.create")
def assessment_create(*, user, subject: Subject, data: Mapping[str, Any], source: str = "web") -> Assessment:
    """Validate ``data`` (flat format keys) and record it as an interview of ``subject``."""
    cleaned = validation.clean_assessment(data, date_of_birth=_dob_of(subject))
    assessment = _make_assessment(user=user, subject=subject, cleaned=cleaned, source=source)
    audit_record(actor=user, action="assessment.create", object_type="assessment", object_ref=assessment.ref,
                 detail=f"subject={subject.ref}")
    return assessment


@_checked("case.write", action="consent.create")
def consent_record(*, user, subject: Subject, purpose: str, scope: str, given_on, given_by: str,
                   agency=None) -> Consent:
    """Record one consent. ``agency`` (an Agency or its key) is the organisation the person named, only for
    scope ``named_agency``; it may be left empty there (then no referral can rest on the consent)."""
    problems: list[Problem] = []
    agency = _named_agency(agency, scope=scope, subject=subject, problems=problems)
    for name, value in (("purpose", purpose), ("scope", scope), ("given_by", given_by)):
        list_name = f"consent_{name}"
        if not value:
            problems.append(Problem("is required", field=name))
        elif not vocab.in_code_list(list_name, str(value)):
            problems.append(Problem(f"{str(value)[:30]!r} is not a code of the list '{list_name}'", field=name))
    date = validation.parse_date(given_on, field="given_on", record=None, problems=problems)
    if date is None and not any(p.field == "given_on" for p in problems):
        problems.append(Problem("is required", field="given_on"))
    if problems:
        raise ValidationError(problems)
    consent = Consent.objects.create(subject=subject, purpose=purpose, scope=scope, given_on=date,
                                     given_by=given_by, agency=agency, recorded_by=user)
    audit_record(actor=user, action="consent.create", object_type="subject", object_ref=subject.ref,
                 detail=f"purpose={purpose}")
    return consent


def _named_agency(agency, *, scope: str, subject: Subject, problems: list[Problem]):
    if agency in (None, ""):
        return None
    from lantern.platform.accounts.models import Agency

    found = agency if isinstance(agency, Agency) else Agency.objects.filter(key=str(agency)).first()
    if found is None:
        problems.append(Problem(f"{str(agency)[:60]!r} is not an agency", field="agency"))
    elif scope != "named_agency":
        problems.append(Problem("only a consent of scope 'named_agency' names an organisation", field="agency"))
    elif found.pk == subject.agency_id:
        problems.append(Problem("name another organisation: this one already holds the record", field="agency"))
    return found


@_checked("case.write", action="consent.withdraw")
def consent_withdraw(*, user, subject: Subject, consent_id: int) -> Consent:
    consent = subject.consents.select_for_update().filter(pk=consent_id, withdrawn_at__isnull=True).first()
    if consent is None:
        from django.http import Http404

        raise Http404("No such consent")
    consent.withdrawn_at = timezone.now()
    consent.save(update_fields=["withdrawn_at"])
    audit_record(actor=user, action="consent.withdraw", object_type="subject", object_ref=subject.ref,
                 detail=f"purpose={consent.purpose}")
    # referrals resting on this consent end with it, and the access grants they created are revoked
    from lantern.platform.referrals.services import referrals_end_for_consent

    referrals_end_for_consent(user=user, consent=consent)
    return consent


# -- journeys ------------------------------------------------------------------------------------------

def _refresh_journey(subject: Subject) -> list[JourneyLeg]:
    """Renumber legs 1..n (two passes so the unique (subject, order) index never clashes) and recompute the
    intra-EU flag: set when the person came from an EU member state into another one."""
    legs = list(subject.legs.order_by("order", "id"))
    std = vocab.current()
    offset = 10_000
    for leg in legs:
        leg.order += offset
    JourneyLeg.objects.bulk_update(legs, ["order"])
    previous = None
    for i, leg in enumerate(legs, start=1):
        leg.order = i
        leg.intra_eu = bool(previous and vocab.is_eu(previous.country, std=std) and vocab.is_eu(leg.country, std=std)
                            and previous.country != leg.country)
        previous = leg
    JourneyLeg.objects.bulk_update(legs, ["order", "intra_eu"])
    return legs


def journey_warnings(legs: Sequence[JourneyLeg]) -> list[Problem]:
    """Legs whose dates do not follow the previous leg (shown in the editor next to the leg)."""
    return validation.check_journey_order([{"entry_date": x.entry_date, "exit_date": x.exit_date} for x in legs])


@_checked("case.write", action="journey.update")
def journey_leg_add(*, user, subject: Subject, data: Mapping[str, Any], position: int | None = None) -> JourneyLeg:
    cleaned = validation.clean_leg(data)
    count = subject.legs.count()
    position = count + 1 if position is None else max(1, min(position, count + 1))
    subject.legs.filter(order__gte=position).update(order=F("order") + 10_000)
    leg = JourneyLeg.objects.create(subject=subject, order=position, **cleaned)
    legs = _refresh_journey(subject)
    # the new leg must fit between its neighbours; older conflicts elsewhere are shown as warnings instead
    problems = [p for p in journey_warnings(legs) if p.record in (f"leg {position}", f"leg {position + 1}")]
    if problems:
        raise ValidationError([Problem(p.reason, field=p.field, record=None) for p in problems])
    audit_record(actor=user, action="journey.update", object_type="subject", object_ref=subject.ref,
                 detail=f"leg added at {position}")
    leg.refresh_from_db()
    return leg


@_checked("case.write", action="journey.update")
def journey_leg_remove(*, user, subject: Subject, leg: JourneyLeg) -> None:
    position = leg.order
    leg.delete()
    _refresh_journey(subject)
    audit_record(actor=user, action="journey.update", object_type="subject", object_ref=subject.ref,
                 detail=f"leg {position} removed")


@_checked("case.write", action="journey.update")
def journey_leg_move(*, user, subject: Subject, leg: JourneyLeg, direction: str) -> list[JourneyLeg]:
    if direction not in ("up", "down"):
        raise ValidationError("must be 'up' or 'down'", field="direction")
    legs = list(subject.legs.order_by("order"))
    i = next(k for k, x in enumerate(legs) if x.pk == leg.pk)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(legs):
        legs[i], legs[j] = legs[j], legs[i]
        for k, x in enumerate(legs, start=1):
            x.order = k + 10_000
        JourneyLeg.objects.bulk_update(legs, ["order"])
    result = _refresh_journey(subject)
    audit_record(actor=user, action="journey.update", object_type="subject", object_ref=subject.ref,
                 detail=f"leg {i + 1} moved {direction}")
    return result


@_checked("case.write", action="journey.update")
def journey_replace(*, user, subject: Subject, legs: Sequence[Mapping[str, Any]]) -> list[JourneyLeg]:
    """Replace the whole journey (API PUT): all legs are validated before any is written."""
    problems: list[Problem] = []
    cleaned = [validation.clean_leg(leg, record=f"leg {i}", problems=problems) for i, leg in enumerate(legs, start=1)]
    if not problems:
        problems += validation.check_journey_order(cleaned)
    if problems:
        raise ValidationError(problems)
    subject.legs.all().delete()
    JourneyLeg.objects.bulk_create(JourneyLeg(subject=subject, order=i, **c) for i, c in enumerate(cleaned, start=1))
    result = _refresh_journey(subject)
    audit_record(actor=user, action="journey.update", object_type="subject", object_ref=subject.ref,
                 detail=f"legs={len(cleaned)}")
    return result


# -- intake: one interview, one transaction ----------------------------------------------------------------

@_checked("case.write", action="intake.submit")
def intake_submit(*, user, consent: Sequence[Mapping[str, Any]], identity: Mapping[str, Any],
                  assessment: Mapping[str, Any], legs: Sequence[Mapping[str, Any]],
                  subject: Subject | None = None) -> Assessment:
    """Record a complete intake (consents — one per purpose —, identity, assessment, journey) for a new or
    existing subject. Everything is validated first; on any problem nothing is written."""
    problems: list[Problem] = []
    ident = validation.clean_identity(identity, problems=problems)
    dob = ident.get("date_of_birth") or (subject and _dob_of(subject))
    cleaned = validation.clean_assessment(assessment, date_of_birth=dob, problems=problems)
    cleaned_legs = [validation.clean_leg(leg, record=f"leg {i}", problems=problems) for i, leg in enumerate(legs, 1)]
    problems += validation.check_journey_order(cleaned_legs)
    if problems:
        raise ValidationError(problems)
    if subject is None:
        subject = subject_create(user=user, identity=ident)
    elif _identity_filled(ident):
        subject_identity_update(user=user, subject=subject, identity=ident)
    for given in consent:
        consent_record(user=user, subject=subject, **given)
    result = _make_assessment(user=user, subject=subject, cleaned=cleaned, source="web")
    audit_record(actor=user, action="assessment.create", object_type="assessment", object_ref=result.ref,
                 detail=f"subject={subject.ref}")
    if cleaned_legs:
        journey_replace(user=user, subject=subject, legs=[
            {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in leg.items()} for leg in cleaned_legs])
    return result


# -- correcting a saved assessment ---------------------------------------------------------------------------
# A correction never overwrites silently: the values it replaces go into an AssessmentRevision (notes and the
# reason encrypted), the assessment keeps the current values and counts its revisions. The merged record is
# validated exactly like an intake against the standard version the interview was captured under.

#: flat-format keys that name the record rather than describe the interview: never corrected
FIXED_KEYS = ("assessment_id", "subject_ref", "agency")
REASON_MAX = 500


def assessment_values(assessment: Assessment) -> dict[str, Any]:
    """The assessment's current values in the flat format (as ``cases.export``: 1 / 0 / null for answers, ISO
    date, codes, null for empty) plus ``notes``, keyed in the format's order. No subject, agency or id."""
    std = vocab.standard_for(assessment.standard_version)
    answers = {**assessment.indicators, **assessment.factors}
    out: dict[str, Any] = {}
    for col in std.assessment_columns():
        name = col.name
        if name in FIXED_KEYS or name == "standard_version":
            continue
        if col.kind in ("indicator", "factor"):
            out[name] = validation.flag_to_int(answers.get(name, validation.UNKNOWN))
        elif name == "interview_date":
            out[name] = assessment.interview_date.isoformat() if assessment.interview_date else None
        elif col.dtype == "flag":
            out[name] = validation.flag_to_int(getattr(assessment, name))
        else:
            value = getattr(assessment, name, None)
            out[name] = None if value in ("", None) else value
    out["notes"] = assessment.notes or ""
    return out


def _values_of_cleaned(cleaned: Mapping[str, Any], names) -> dict[str, Any]:
    """``clean_assessment``'s output in the representation of :func:`assessment_values`."""
    answers = {**cleaned["indicators"], **cleaned["factors"]}
    out: dict[str, Any] = {}
    for name in names:
        if name in answers:
            out[name] = validation.flag_to_int(answers[name])
        elif name == "notes":
            out[name] = cleaned.get("notes") or ""
        elif name in FLAG_FIELDS:
            out[name] = validation.flag_to_int(cleaned.get(name) or validation.UNKNOWN)
        else:
            value = cleaned.get(name)
            out[name] = value.isoformat() if isinstance(value, dt.date) else (None if value in ("", None) else value)
    return out


def _conditional_questions(std) -> dict[str, dict]:
    """Indicator and factor questions the questionnaire asks only under a condition: {id: condition}."""
    return {q.id: q.relevant for section in std.form() for q in section.questions
            if q.relevant and q.kind in ("indicator", "factor")}


def _check_relevance(std, before: dict[str, Any], after: dict[str, Any], changes: Mapping[str, Any],
                     problems: list[Problem]) -> list[str]:
    """The questionnaire's rules across a correction. A question the corrected answers now ask (e.g. the
    sexual-exploitation items after the suspected form becomes sexual exploitation) must be answered in the
    correction, as at intake; a question they no longer ask is stored as unknown again (returned, to clear);
    a question not asked may not be given an answer other than unknown."""
    from lantern.standard.questionnaire import evaluate

    cleared = []
    for qid, condition in _conditional_questions(std).items():
        was, now = evaluate(condition, before), evaluate(condition, after)
        if qid in changes:
            if not now and after.get(qid) is not None and after.get(qid) != before.get(qid):
                problems.append(Problem("is not asked for these answers (see the questionnaire's condition): "
                                        "leave it unknown", field=qid))
        elif now and not was:
            problems.append(Problem("is asked now that the answers changed: answer yes, no or unknown", field=qid))
        elif was and not now and after.get(qid) is not None:
            cleared.append(qid)
    return cleared


def assessment_correct(*, user, assessment: Assessment, changes: Mapping[str, Any], reason: str,
                       expected_revision: int | None = None) -> Assessment:
    """Correct a saved assessment: ``changes`` are flat-format keys (core columns, indicator and factor ids,
    ``notes``) with their new values; ``reason`` (required) says what was wrong.

    Only the agency that recorded the assessment may correct it (another agency's answers 404 like a missing
    one). The merged record is validated like an intake against the assessment's own standard version (which a
    correction keeps); every problem is reported at once and nothing is written. ``expected_revision``, when
    given, refuses a correction of a record someone else corrected meanwhile. Audited with the changed field
    names, never their values; a refused correction is audited too (``invalid``, the problems' field names).
    """
    from django.http import Http404

    from lantern.platform.audit.models import Outcome

    require(user, "case.write", action="assessment.correct", object_type="assessment", object_ref=assessment.ref)
    if assessment.agency_id != user.agency_id:
        audit_record(actor=user, action="assessment.correct", object_type="assessment", object_ref=assessment.ref,
                     outcome=Outcome.NOT_FOUND)
        raise Http404("No such assessment")
    try:
        with transaction.atomic():
            return _correct(user=user, pk=assessment.pk, changes=changes, reason=reason,
                            expected_revision=expected_revision)
    except ValidationError as exc:
        fields = sorted({p.field for p in exc.problems if p.field})
        audit_record(actor=user, action="assessment.correct", object_type="assessment", object_ref=assessment.ref,
                     outcome=Outcome.INVALID, detail=_names_detail(f"problems={len(exc.problems)}", fields))
        raise


def _names_detail(prefix: str, names: Sequence[str]) -> str:
    """``prefix fields=a,b,…`` within the audit row's 300 characters (names only, never values)."""
    detail = f"{prefix} fields=" + ",".join(names)
    return detail if len(detail) <= 300 else detail[:297] + "..."


def _correct(*, user, pk: int, changes: Mapping[str, Any], reason: str, expected_revision: int | None) -> Assessment:
    a = Assessment.objects.select_for_update().get(pk=pk)  # one correction at a time per assessment
    std = vocab.standard_for(a.standard_version)
    problems: list[Problem] = []
    reason = str(reason or "").strip()
    if not reason:
        problems.append(Problem("is required: say what was wrong and how you know (e.g. the interpreter "
                                "misheard the date)", field="reason"))
    elif len(reason) > REASON_MAX:
        problems.append(Problem(f"is longer than {REASON_MAX} characters", field="reason"))
    if expected_revision is not None and int(expected_revision) != a.revision:
        problems.append(Problem(f"the interview was corrected meanwhile (now revision {a.revision}): reload it and "
                                "correct the current values", field="revision"))
    if not isinstance(changes, Mapping) or not changes:
        problems.append(Problem("no change given", field="changes"))
        changes = {}
    given: dict[str, Any] = {}
    for key, value in changes.items():
        key = str(key)
        if key in FIXED_KEYS:
            problems.append(Problem("cannot be corrected", field=key))
        elif key == "standard_version":
            if str(value or "").strip() != a.standard_version:
                problems.append(Problem(f"a correction keeps the standard version the interview was captured under "
                                        f"({a.standard_version})", field=key))
        else:
            given[key] = value
    before = assessment_values(a)
    merged = {**before, **given, "standard_version": a.standard_version}
    cleaned = validation.clean_assessment(merged, date_of_birth=_dob_of(a.subject), problems=problems)
    if not cleaned:  # the standard version itself is unusable: nothing more to check
        raise ValidationError(problems)
    after = _values_of_cleaned(cleaned, list(before))
    # a value refused above is judged by its old value for the questionnaire's conditions (no spurious
    # "is asked now" because a mistyped age reads as empty)
    refused = {p.field for p in problems}
    cleared = _check_relevance(std, before, {k: before[k] if k in refused else v for k, v in after.items()},
                               given, problems)
    if problems:
        raise ValidationError(problems)
    for qid in cleared:
        after[qid] = None
        cleaned["indicators" if qid in cleaned["indicators"] else "factors"][qid] = validation.UNKNOWN
    changed = [name for name in before if after[name] != before[name]]
    if not changed:
        raise ValidationError("the correction changes nothing: every value given is the current one", field="changes")

    number = a.revision + 1
    AssessmentRevision.objects.create(
        assessment=a, number=number, changed_fields=changed, reason=reason, created_by=user,
        previous={name: before[name] for name in changed if name != "notes"},
        previous_notes=before["notes"] if "notes" in changed else "",
    )
    for f in ASSESSMENT_FIELDS:
        if f == "standard_version":
            continue
        value = cleaned.get(f)
        setattr(a, f, value if value is not None else
                (None if f in ("age", "interview_date") else validation.UNKNOWN if f in FLAG_FIELDS else ""))
    a.indicators = {**a.indicators, **cleaned["indicators"]}
    a.factors = {**a.factors, **cleaned["factors"]}
    a.notes = cleaned.get("notes", "")
    a.revision = number
    a.corrected_at = timezone.now()
    a.save()
    audit_record(actor=user, action="assessment.correct", object_type="assessment", object_ref=a.ref,
                 detail=_names_detail(f"revision={number}", changed))
    return a


# -- access grants -----------------------------------------------------------------------------------------

@_checked("grant.manage", action="grant.create")
def access_grant_create(*, user, subject: Subject, agency, reason: str, days: int = 90) -> AccessGrant:
    """Give ``agency`` access to ``subject`` for ``days`` (only the owning agency's supervisors can)."""
    problems = []
    if subject.agency_id != user.agency_id:
        problems.append(Problem("only the agency that owns the record can share it", field="subject"))
    if agency.pk == subject.agency_id:
        problems.append(Problem("the agency already owns this record", field="agency"))
    if not reason.strip():
        problems.append(Problem("is required: say why (e.g. the referral and the consent it rests on)", field="reason"))
    if not 1 <= days <= 365:
        problems.append(Problem("must be between 1 and 365 days", field="days"))
    if problems:
        raise ValidationError(problems)
    grant = AccessGrant.objects.create(agency=agency, subject=subject, granted_by=user, reason=reason.strip()[:300],
                                       expires_at=timezone.now() + dt.timedelta(days=days))
    audit_record(actor=user, action="grant.create", object_type="subject", object_ref=subject.ref,
                 detail=f"agency={agency.key} days={days}")
    return grant


@_checked("grant.manage", action="grant.revoke")
def access_grant_revoke(*, user, grant: AccessGrant) -> AccessGrant:
    if grant.subject.agency_id != user.agency_id:
        from django.http import Http404

        raise Http404("No such grant")
    grant.revoked_at = timezone.now()
    grant.save(update_fields=["revoked_at"])
    audit_record(actor=user, action="grant.revoke", object_type="subject", object_ref=grant.subject.ref,
                 detail=f"agency={grant.agency.key}")
    return grant


# -- erasure ------------------------------------------------------------------------------------------------

@_checked("case.erase", action="subject.erase")
def subject_erase(*, user, subject: Subject, reason: str) -> dict[str, int]:
    """Hard-delete a subject and everything recorded about them (identity, assessments, consents, journey,
    grants). Only the owning agency can erase; the audit trail keeps pseudonymous rows (and this erasure)."""
    from django.http import Http404

    if subject.agency_id != user.agency_id:
        raise Http404("No such subject")
    if not reason.strip():
        raise ValidationError("is required: the legal ground or the request this erasure answers", field="reason")
    return subject_erase_records(actor=user, subject=subject)


def subject_erase_records(*, actor, subject: Subject, note: str = "") -> dict[str, int]:
    """The erasure itself, in the caller's transaction, without a permission check: shared by
    :func:`subject_erase` and the retention job (``retention.services.retention_apply``). Audited with counts
    only (``note`` adds e.g. ``by=retention``)."""
    counts = {"assessments": subject.assessments.count(), "legs": subject.legs.count(),
              "consents": subject.consents.count()}
    ref = subject.ref
    subject.delete()
    audit_record(actor=actor, action="subject.erase", object_type="subject", object_ref=ref,
                 detail=" ".join(f"{k}={v}" for k, v in counts.items()) + note)
    return counts
