"""Bulk import of assessments: the flat CSV format and ODK / KoboToolbox XLSForm submission exports.

All rows are parsed and validated first; if any row has a problem, nothing is saved and the report lists
every (row, field, reason). Otherwise all rows are saved in one transaction.

Subjects: when a row's ``subject_ref`` is a pseudonym the user can see, the interview is added to that
subject. Otherwise (empty, the source system's own reference, a pseudonym that does not exist — or one of
another agency, which is treated exactly the same) a new subject with a fresh random pseudonym is created;
rows of one file with the same unknown reference share that new subject. The unknown reference itself is
not stored (it may be identifying). The report gives each row's pseudonym.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from lantern.errors import Problem, ValidationError
from lantern.platform.audit.models import Outcome
from lantern.platform.audit.services import audit_record
from lantern.platform.cases import validation
from lantern.platform.cases.models import Assessment, Subject
from lantern.platform.cases.selectors import require, subjects_visible_to
from lantern.platform.cases.services import _make_assessment, _new_subject

FORMATS = ("csv", "xlsform")
# Columns an ODK Central / KoboToolbox export adds around the form's own fields.
_ODK_META = {"start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber", "username",
             "audit", "instanceid", "instancename", "submissiondate", "submitterid", "submittername",
             "attachmentsexpected", "attachmentspresent", "status", "reviewstate", "edits",
             "formversion", "key", "version", "__version__", "uuid", "id", "index", "parent_index",
             "submission_time", "submitted_by", "validation_status", "notes", "tags", "geolocation", "xform_id",
             "consent_given", "intro"}
_ID_COLUMNS = ("meta/instanceID", "instanceID", "_uuid", "KEY")


@dataclass
class ImportReport:
    format: str
    rows: int = 0
    created: list[str] = field(default_factory=list)  # assessment refs, in row order
    subjects: list[str] = field(default_factory=list)  # the subject pseudonym of each row, in row order
    new_subjects: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _decode(content: bytes) -> str:
    limit = settings.LANTERN_IMPORT_MAX_BYTES
    if len(content) > limit:
        raise ValidationError(f"the file is {len(content):,} bytes; the limit is {limit:,}", field="file", record="file")
    if not content.strip():
        raise ValidationError("the file is empty", field="file", record="file")
    if b"\x00" in content[:4096]:
        raise ValidationError("this is not a text CSV file (binary content; an .xlsx? export as CSV)", field="file",
                              record="file")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"the file is not UTF-8 text (byte {exc.start})", field="file", record="file") from exc


def _read_csv(text: str) -> tuple[list[str], list[dict[str, str]]]:
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ValidationError(f"malformed CSV: {exc}", field="file", record="file") from exc
    if not rows:
        raise ValidationError("the file has no header row", field="file", record="file")
    header = [h.strip() for h in rows[0]]
    if len(set(header)) != len(header):
        dup = sorted({h for h in header if header.count(h) > 1})
        raise ValidationError(f"duplicate columns: {', '.join(dup)}", field="header", record="row 1")
    body = [r for r in rows[1:] if any(cell.strip() for cell in r)]
    max_rows = settings.LANTERN_IMPORT_MAX_ROWS
    if len(body) > max_rows:
        raise ValidationError(f"{len(body):,} rows; the limit is {max_rows:,} per file", field="file", record="file")
    problems = []
    out = []
    for i, r in enumerate(body, start=2):
        if len(r) != len(header):
            problems.append(Problem(f"has {len(r)} cells, the header has {len(header)}", field="row", record=f"row {i}"))
            continue
        out.append(dict(zip(header, r, strict=True)))
    if problems:
        raise ValidationError(problems)
    return header, out


def _unxml(name: str) -> str:
    # the standard's XLSForm writes `dimension.slug` as `dimension__slug` (XLSForm names cannot hold a dot)
    return name.replace("__", ".", 1) if "__" in name and "." not in name else name


def _xlsform_row(raw: dict[str, str], form_ids: set[str]) -> tuple[dict[str, str], str, dict[str, str]]:
    """Map an ODK/Kobo export row (``group/sub/field`` names) to flat-format names. Returns (flat row,
    instance id, the form's other answers — consent, languages, … — which are not part of the flat format)."""
    flat: dict[str, str] = {}
    other: dict[str, str] = {}
    external = ""
    for key, value in raw.items():
        if key in _ID_COLUMNS and value:
            external = external or value
        parts = [_unxml(p.strip()) for p in key.split("/")]
        name = parts[-1]
        if key.startswith("_") or name.lower().lstrip("_") in _ODK_META or key.lower().startswith("meta/"):
            continue
        if any(p in form_ids for p in parts[:-1]):
            continue  # one column per choice of a select_multiple (e.g. consent_purposes/referral)
        if name in form_ids and name not in flat_names():
            other[name] = value
            continue
        flat[name] = value
    return flat, external, other


def flat_names() -> set[str]:
    from lantern.platform import vocab

    return {c.name for c in vocab.current().assessment_columns()}


def assessments_import(*, user, content: bytes, fmt: str = "csv") -> ImportReport:
    """Import a file of assessments for the user's agency: all rows or none."""
    require(user, "case.write", action="assessment.import")
    if fmt not in FORMATS:
        raise ValidationError(f"unknown format {fmt!r}: use {' or '.join(FORMATS)}", field="format")
    report = ImportReport(format=fmt)
    try:
        _header, raw_rows = _read_csv(_decode(content))
    except ValidationError as exc:
        report.problems = exc.problems
        audit_record(actor=user, action="assessment.import", outcome=Outcome.INVALID, detail=f"format={fmt} unreadable")
        return report
    report.rows = len(raw_rows)
    visible = {s.ref: s for s in subjects_visible_to(user).filter(
        ref__in={(r.get("subject_ref") or "").strip().upper() for r in raw_rows} - {""})}
    seen_external: dict[str, int] = {}
    planned = []
    from lantern.platform import vocab

    form_ids = vocab.form_question_ids()
    for i, raw in enumerate(raw_rows, start=2):
        record = f"row {i}"
        if fmt == "xlsform":
            row, external, _other = _xlsform_row(raw, form_ids)
        else:
            row, external = dict(raw), (raw.get("assessment_id") or "").strip()
        ref = (row.get("subject_ref") or "").strip().upper()
        agency = (row.get("agency") or "").strip()
        if agency and agency != user.agency.key:
            report.problems.append(Problem(f"you can import only for your own agency ({user.agency.key})",
                                           field="agency", record=record))
        subject = visible.get(ref) if ref else None
        if external:
            if external in seen_external:
                report.problems.append(Problem(f"the same id {external[:40]!r} as row {seen_external[external]}",
                                               field="assessment_id", record=record))
            seen_external[external] = i
        cleaned = validation.clean_assessment(row, record=record, problems=report.problems)
        planned.append((subject, ref, cleaned, external[:100]))
    if not report.problems and seen_external:
        dup = set(Assessment.objects.filter(agency_id=user.agency_id, external_id__in=seen_external)
                  .values_list("external_id", flat=True))
        for ext in sorted(dup):
            report.problems.append(Problem(f"{ext[:40]!r} was imported before", field="assessment_id",
                                           record=f"row {seen_external[ext]}"))
    if report.problems:
        audit_record(actor=user, action="assessment.import", outcome=Outcome.INVALID,
                     detail=f"format={fmt} rows={report.rows} problems={len(report.problems)}")
        return report
    with transaction.atomic():
        new_subjects: list[Subject] = []
        by_unknown_ref: dict[str, Subject] = {}
        for subject, ref, cleaned, external in planned:
            if subject is None:
                subject = by_unknown_ref.get(ref) if ref else None
                if subject is None:
                    subject = _new_subject(user=user)
                    new_subjects.append(subject)
                    if ref:
                        by_unknown_ref[ref] = subject
            a = _make_assessment(user=user, subject=subject, cleaned=cleaned, source=f"import-{fmt}",
                                 external_id=external)
            report.created.append(a.ref)
            report.subjects.append(subject.ref)
        report.new_subjects = len(new_subjects)
        audit_record(actor=user, action="assessment.import", object_type="assessment",
                     detail=f"format={fmt} rows={report.rows} new_subjects={len(new_subjects)}")
    return report
