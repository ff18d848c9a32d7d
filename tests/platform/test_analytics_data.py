"""Generated test data for the analytics tests: an agency's subjects, assessments, journeys and identities.

Written with bulk inserts (not the audited services) so the fixture stays fast; nothing is real.
"""

from __future__ import annotations

import datetime as dt
import random

from lantern.platform import vocab

GIVEN = ["Zorilaxa", "Quentibor", "Mavrodina", "Yusterpal", "Kelbrinor", "Ostravena"]
FAMILY = ["Vantelorix", "Pembrawatt", "Drusceniq", "Hallowmere"]


def populate(user, *, n: int = 60, seed: int = 1, with_legs: bool = True) -> dict:
    """``n`` subjects of ``user``'s agency, one or two assessments each, a dated journey NP/IN → AE/TR → RO."""
    from lantern.platform.cases.models import (
        Assessment,
        JourneyLeg,
        Subject,
        SubjectIdentity,
        new_assessment_ref,
    )

    std = vocab.current()
    rng = random.Random(seed)
    indicators = [c.name for c in std.assessment_columns() if c.kind == "indicator"]
    factors = [c.name for c in std.assessment_columns() if c.kind == "factor"]
    sexes = std.code_list("sex").active_ids()[:2]
    sectors = std.code_list("sector").active_ids()[:3]
    subjects = Subject.objects.bulk_create([Subject(agency_id=user.agency_id, created_by=user) for _ in range(n)])
    subjects = list(Subject.objects.filter(agency_id=user.agency_id).order_by("id"))[-n:]
    assessments, legs, identities = [], [], []
    for i, s in enumerate(subjects):
        origin = rng.choice(["NP", "NP", "IN", "VN"])
        base = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(0, 600))
        for k in range(1 + (i % 5 == 0)):
            assessments.append(Assessment(
                ref=new_assessment_ref(), subject=s, agency_id=user.agency_id, standard_version=std.version,
                interview_date=base + dt.timedelta(days=30 * k), sex=rng.choice(sexes), age=rng.randrange(17, 60),
                citizenship=origin, country_of_interview="RO", sector=rng.choice(sectors),
                exploitation_form="", indicators={q: rng.choice(["yes", "no", "no", "unknown"]) for q in indicators},
                factors={q: rng.choice(["yes", "no"]) for q in factors}, created_by=user))
        if with_legs:
            transit = rng.choice(["AE", "AE", "TR"])
            left = base - dt.timedelta(days=rng.randrange(60, 200))
            arrived = left + dt.timedelta(days=rng.randrange(5, 40))
            legs += [JourneyLeg(subject=s, order=1, country=origin, exit_date=left),
                     JourneyLeg(subject=s, order=2, country=transit, entry_date=left, exit_date=arrived, mode="air"),
                     JourneyLeg(subject=s, order=3, country="RO", entry_date=arrived, mode="air",
                                crossing_point="Otopeni")]
        identities.append(SubjectIdentity(subject=s, given_name=GIVEN[i % len(GIVEN)],
                                          family_name=FAMILY[i % len(FAMILY)], date_of_birth="1990-05-17"))
    Assessment.objects.bulk_create(assessments)
    JourneyLeg.objects.bulk_create(legs)
    SubjectIdentity.objects.bulk_create(identities)
    return {"subjects": [s.ref for s in subjects], "assessments": [a.ref for a in assessments],
            "names": GIVEN + FAMILY}
