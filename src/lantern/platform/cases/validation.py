"""Validation of assessments, identities and journeys against the data standard.

Every function collects *all* problems and raises one :class:`lantern.errors.ValidationError` naming the
record (row), the field and the reason. Nothing here writes to the database.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from lantern.errors import Problem, ValidationError
from lantern.platform import vocab

YES, NO, UNKNOWN = "yes", "no", "unknown"
_FLAG_VALUES = {
    "1": YES, "1.0": YES, "yes": YES, "y": YES, "true": YES, "da": YES,
    "0": NO, "0.0": NO, "no": NO, "n": NO, "false": NO, "nu": NO,
    "": UNKNOWN, "unknown": UNKNOWN, "null": UNKNOWN, "na": UNKNOWN, "n/a": UNKNOWN, "none": UNKNOWN,
}
_PHONE = re.compile(r"^\+?[0-9 ()./-]{5,25}$")
MIN_DATE = dt.date(1900, 1, 1)

IDENTITY_FIELDS = ("given_name", "family_name", "date_of_birth", "document_numbers", "phone")
LEG_FIELDS = ("country", "entry_date", "exit_date", "mode", "crossing_point", "facilitator_type")
TEXT_LIMITS = {"region": 120, "given_name": 200, "family_name": 200, "document_numbers": 300,
               "crossing_point": 120, "notes": 5000}


def today() -> dt.date:
    return timezone.localdate()


def parse_flag(value: Any) -> str | None:
    """'yes' | 'no' | 'unknown', or None when the value is not a recognised answer."""
    if value is None:
        return UNKNOWN
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, int | float):
        return {1: YES, 0: NO}.get(value)  # type: ignore[call-overload]
    return _FLAG_VALUES.get(str(value).strip().lower())


def flag_to_int(answer: str) -> int | None:
    return {YES: 1, NO: 0}.get(answer)


def parse_date(value: Any, *, field: str, record: str | None, problems: list[Problem],
               allow_future: bool = False) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            problems.append(Problem(f"{str(value)[:30]!r} is not a date (use YYYY-MM-DD)", field=field, record=record))
            return None
    if value < MIN_DATE:
        problems.append(Problem(f"{value.isoformat()} is before {MIN_DATE.isoformat()}", field=field, record=record))
        return None
    if not allow_future and value > today():
        problems.append(Problem(f"{value.isoformat()} is in the future", field=field, record=record))
        return None
    return value


def _text(data: Mapping, name: str, record, problems) -> str:
    raw = data.get(name)
    value = "" if raw is None else str(raw).strip()
    limit = TEXT_LIMITS.get(name, 200)
    if len(value) > limit:
        problems.append(Problem(f"is longer than {limit} characters", field=name, record=record))
        return ""
    return value


def clean_assessment(
    data: Mapping[str, Any],
    *,
    record: str | None = None,
    date_of_birth: dt.date | None = None,
    allowed_extra: frozenset[str] = frozenset(),
    problems: list[Problem] | None = None,
    answers_required: bool = True,
) -> dict[str, Any]:
    """Check one assessment in the flat format (column names = the standard's ids).

    Required: ``standard_version`` (a version this platform knows), ``interview_date`` (not in the future,
    not before the date of birth), and an answer to every active indicator and factor of that version
    (``unknown`` is an answer; a missing key is not). Codes must be in the standard's code lists.
    Keys that are neither columns of the format nor in ``allowed_extra`` are refused.

    Returns the cleaned values with ``indicators`` and ``factors`` as ``{id: yes|no|unknown}``.
    Raises ValidationError with every problem found (or appends to ``problems`` when given).
    """
    own = problems is None
    problems = [] if problems is None else problems
    start = len(problems)
    version = str(data.get("standard_version") or "").strip()
    if not version:
        problems.append(Problem("is required", field="standard_version", record=record))
        std = None
    else:
        try:
            std = vocab.standard_for(version)
        except ValidationError as exc:
            problems.extend(Problem(p.reason, field=p.field, record=record) for p in exc.problems)
            std = None
    if std is None:
        if own:
            raise ValidationError(problems)
        return {}

    columns = std.assessment_columns()
    known = {c.name for c in columns} | set(allowed_extra) | {"notes"}
    for key in data:
        if key not in known:
            problems.append(Problem(f"is not a column of standard {version}", field=str(key), record=record))

    out: dict[str, Any] = {"standard_version": version, "indicators": {}, "factors": {}}
    for col in columns:
        name = col.name
        if name in ("assessment_id", "subject_ref", "agency", "standard_version"):
            continue
        if col.kind in ("indicator", "factor"):
            if name not in data:
                if not answers_required or not vocab.relevant(name, data, std=std):
                    out["indicators" if col.kind == "indicator" else "factors"][name] = UNKNOWN
                    continue
                problems.append(Problem("no answer given (answer yes, no or unknown)", field=name, record=record))
                continue
            answer = parse_flag(data[name])
            if answer is None:
                problems.append(Problem(f"{str(data[name])[:20]!r} is not an answer: use 1/0/empty or yes/no/unknown",
                                        field=name, record=record))
                continue
            out["indicators" if col.kind == "indicator" else "factors"][name] = answer
            continue
        if col.dtype == "flag":  # a yes/no/unknown question of the core, e.g. identified_victim
            answer = parse_flag(data.get(name))
            if answer is None:
                problems.append(Problem(f"{str(data[name])[:20]!r} is not an answer: use 1/0/empty or yes/no/unknown",
                                        field=name, record=record))
                continue
            out[name] = answer
            continue
        raw = data.get(name)
        empty = raw is None or (isinstance(raw, str) and not raw.strip())
        if empty:
            if col.required:
                problems.append(Problem("is required", field=name, record=record))
            out[name] = None if col.dtype in ("int", "date") else ""
            continue
        if col.dtype == "date":
            out[name] = parse_date(raw, field=name, record=record, problems=problems)
        elif col.dtype == "int":
            try:
                number = int(float(str(raw).strip()))
                if float(str(raw).strip()) != number:
                    raise ValueError
            except ValueError:
                problems.append(Problem(f"{str(raw)[:20]!r} is not a whole number", field=name, record=record))
                continue
            if name == "age" and not 0 <= number <= 120:
                problems.append(Problem(f"{number} is not an age between 0 and 120", field=name, record=record))
                continue
            out[name] = number
        elif col.code_list:
            code = str(raw).strip()
            if col.code_list == "country":
                code = code.upper()
            if not vocab.in_code_list(col.code_list, code, std=std):
                problems.append(Problem(f"{code[:30]!r} is not a code of the list '{col.code_list}' in standard {version}",
                                        field=name, record=record))
                continue
            out[name] = code
        else:
            out[name] = _text(data, name, record, problems)
    out["notes"] = _text(data, "notes", record, problems)

    interview = out.get("interview_date")
    if interview and date_of_birth and date_of_birth > interview:
        problems.append(Problem(f"the date of birth ({date_of_birth.isoformat()}) is after the interview",
                                field="date_of_birth", record=record))
    if interview and date_of_birth and out.get("age") is not None:
        years = interview.year - date_of_birth.year - ((interview.month, interview.day) < (date_of_birth.month, date_of_birth.day))
        if abs(years - out["age"]) > 1:
            problems.append(Problem(f"age {out['age']} does not match the date of birth ({years} at interview)",
                                    field="age", record=record))
    if own and len(problems) > start:
        raise ValidationError(problems)
    return out


def clean_identity(data: Mapping[str, Any], *, record: str | None = None,
                   problems: list[Problem] | None = None) -> dict[str, Any]:
    """Names, date of birth (not in the future), document numbers, phone. All optional."""
    own = problems is None
    problems = [] if problems is None else problems
    start = len(problems)
    out = {name: _text(data, name, record, problems) for name in ("given_name", "family_name", "document_numbers")}
    out["date_of_birth"] = parse_date(data.get("date_of_birth"), field="date_of_birth", record=record, problems=problems)
    phone = _text(data, "phone", record, problems)
    if phone and not _PHONE.match(phone):
        problems.append(Problem("is not a phone number (digits, spaces, + - ( ) only)", field="phone", record=record))
    out["phone"] = phone
    if own and len(problems) > start:
        raise ValidationError(problems)
    return out


def clean_leg(data: Mapping[str, Any], *, record: str | None = None, std=None,
              problems: list[Problem] | None = None) -> dict[str, Any]:
    own = problems is None
    problems = [] if problems is None else problems
    start = len(problems)
    std = std or vocab.current()
    out: dict[str, Any] = {}
    country = str(data.get("country") or "").strip().upper()
    if not country:
        problems.append(Problem("is required", field="country", record=record))
    elif not vocab.is_country(country, std=std):
        problems.append(Problem(f"{country[:10]!r} is not an ISO 3166-1 alpha-2 country code", field="country", record=record))
    out["country"] = country
    out["entry_date"] = parse_date(data.get("entry_date"), field="entry_date", record=record, problems=problems)
    out["exit_date"] = parse_date(data.get("exit_date"), field="exit_date", record=record, problems=problems)
    if out["entry_date"] and out["exit_date"] and out["exit_date"] < out["entry_date"]:
        problems.append(Problem(f"exit ({out['exit_date'].isoformat()}) is before entry ({out['entry_date'].isoformat()})",
                                field="exit_date", record=record))
    for name, list_name in (("mode", "leg_mode"), ("facilitator_type", "facilitator_type")):
        code = str(data.get(name) or "").strip()
        if code and not vocab.in_code_list(list_name, code, std=std):
            problems.append(Problem(f"{code[:30]!r} is not a code of the list '{list_name}'", field=name, record=record))
            code = ""
        out[name] = code
    out["crossing_point"] = _text(data, "crossing_point", record, problems)
    if own and len(problems) > start:
        raise ValidationError(problems)
    return out


def check_journey_order(legs: list[Mapping[str, Any]], *, record_prefix: str = "leg") -> list[Problem]:
    """Legs must follow each other in time: each entry on or after the previous leg's entry and exit."""
    problems = []
    previous = None
    for i, leg in enumerate(legs, start=1):
        entry = leg.get("entry_date")
        if previous is not None and entry:
            prev_entry, prev_exit = previous.get("entry_date"), previous.get("exit_date")
            if (prev_exit and entry < prev_exit) or (prev_entry and entry < prev_entry):
                problems.append(Problem("entry is before the end of the previous leg: check the order or the dates",
                                        field="entry_date", record=f"{record_prefix} {i}"))
        previous = leg
    return problems
