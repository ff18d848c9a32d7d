from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema


class ProblemOut(Schema):
    record: str | None = None
    field: str | None = None
    reason: str


class ErrorOut(Schema):
    detail: str
    problems: list[ProblemOut] = []


class IdentityIn(Schema):
    given_name: str = ""
    family_name: str = ""
    date_of_birth: dt.date | None = None
    document_numbers: str = ""
    phone: str = ""


class IdentityOut(IdentityIn):
    pass


class SubjectIn(Schema):
    identity: IdentityIn | None = None


class SubjectSummary(Schema):
    ref: str
    agency: str
    created_at: dt.datetime
    n_assessments: int
    last_interview: dt.date | None = None


class SubjectPage(Schema):
    count: int
    page: int
    pages: int
    items: list[SubjectSummary]


class LegIn(Schema):
    country: str
    entry_date: dt.date | None = None
    exit_date: dt.date | None = None
    mode: str = ""
    crossing_point: str = ""
    facilitator_type: str = ""


class LegOut(LegIn):
    order: int
    intra_eu: bool


class AssessmentOut(Schema):
    ref: str
    subject_ref: str
    agency: str
    standard_version: str
    interview_date: dt.date
    source: str
    created_at: dt.datetime
    answers: dict[str, Any]  # the flat format: core columns, then 1 / 0 / null per indicator and factor
    notes: str = ""
    revision: int = 1  # 1 as first saved, +1 per correction
    corrected_at: dt.datetime | None = None


class SubjectOut(Schema):
    ref: str
    agency: str
    created_at: dt.datetime
    assessments: list[str]
    journey: list[LegOut]
    identity: IdentityOut | None = None


class Created(Schema):
    ref: str


class ImportOut(Schema):
    ok: bool
    format: str
    rows: int
    created: list[str]
    subjects: list[str]
    new_subjects: int
    problems: list[ProblemOut]
