"""An assessment as one row of the flat assessment format (docs/architecture.md)."""

from __future__ import annotations

from typing import Any

from lantern.platform.cases.validation import flag_to_int

CORE = ("sex", "age", "citizenship", "country_of_interview", "region", "legal_status", "education", "sector",
        "exploitation_form")
#: yes/no/unknown answers of the core, written 1 / 0 / null like the indicators and factors
FLAGS = ("identified_victim",)


def assessment_flat_row(a) -> dict[str, Any]:
    row: dict[str, Any] = {
        "assessment_id": a.ref,
        "subject_ref": a.subject.ref,
        "standard_version": a.standard_version,
        "agency": a.agency.key,
        "interview_date": a.interview_date.isoformat(),
    }
    for name in CORE:
        value = getattr(a, name)
        row[name] = value if value not in ("",) else None
    for name in FLAGS:
        row[name] = flag_to_int(getattr(a, name))
    for answers in (a.indicators, a.factors):
        for key, answer in answers.items():
            row[key] = flag_to_int(answer)
    return row
