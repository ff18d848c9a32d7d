"""REST API v1 (django-ninja): token auth, subjects, assessments, journeys, bulk import.

Each endpoint validates, calls one service or selector, and renders. A record of another agency answers 404
exactly like a missing one; a role without the capability answers 403; bad input answers 422 (400 for an
unreadable upload) with the list of problems (record, field, reason).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from ninja import Body, File, Form, NinjaAPI, Query, Schema, Status
from ninja.errors import ValidationError as NinjaValidationError
from ninja.files import UploadedFile
from ninja.security import HttpBearer

from lantern.errors import LanternError, Problem
from lantern.platform.accounts.services import token_authenticate
from lantern.platform.api.schemas import (
    AssessmentOut,
    Created,
    ErrorOut,
    IdentityIn,
    IdentityOut,
    ImportOut,
    LegIn,
    LegOut,
    SubjectIn,
    SubjectOut,
    SubjectPage,
)
from lantern.platform.cases import imports, selectors, services
from lantern.platform.cases.export import assessment_flat_row


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Lantern API",
    version="1",
    description="Subjects, assessments, journeys and statistics releases of your agency. Authenticate with `Authorization: Bearer <token>` "
    "(create one with `lantern token create USERNAME`).",
    auth=BearerToken(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


@api.exception_handler(LanternError)
def _lantern_error(request, exc: LanternError):
    status = 400 if any(p.record == "file" for p in exc.problems) else 422
    return api.create_response(request, {
        "detail": "the input was refused",
        "problems": [{"record": p.record, "field": p.field, "reason": p.reason} for p in exc.problems],
    }, status=status)


@api.exception_handler(NinjaValidationError)
def _schema_error(request, exc: NinjaValidationError):
    problems = []
    for err in exc.errors:
        loc = [str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path", "form", "payload", "file")]
        problems.append({"record": None, "field": ".".join(loc) or None, "reason": err.get("msg", "invalid")})
    return api.create_response(request, {"detail": "the input was refused", "problems": problems}, status=422)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"detail": "Not found"}, status=404)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return api.create_response(request, {"detail": "Your role does not allow this"}, status=403)


def _leg_out(leg) -> dict:
    return {f: getattr(leg, f) for f in ("order", "country", "entry_date", "exit_date", "mode", "crossing_point",
                                          "facilitator_type", "intra_eu")}


def _identity_out(identity) -> dict | None:
    if identity is None:
        return None
    return {"given_name": identity.given_name, "family_name": identity.family_name,
            "date_of_birth": identity.date_of_birth or None, "document_numbers": identity.document_numbers,
            "phone": identity.phone}


class ListFilters(Schema):
    ref: str = ""
    name: str = ""
    page: int = 1


@api.get("/subjects", response={200: SubjectPage, **_ERRORS}, tags=["subjects"])
def subject_list(request, filters: Query[ListFilters]):
    """Subjects of my agency (and those shared with it), newest first, 50 a page. `name` is an exact search
    on the normalised full name (through the blind index)."""
    qs = selectors.subject_list_for_user(user=request.user, name=filters.name, ref=filters.ref)
    paginator = Paginator(qs, 50)
    page = paginator.get_page(filters.page)
    return {
        "count": paginator.count,
        "page": page.number,
        "pages": max(1, math.ceil(paginator.count / 50)),
        "items": [{"ref": s.ref, "agency": s.agency.key, "created_at": s.created_at, "n_assessments": s.n_assessments,
                   "last_interview": s.last_interview} for s in page],
    }


@api.post("/subjects", response={201: Created, **_ERRORS}, tags=["subjects"])
def subject_create(request, payload: SubjectIn):
    subject = services.subject_create(user=request.user, identity=payload.identity.dict() if payload.identity else None)
    return Status(201, {"ref": subject.ref})


@api.get("/subjects/{ref}", response={200: SubjectOut, **_ERRORS}, tags=["subjects"])
def subject_detail(request, ref: str, include_identity: bool = False):
    """One subject. `include_identity=true` adds the decrypted identifiers (caseworkers and supervisors; audited)."""
    subject = selectors.subject_get_for_user(user=request.user, ref=ref)
    identity = None
    if include_identity:
        identity = _identity_out(selectors.identity_get_for_user(user=request.user, subject=subject))
    return {
        "ref": subject.ref, "agency": subject.agency.key, "created_at": subject.created_at,
        "assessments": [a.ref for a in selectors.assessment_list_for_subject(user=request.user, subject=subject)],
        "journey": [_leg_out(leg) for leg in selectors.journey_for_subject(user=request.user, subject=subject)],
        "identity": identity,
    }


class EraseIn(Schema):
    reason: str


@api.delete("/subjects/{ref}", response={204: None, **_ERRORS}, tags=["subjects"])
def subject_erase(request, ref: str, payload: EraseIn):
    """Erase the subject's whole case (supervisors of the owning agency): identity, assessments, consents,
    journey and grants are deleted; the audit trail keeps pseudonymous rows. `reason` states the ground."""
    subject = selectors.subject_get_for_user(user=request.user, ref=ref, capability="case.erase")
    services.subject_erase(user=request.user, subject=subject, reason=payload.reason)
    return Status(204, None)


@api.put("/subjects/{ref}/identity", response={200: IdentityOut, **_ERRORS}, tags=["subjects"])
def subject_identity_update(request, ref: str, payload: IdentityIn):
    subject = selectors.subject_get_for_user(user=request.user, ref=ref, capability="case.write")
    identity = services.subject_identity_update(user=request.user, subject=subject, identity=payload.dict())
    return _identity_out(identity)


@api.get("/subjects/{ref}/assessments", response={200: list[AssessmentOut], **_ERRORS}, tags=["assessments"])
def subject_assessments(request, ref: str):
    subject = selectors.subject_get_for_user(user=request.user, ref=ref)
    return [_assessment_out(a) for a in selectors.assessment_list_for_subject(user=request.user, subject=subject)]


@api.post("/subjects/{ref}/assessments", response={201: Created, **_ERRORS}, tags=["assessments"])
def assessment_create(request, ref: str, payload: Body[dict[str, Any]]):
    """Record an interview. The body is one row of the flat assessment format (JSON object): core columns
    (`standard_version`, `interview_date` required) and an answer for every indicator and factor id
    (1 / 0 / null, or "yes" / "no" / "unknown"), plus optional `notes`."""
    subject = selectors.subject_get_for_user(user=request.user, ref=ref, capability="case.write")
    body = {k: v for k, v in payload.items() if k not in ("subject_ref", "assessment_id", "agency")}
    assessment = services.assessment_create(user=request.user, subject=subject, data=body, source="api")
    return Status(201, {"ref": assessment.ref})


def _assessment_out(a) -> dict:
    row = assessment_flat_row(a)
    return {"ref": a.ref, "subject_ref": a.subject.ref, "agency": a.agency.key, "standard_version": a.standard_version,
            "interview_date": a.interview_date, "source": a.source, "created_at": a.created_at, "answers": row,
            "notes": a.notes, "revision": a.revision, "corrected_at": a.corrected_at}


@api.get("/assessments/export.csv", response={200: None, **_ERRORS}, tags=["assessments"])
def assessments_export(request):
    """All assessments recorded by my agency as a CSV in the flat assessment format (pseudonyms only, no
    identifiers, no notes) — for analysts and supervisors. Audited with the number of rows."""
    import csv
    import io

    from django.http import HttpResponse

    from lantern.platform import vocab
    from lantern.platform.audit.services import audit_record

    rows = selectors.assessment_rows_for_analysis(user=request.user)
    columns = [c.name for c in vocab.current().assessment_columns()]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    n = 0
    for a in rows.order_by("interview_date", "id").iterator(chunk_size=1000):
        writer.writerow({k: ("" if v is None else v) for k, v in assessment_flat_row(a).items()})
        n += 1
    audit_record(actor=request.user, action="assessment.export", object_type="assessment", detail=f"rows={n}")
    response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="assessments-{request.user.agency.key}.csv"'
    return response


@api.get("/assessments/{ref}", response={200: AssessmentOut, **_ERRORS}, tags=["assessments"])
def assessment_detail(request, ref: str):
    return _assessment_out(selectors.assessment_get_for_user(user=request.user, ref=ref))


class CorrectionIn(Schema):
    changes: dict[str, Any]
    reason: str = ""
    revision: int | None = None  # the revision you corrected; refused (422) if someone corrected it meanwhile


class RevisionOut(Schema):
    number: int
    created_at: dt.datetime
    created_by: str
    reason: str
    changed_fields: list[str]
    previous: dict[str, Any] | None = None  # old values: only for the agency that recorded the interview
    new: dict[str, Any] | None = None


@api.patch("/assessments/{ref}", response={200: AssessmentOut, **_ERRORS}, tags=["assessments"])
def assessment_correct(request, ref: str, payload: CorrectionIn):
    """Correct a saved interview (caseworkers and supervisors of the agency that recorded it). `changes` holds
    flat-format keys with their new values (core columns, indicator and factor ids, `notes`); `reason` is
    required. The corrected record is validated like an intake against its own standard version; any problem →
    422 with every problem and nothing changed. The replaced values are kept as a revision
    (`GET /assessments/{ref}/revisions`)."""
    assessment = selectors.assessment_get_for_user(user=request.user, ref=ref)
    corrected = services.assessment_correct(user=request.user, assessment=assessment, changes=payload.changes,
                                            reason=payload.reason, expected_revision=payload.revision)
    corrected.subject, corrected.agency = assessment.subject, assessment.agency
    return _assessment_out(corrected)


@api.get("/assessments/{ref}/revisions", response={200: list[RevisionOut], **_ERRORS}, tags=["assessments"])
def assessment_revisions(request, ref: str):
    """The corrections of an interview, newest first: who, when, why, which fields. The old and new values
    (`previous`, `new`) only for the agency that recorded it; `null` for an agency it is shared with."""
    assessment = selectors.assessment_get_for_user(user=request.user, ref=ref)
    items, _shown = selectors.assessment_history_for_user(user=request.user, assessment=assessment)
    return items


@api.get("/subjects/{ref}/journey", response={200: list[LegOut], **_ERRORS}, tags=["journeys"])
def journey_get(request, ref: str):
    subject = selectors.subject_get_for_user(user=request.user, ref=ref)
    return [_leg_out(leg) for leg in selectors.journey_for_subject(user=request.user, subject=subject)]


@api.put("/subjects/{ref}/journey", response={200: list[LegOut], **_ERRORS}, tags=["journeys"])
def journey_put(request, ref: str, payload: list[LegIn]):
    """Replace the journey with these legs, in order (intra-EU flags are computed)."""
    subject = selectors.subject_get_for_user(user=request.user, ref=ref, capability="case.write")
    legs = services.journey_replace(user=request.user, subject=subject, legs=[leg.dict() for leg in payload])
    return [_leg_out(leg) for leg in legs]


@api.post("/imports/assessments", response={200: ImportOut, 400: ImportOut, 422: ImportOut, 401: ErrorOut,
                                            403: ErrorOut}, tags=["imports"])
def assessments_import(request, file: File[UploadedFile], format: Form[str] = "csv"):  # noqa: A002
    """Import assessments from a CSV in the flat format (`format=csv`) or an ODK / KoboToolbox submission
    export of the standard's XLSForm (`format=xlsform`). All rows or none: any problem → 422 (400 when the
    file itself is unreadable or too large) with every problem (row, field, reason) and nothing saved."""
    from django.conf import settings

    if file.size and file.size > settings.LANTERN_IMPORT_MAX_BYTES:
        report = imports.ImportReport(format=format)
        report.problems = [Problem(f"the file is {file.size:,} bytes; the limit is "
                                           f"{settings.LANTERN_IMPORT_MAX_BYTES:,}", field="file", record="file")]
    else:
        report = imports.assessments_import(user=request.user, content=file.read(), fmt=format)
    body = {"ok": report.ok, "format": report.format, "rows": report.rows, "created": report.created,
            "subjects": report.subjects,
            "new_subjects": report.new_subjects,
            "problems": [{"record": p.record, "field": p.field, "reason": p.reason} for p in report.problems]}
    if report.ok:
        return Status(200, body)
    return Status(400 if any(p.record == "file" for p in report.problems) else 422, body)


# intervention plans and screening explanations (lantern.platform.interventions)
from lantern.platform.interventions.api import router as _interventions_router  # noqa: E402

api.add_router("/", _interventions_router)

# releases of disclosure-controlled tables (lantern.platform.analytics)
from lantern.platform.analytics.api import router as _releases_router  # noqa: E402

api.add_router("/", _releases_router)

# referrals between agencies (lantern.platform.referrals)
from lantern.platform.referrals.api import router as _referrals_router  # noqa: E402

api.add_router("/", _referrals_router)

# network tools, read-only (lantern.platform.network)
from lantern.platform.network.api import router as _network_router  # noqa: E402

api.add_router("/", _network_router)
