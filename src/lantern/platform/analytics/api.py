"""REST API v1 for releases of disclosure-controlled tables (mounted on ``api.views.api``).

The same scoped selectors and audited services as the web pages (``selectors.release_*``,
``services.release_*``): a release of another agency answers 404 exactly like a missing one, a role
without ``assessment.analyse`` answers 403, a refused input or a failing disclosure check answers 422
with every problem. Only aggregates leave: metadata, the disclosure report (cells, suppressed counts,
audited intervals), the spec and, once published, the files exactly as stored.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpResponse
from ninja import Router, Schema, Status

from lantern.platform.analytics import compute, selectors, services
from lantern.platform.analytics.models import ReleaseState, StatRelease
from lantern.platform.api.schemas import ErrorOut

router = Router(tags=["releases"])
_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
FILE_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
              "json": "application/json", "crim_thb": "text/csv; charset=utf-8", "dp": "text/csv; charset=utf-8"}


class ReleaseSummary(Schema):
    ref: str
    title: str
    state: str
    spec_source: str
    standard_version: str
    dp_budget: float | None = None
    created_at: dt.datetime
    checked_at: dt.datetime | None = None
    published_at: dt.datetime | None = None


class ReleaseFileOut(Schema):
    fmt: str
    name: str
    sha256: str
    url: str


class PrivacyQueryOut(Schema):
    query: str
    epsilon: float
    accuracy: float | None = None  # 95% half-width of the noise
    charged_at: dt.datetime


class ReleaseOut(ReleaseSummary):
    created_by: str
    checked_by: str | None = None
    published_by: str | None = None
    spec: dict[str, Any]
    report: dict[str, Any] | None = None  # the disclosure report of the last check (per table, counts only)
    files: list[ReleaseFileOut]
    dp_spent: float
    dp_queries: list[PrivacyQueryOut]


class ReleaseIn(Schema):
    """A new draft: exactly one of ``example`` (a shipped spec, e.g. ``tcn_counts``), ``spec`` (a table spec
    as in docs/statistics.md) or ``measure`` (+ ``by``, ``period``, ``population``: one composed table)."""

    title: str = ""
    example: str = ""
    spec: dict[str, Any] | None = None
    measure: str = ""
    by: list[str] = []
    period: str = "year"
    population: str = "tcn"
    dp_budget: float | None = None


def _summary(r: StatRelease) -> dict:
    return {"ref": r.ref, "title": r.title, "state": r.state, "spec_source": r.spec_source,
            "standard_version": r.standard_version, "dp_budget": r.dp_budget, "created_at": r.created_at,
            "checked_at": r.checked_at, "published_at": r.published_at}


def _detail(r: StatRelease) -> dict:
    charges = list(r.charges.all())
    files = list(r.files.only("fmt", "name", "sha256")) if r.is_published else []
    return {**_summary(r), "created_by": r.created_by.username,
            "checked_by": r.checked_by.username if r.checked_by_id else None,
            "published_by": r.published_by.username if r.published_by_id else None,
            "spec": r.spec, "report": r.report,
            "files": [{"fmt": f.fmt, "name": f.name, "sha256": f.sha256,
                       "url": f"/api/v1/releases/{r.ref}/files/{f.fmt}"} for f in files],
            "dp_spent": sum(c.epsilon for c in charges),
            "dp_queries": [{"query": c.query, "epsilon": c.epsilon, "accuracy": c.accuracy,
                            "charged_at": c.charged_at} for c in charges]}


@router.get("/releases", response={200: list[ReleaseSummary], **_ERRORS})
def release_list(request, state: str = ""):
    """My agency's releases, newest first (`state=draft|checked|published` to filter)."""
    releases = selectors.release_list_for_user(user=request.user, state=state, audit=True)
    return [_summary(r) for r in releases]


@router.post("/releases", response={201: ReleaseOut, **_ERRORS})
def release_create(request, payload: ReleaseIn):
    """Create a draft release (validated now; nothing is computed until the check)."""
    spec, source = compute.spec_choice(example=payload.example, spec=payload.spec, measure=payload.measure,
                                       by=payload.by, period=payload.period, population=payload.population)
    release = services.release_create(user=request.user, title=payload.title, spec=spec, spec_source=source,
                                      dp_budget=payload.dp_budget)
    return Status(201, _detail(selectors.release_get_for_user(user=request.user, ref=release.ref)))


@router.get("/releases/{ref}", response={200: ReleaseOut, **_ERRORS})
def release_detail(request, ref: str):
    """One release: state, who checked and published it, the disclosure report, the DP queries, its files."""
    return _detail(selectors.release_get_for_user(user=request.user, ref=ref, audit=True))


@router.post("/releases/{ref}/check", response={200: ReleaseOut, **_ERRORS})
def release_check(request, ref: str):
    """Run the disclosure check: 200 and state `checked`, or 422 with every problem (the failing report is
    stored and the release stays a draft)."""
    release = selectors.release_get_for_user(user=request.user, ref=ref)
    services.release_check(user=request.user, release=release)
    return _detail(selectors.release_get_for_user(user=request.user, ref=ref))


@router.post("/releases/{ref}/publish", response={200: ReleaseOut, **_ERRORS})
def release_publish(request, ref: str):
    """Publish a checked release (recomputed and re-checked; refused with 422 otherwise, nothing published)."""
    release = selectors.release_get_for_user(user=request.user, ref=ref)
    services.release_publish(user=request.user, release=release)
    return _detail(selectors.release_get_for_user(user=request.user, ref=ref))


@router.get("/releases/{ref}/files/{fmt}", response={200: None, **_ERRORS})
def release_file(request, ref: str, fmt: str):
    """A file of a published release exactly as published: `csv`, `xlsx`, `json` (the disclosure report),
    `crim_thb` (Eurostat layout, when the tables fit it), `dp` (the DP answers, when there were queries)."""
    release = selectors.release_get_for_user(user=request.user, ref=ref, audit=True)
    file = release.files.filter(fmt=fmt).first() if release.state == ReleaseState.PUBLISHED else None
    if file is None:
        raise Http404("No such file")
    response = HttpResponse(bytes(file.content), content_type=FILE_TYPES.get(fmt, "application/octet-stream"))
    response["Content-Disposition"] = f'attachment; filename="{file.name}"'
    response["X-Content-SHA256"] = file.sha256
    return response


@router.get("/sources/national", response={200: dict[str, Any], **_ERRORS}, tags=["sources"])
def sources_national(request):
    """Cross-agency data-source suitability (analysts of a national anti-trafficking agency): the registers
    shared with the agency, linked on keyed Bloom-filter encodings; per register the records, linked persons,
    overlap with every other register, exact-key duplicates, field completeness and validity, timeliness and
    estimated coverage of the hidden population — aggregates only, counts 1–10 as `<11`, others rounded to 5."""
    return compute.national_sources(user=request.user)
