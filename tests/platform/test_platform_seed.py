from lantern.platform.accounts.models import Agency, User
from lantern.platform.cases.models import Assessment, JourneyLeg, Subject, SubjectIdentity
from lantern.platform.roles import Role
from lantern.platform.seed import DEMO_AGENCIES, seed_demo


def test_demo_seed_is_complete_and_idempotent(db, std):
    first = seed_demo(people=20, seed=3, password="Demo-Password-123")
    assert first.source in ("simulator", "generator")
    assert not first.skipped and first.subjects >= 20 and first.assessments >= first.subjects
    assert Agency.objects.count() == len(DEMO_AGENCIES)
    assert {a.type for a in Agency.objects.all()} <= set(std.code_list("agency_type").ids())
    assert User.objects.count() == len(DEMO_AGENCIES) * len(Role.values)
    assert Subject.objects.values("agency").distinct().count() >= 2
    assert JourneyLeg.objects.exists() and SubjectIdentity.objects.exists()
    a = Assessment.objects.first()
    assert set(a.indicators) == {c.name for c in std.assessment_columns() if c.kind == "indicator"}
    counts = (Subject.objects.count(), Assessment.objects.count(), JourneyLeg.objects.count())
    second = seed_demo(people=20, seed=3, password="Demo-Password-123")
    assert second.skipped and (Subject.objects.count(), Assessment.objects.count(), JourneyLeg.objects.count()) == counts
    assert User.objects.get(username="ngo-caseworker").check_password("Demo-Password-123")
