"""REST API v1 for referrals (mounted on ``api.views.api`` under ``/api/v1/referrals``).

Same conventions as the rest of the API: a referral of another pair of agencies answers 404 exactly like a
missing one, a role without the capability 403, refused input 422 with every problem (record, field, reason).
Until the receiving agency accepts, ``subject`` is null for it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Query, Router, Schema, Status

from lantern.platform.api.schemas import ErrorOut
from lantern.platform.cases import selectors as case_selectors
from lantern.platform.referrals import selectors, services

router = Router(tags=["referrals"])
_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class ConsentRef(Schema):
    id: int
    scope: str
    given_on: dt.date
    withdrawn: bool


class ReferralOut(Schema):
    ref: str
    status: str
    direction: str
    from_agency: str
    to_agency: str
    subject: str | None = None
    basis: str
    consent: ConsentRef | None = None
    override_reason: str | None = None
    intervention: str | None = None
    standard_version: str | None = None
    note: str
    sent_at: dt.datetime
    responded_at: dt.datetime | None = None
    decline_reason: str | None = None
    ended_at: dt.datetime | None = None
    end_reason: str | None = None
    access_until: dt.datetime | None = None


class ReferralIn(Schema):
    subject: str
    to_agency: str
    consent: int | None = None
    override_reason: str = ""
    intervention: str = ""
    plan_item: int | None = None
    note: str = ""


class AcceptIn(Schema):
    days: int | None = None


class ReasonIn(Schema):
    reason: str = ""


class ListFilters(Schema):
    box: str = "all"
    status: str = ""


def _out(referral, request) -> dict:
    return selectors.referral_view(referral, user=request.user)


@router.get("/referrals", response={200: list[ReferralOut], **_ERRORS})
def referral_list(request, filters: Query[ListFilters]):
    """Referrals your agency received (`box=inbox`), sent (`box=outbox`) or both (`all`), newest first, at
    most 500; `status` filters (sent, accepted, declined, withdrawn, closed)."""
    qs = selectors.referral_list_for_user(user=request.user, box=filters.box, status=filters.status)
    return [_out(r, request) for r in qs[:500]]


@router.get("/referrals/{ref}", response={200: ReferralOut, **_ERRORS})
def referral_read(request, ref: str):
    return _out(selectors.referral_get_for_user(user=request.user, ref=ref), request)


@router.post("/referrals", response={201: ReferralOut, **_ERRORS})
def referral_send(request, payload: ReferralIn):
    """Refer a subject of your agency: `{"subject": "S-…", "to_agency": "<agency key>", "consent": <consent
    id>, "intervention": "<catalogue id>", "note": "…"}`; supervisors may send without `consent`, with
    `override_reason`. The note must carry no identifier."""
    subject = case_selectors.subject_get_for_user(user=request.user, ref=payload.subject, capability="referral.send")
    referral = services.referral_send(
        user=request.user, subject=subject, to_agency=payload.to_agency, consent=payload.consent,
        override_reason=payload.override_reason, intervention=payload.intervention, plan_item=payload.plan_item,
        note=payload.note)
    return Status(201, _out(referral, request))


@router.post("/referrals/{ref}/accept", response={200: ReferralOut, **_ERRORS})
def referral_accept(request, ref: str, payload: AcceptIn | None = None):
    """Accept a referral sent to your agency: the subject opens to it for `days` (default 90; 7 at most for a
    referral without consent)."""
    referral = selectors.referral_get_for_user(user=request.user, ref=ref, capability="referral.receive")
    referral = services.referral_accept(user=request.user, referral=referral, days=payload.days if payload else None)
    return _out(referral, request)


@router.post("/referrals/{ref}/decline", response={200: ReferralOut, **_ERRORS})
def referral_decline(request, ref: str, payload: ReasonIn):
    referral = selectors.referral_get_for_user(user=request.user, ref=ref, capability="referral.receive")
    return _out(services.referral_decline(user=request.user, referral=referral, reason=payload.reason), request)


@router.post("/referrals/{ref}/withdraw", response={200: ReferralOut, **_ERRORS})
def referral_withdraw(request, ref: str, payload: ReasonIn | None = None):
    referral = selectors.referral_get_for_user(user=request.user, ref=ref, capability="referral.send")
    return _out(services.referral_withdraw(user=request.user, referral=referral,
                                           reason=payload.reason if payload else ""), request)


@router.post("/referrals/{ref}/close", response={200: ReferralOut, **_ERRORS})
def referral_close(request, ref: str, payload: ReasonIn | None = None):
    referral = selectors.referral_get_for_user(user=request.user, ref=ref, capability="referral.receive")
    return _out(services.referral_close(user=request.user, referral=referral,
                                        reason=payload.reason if payload else ""), request)
