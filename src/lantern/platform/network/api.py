"""REST API v1, read-only, for the network tools (mounted on ``api.views.api``): the directory, the
responsibility matrix and the action plans the user's agency may see. Another agency's private plan answers 404
exactly like a missing one; no person data is in any answer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Router, Schema

from lantern.platform.api.schemas import ErrorOut
from lantern.platform.network import selectors

router = Router(tags=["network"])
_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class OrganisationOut(Schema):
    key: str
    name: str
    type: str
    country: str
    region: str
    on_platform: bool
    interventions: list[str]
    languages: list[str]
    contact_role: str
    contact_email: str
    website: str


class ResponsibilityOut(Schema):
    country: str
    area: str
    agency_type: str
    organisation: str | None = None
    legal_basis: str
    verified: bool
    notes: str


class PlanOut(Schema):
    ref: str
    title: str
    country: str
    period_start: dt.date
    period_end: dt.date
    recommendations: list[str]
    owner: str
    visibility: str


class ActionOut(Schema):
    title: str
    responsible: str
    due_date: dt.date
    status: str
    claimed: str
    overdue: bool


class KpiValueOut(Schema):
    period: str
    value: Decimal | None = None
    suppressed: bool
    computed: bool


class KpiOut(Schema):
    name: str
    definition: str
    metric: str
    target: Decimal | None = None
    baseline: Decimal | None = None
    unit: str
    source: str
    values: list[KpiValueOut]


class NoteOut(Schema):
    title: str
    language: str
    body: str
    created_at: dt.datetime


class PlanDetailOut(PlanOut):
    participants: list[str]
    actions: list[ActionOut]
    kpis: list[KpiOut]
    notes: list[NoteOut]


def _plan(p) -> dict:
    return {"ref": p.ref, "title": p.title, "country": p.country, "period_start": p.period_start,
            "period_end": p.period_end, "recommendations": p.recommendations, "owner": p.owner.key,
            "visibility": p.visibility}


@router.get("/network/organisations", response={200: list[OrganisationOut], **_ERRORS})
def organisation_list(request, country: str = "", type: str = "", strand: str = "", language: str = ""):  # noqa: A002
    """The directory of member organisations (every signed-in user)."""
    return [{**{k: getattr(o, k) for k in ("key", "name", "type", "country", "region", "interventions", "languages",
                                           "contact_role", "contact_email", "website")}, "on_platform": bool(o.agency_id)}
            for o in selectors.organisation_list(user=request.user, country=country.upper()[:2], type=type[:60],
                                                 strand=strand[:40], language=language[:10])]


@router.get("/network/responsibilities", response={200: list[ResponsibilityOut], **_ERRORS})
def responsibility_list(request, country: str = ""):
    """Who is legally responsible for what (``verified``: the legal basis was checked against the text)."""
    return [{"country": r.country, "area": r.area, "agency_type": r.agency_type,
             "organisation": r.organisation.key if r.organisation_id else None, "legal_basis": r.legal_basis,
             "verified": r.verified, "notes": r.notes}
            for r in selectors.responsibility_list(user=request.user, country=country.upper()[:2])]


@router.get("/network/plans", response={200: list[PlanOut], **_ERRORS})
def plan_list(request):
    """The action plans your agency owns or takes part in, and those open to the whole network."""
    return [_plan(p) for p in selectors.plan_list_for_user(user=request.user)]


@router.get("/network/plans/{ref}", response={200: PlanDetailOut, **_ERRORS})
def plan_read(request, ref: str):
    """One plan with its actions, KPIs (disclosure-controlled values) and briefing notes (markdown)."""
    p = selectors.plan_get_for_user(user=request.user, ref=ref)
    return {**_plan(p), "participants": sorted(o.key for o in p.participants.all()),
            "actions": [{"title": a.title, "responsible": a.responsible.key, "due_date": a.due_date,
                         "status": a.status, "claimed": a.claimed, "overdue": a.is_overdue()} for a in p.actions.all()],
            "kpis": [{"name": k.name, "definition": k.definition, "metric": k.metric, "target": k.target,
                      "baseline": k.baseline, "unit": k.unit, "source": k.source,
                      "values": [{"period": v.period, "value": v.value, "suppressed": v.suppressed,
                                  "computed": v.computed} for v in sorted(k.values.all(), key=lambda v: v.period)]}
                     for k in p.kpis.all()],
            "notes": [{"title": n.title, "language": n.language, "body": n.body, "created_at": n.created_at}
                      for n in p.notes.all()]}
