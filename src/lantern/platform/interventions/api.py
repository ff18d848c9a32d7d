"""REST API v1 for intervention plans and the screening explanation (mounted on ``api.views.api``).

Same conventions as the rest of the API: a record of another agency answers 404 exactly like a missing one,
a role without the capability 403, refused input 422 with every problem (record, field, reason).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Body, Router, Schema, Status

from lantern.platform.api.schemas import ErrorOut
from lantern.platform.cases import selectors as case_selectors
from lantern.platform.interventions import selectors, services
from lantern.platform.interventions.catalogue import catalogue, explain, lang_of

router = Router(tags=["intervention plans"])
_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class PlanItemOut(Schema):
    id: int
    intervention: str
    label: str
    standard_version: str
    status: str
    due_date: dt.date
    overdue: bool
    provider: str
    note: str | None = None
    agency: str
    source_assessment: str | None = None
    created_at: dt.datetime
    updated_at: dt.datetime


def _out(item, *, user, lang: str = "en") -> dict:
    try:
        label = catalogue(item.standard_version).get(item.intervention).label(lang)
    except Exception:  # an id retired from a later catalogue
        label = item.intervention
    own = item.agency_id == user.agency_id
    return {"id": item.pk, "intervention": item.intervention, "label": label,
            "standard_version": item.standard_version, "status": item.status, "due_date": item.due_date,
            "overdue": item.is_overdue(), "provider": item.provider, "note": item.note if own else None,
            "agency": item.agency.key, "source_assessment": item.source_assessment.ref if item.source_assessment
            else None, "created_at": item.created_at, "updated_at": item.updated_at}


@router.get("/subjects/{ref}/plan", response={200: list[PlanItemOut], **_ERRORS})
def plan_get(request, ref: str, lang: str = "en"):
    """The subject's intervention plan, by due date. Notes are shown for items of your own agency only."""
    subject = case_selectors.subject_get_for_user(user=request.user, ref=ref)
    return [_out(i, user=request.user, lang=lang_of(lang))
            for i in selectors.plan_for_subject(user=request.user, subject=subject)]


@router.post("/subjects/{ref}/plan", response={201: PlanItemOut, **_ERRORS})
def plan_item_create(request, ref: str, payload: dict = Body(...)):  # noqa: B008
    """Add an item: `{"intervention": "<catalogue id>", "due_date": "YYYY-MM-DD", "status": "planned",
    "provider": "<agency_type code>", "note": "…", "source_assessment": "<assessment ref>"}` (status, provider,
    note and source_assessment optional)."""
    subject = case_selectors.subject_get_for_user(user=request.user, ref=ref, capability="case.write")
    item = services.plan_item_add(user=request.user, subject=subject, data=payload)
    return Status(201, _out(item, user=request.user))


@router.patch("/subjects/{ref}/plan/{item_id}", response={200: PlanItemOut, **_ERRORS})
def plan_item_patch(request, ref: str, item_id: int, payload: dict = Body(...)):  # noqa: B008
    """Change `status`, `due_date`, `provider` or `note` of an item your agency added."""
    subject = case_selectors.subject_get_for_user(user=request.user, ref=ref, capability="case.write")
    item = selectors.plan_item_get_for_user(user=request.user, subject=subject, item_id=item_id, for_write=True)
    item = services.plan_item_update(user=request.user, item=item, data=payload)
    return _out(item, user=request.user)


@router.delete("/subjects/{ref}/plan/{item_id}", response={204: None, **_ERRORS})
def plan_item_delete(request, ref: str, item_id: int):
    subject = case_selectors.subject_get_for_user(user=request.user, ref=ref, capability="case.write")
    item = selectors.plan_item_get_for_user(user=request.user, subject=subject, item_id=item_id, for_write=True)
    services.plan_item_remove(user=request.user, item=item)
    return Status(204, None)


@router.get("/assessments/{ref}/screening", response={200: dict, **_ERRORS})
def assessment_screening(request, ref: str, lang: str = "en"):
    """The screening of one interview with its explanation (`lantern.screening`: score, level, contributions
    summing to the score, deciding indicators, profile by level, unknown answers, could-change) and the
    suggested interventions with their reasons (`lantern.toolkit`), in `lang` (en or ro)."""
    assessment = case_selectors.assessment_get_for_user(user=request.user, ref=ref)
    return explain(assessment, lang=lang_of(lang))
