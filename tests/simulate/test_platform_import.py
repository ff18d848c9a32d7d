"""The simulator's interviews and journeys pass the platform's own import validation (no database)."""

from __future__ import annotations

import pytest

pytest.importorskip("django")


def test_assessments_and_legs_clean_in_the_platform(world):
    from lantern.platform.cases.validation import check_journey_order, clean_assessment, clean_leg

    dob = dict(zip(world.people["person_id"], world.people["date_of_birth"], strict=True))
    rows = world.assessments.head(300).to_dicts()
    for row in rows:
        clean_assessment(row, record=row["assessment_id"], date_of_birth=dob[row["subject_ref"]])
    people = {r["subject_ref"] for r in rows[:50]}
    legs = world.journeys.filter(world.journeys["person_id"].is_in(list(people))).sort("person_id", "leg_no")
    by_person: dict[str, list[dict]] = {}
    for leg in legs.to_dicts():
        cleaned = clean_leg({**leg, "country": leg["to_country"]}, record=f"{leg['person_id']} leg {leg['leg_no']}")
        by_person.setdefault(leg["person_id"], []).append(cleaned)
    for pid, plan in by_person.items():
        assert check_journey_order(plan, record_prefix=pid) == []
