"""The network tools' services and selectors: validation (all problems at once, nothing saved), who may edit
what, which plans a user sees (404 alike for missing and not visible), KPIs computed as disclosure-controlled
aggregates, audit rows without values, the demo seed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from lantern.errors import ValidationError
from lantern.platform.accounts.models import Agency
from lantern.platform.audit.models import AuditEvent
from lantern.platform.network import kpis, selectors, services
from lantern.platform.network.models import ActionPlan, KpiValue, Organisation, Responsibility
from lantern.platform.roles import Role


@pytest.fixture
def coord(make_user):
    return make_user(Role.COORDINATOR)


@pytest.fixture
def other_coord(make_user, agencies):
    return make_user(Role.COORDINATOR, agency=agencies[1])


def org_data(**kw):
    data = {"key": "ngo-east", "name": "NGO East", "type": "ngo", "country": "RO", "region": "Iasi",
            "interventions": ["protection.emergency_shelter", "rights.helpline"], "languages": "ro, en, ne",
            "contact_role": "Duty officer", "contact_email": "duty@ngo-east.example.org"}
    data.update(kw)
    return data


def make_plan(user, **kw):
    data = {"title": "Plan", "period_start": "2026-01-01", "period_end": "2026-12-31",
            "recommendations": ["3.2"], "visibility": "participants"}
    data.update(kw)
    return services.plan_create(user=user, data=data)


def test_organisation_create_checks_everything_against_the_standard_and_saves_nothing_on_a_problem(coord):
    with pytest.raises(ValidationError) as exc:
        services.organisation_create(user=coord, data=org_data(
            key="X", type="shelter", country="XX", interventions=["protection.nothing"], languages="ro, zz9",
            contact_email="not-an-address", website="javascript:alert(1)"))
    assert {p.field for p in exc.value.problems} == {"key", "type", "country", "interventions", "languages",
                                                     "contact_email", "website"}
    assert not Organisation.objects.exists()
    row = AuditEvent.objects.get(action="organisation.create")
    assert row.outcome == "invalid" and "contact_email" in row.detail and "not-an-address" not in row.detail
    org = services.organisation_create(user=coord, data=org_data())
    assert org.languages == ["ro", "en", "ne"] and org.standard_version
    assert org.interventions == ["protection.emergency_shelter", "rights.helpline"]
    with pytest.raises(ValidationError) as exc:
        services.organisation_create(user=coord, data=org_data())
    assert [p.field for p in exc.value.problems] == ["key"]


def test_only_coordinators_edit_and_only_in_their_own_country(coord, caseworker, agencies, make_user):
    with pytest.raises(PermissionDenied):
        services.organisation_create(user=caseworker, data=org_data())
    assert AuditEvent.objects.get(action="organisation.create").outcome == "denied"
    abroad = Agency.objects.create(key="ngo-wien", name="NGO Wien", type="ngo", country="AT")
    at_coord = make_user(Role.COORDINATOR, agency=abroad)
    org = services.organisation_create(user=coord, data=org_data())
    with pytest.raises(PermissionDenied):
        services.organisation_update(user=at_coord, organisation=org, data=org_data(name="Renamed"))
    with pytest.raises(PermissionDenied):  # nor move an entry out of one's country
        services.organisation_update(user=coord, organisation=org, data=org_data(country="AT"))
    org.refresh_from_db()
    assert (org.name, org.country) == ("NGO East", "RO")
    denied = AuditEvent.objects.filter(action="organisation.update", outcome="denied")
    assert denied.count() == 2 and {e.detail for e in denied} == {"other country"}
    services.organisation_update(user=coord, organisation=org, data=org_data(name="NGO East Iasi", languages="ro"))
    row = AuditEvent.objects.filter(action="organisation.update", outcome="ok").get()
    assert row.detail == "fields=languages,name" and "Iasi" not in row.detail


def test_responsibility_rows_need_a_basis_and_a_responsible_and_start_unverified(coord):
    with pytest.raises(ValidationError) as exc:
        services.responsibility_create(user=coord, data={"area": "identification"})
    assert {p.field for p in exc.value.problems} == {"agency_type", "legal_basis"}
    with pytest.raises(ValidationError) as exc:
        services.responsibility_create(user=coord, data={"area": "cooking", "agency_type": "chef",
                                                         "legal_basis": "x"})
    assert {p.field for p in exc.value.problems} == {"area", "agency_type"}
    row = services.responsibility_create(user=coord, data={"area": "residence_permit", "agency_type": "immigration",
                                                           "legal_basis": "OUG 194/2002"})
    assert row.country == "RO" and row.verified is False
    services.responsibility_update(user=coord, responsibility=row, data={
        "area": "residence_permit", "agency_type": "immigration", "legal_basis": "OUG 194/2002", "verified": "on"})
    row.refresh_from_db()
    assert row.verified
    assert AuditEvent.objects.get(action="responsibility.update").detail == "fields=verified"


def test_a_plan_is_seen_by_its_owner_and_participants_and_answers_404_like_a_missing_one(
        coord, other_coord, other_caseworker, agencies):
    plan = make_plan(coord)
    for user in (other_coord, other_caseworker):
        with pytest.raises(Http404):
            selectors.plan_get_for_user(user=user, ref=plan.ref)
        with pytest.raises(Http404):
            selectors.plan_get_for_user(user=user, ref="P-ZZZZZZZZZZ")
        assert plan not in selectors.plan_list_for_user(user=user)
    rows = AuditEvent.objects.filter(action="plan.read", outcome="not_found")
    assert rows.count() == 4
    # giving an action to an organisation of the other agency makes it a participant: its users now see the plan
    police = services.organisation_create(user=coord, agency=agencies[1], data=org_data(key="police-b", type="police"))
    services.plan_action_add(user=coord, plan=plan, data={"title": "Joint inspections", "responsible": police.key,
                                                          "due_date": "2026-06-30"})
    assert selectors.plan_get_for_user(user=other_caseworker, ref=plan.ref) == plan
    assert selectors.can_edit_plan(other_coord, plan) and not selectors.can_edit_plan(other_caseworker, plan)


def test_another_countrys_private_plan_is_hidden_a_network_plan_is_not(coord, make_user):
    abroad = Agency.objects.create(key="ngo-wien", name="NGO Wien", type="ngo", country="AT")
    at_coord = make_user(Role.COORDINATOR, agency=abroad)
    private, public = make_plan(at_coord), make_plan(at_coord, title="Open", visibility="network")
    assert private.country == "AT"
    with pytest.raises(Http404):
        selectors.plan_get_for_user(user=coord, ref=private.ref)
    assert selectors.plan_get_for_user(user=coord, ref=public.ref) == public
    with pytest.raises(Http404):  # seeing is not editing
        services.plan_action_add(user=coord, plan=public, data={"title": "x", "responsible": "", "due_date": ""})
    assert list(selectors.plan_list_for_user(user=coord)) == [public]


def test_plan_validation_and_overdue_actions(coord):
    with pytest.raises(ValidationError) as exc:
        make_plan(coord, title="", period_start="2026-12-31", period_end="2026-01-01",
                  recommendations=["3.2", "9.9"], visibility="everyone", participants=["nobody"])
    assert {p.field for p in exc.value.problems} == {"title", "period_end", "recommendations", "visibility",
                                                     "participants"}
    assert not ActionPlan.objects.exists()
    plan = make_plan(coord)
    org = services.organisation_create(user=coord, data=org_data())
    today = timezone.localdate()
    late = services.plan_action_add(user=coord, plan=plan, data={
        "title": "Map roles", "responsible": org.key, "due_date": today - dt.timedelta(days=3), "claimed": "locate"})
    services.plan_action_add(user=coord, plan=plan, data={
        "title": "Roundtable", "responsible": org.key, "due_date": today - dt.timedelta(days=9), "status": "done"})
    services.plan_action_add(user=coord, plan=plan, data={
        "title": "Notes", "responsible": org.key, "due_date": today + dt.timedelta(days=9)})
    assert [a.title for a in selectors.overdue_actions_for_user(user=coord)] == ["Map roles"]
    services.plan_action_update(user=coord, plan=plan, action=late, data={"status": "done"})
    assert selectors.overdue_actions_for_user(user=coord) == []
    with pytest.raises(ValidationError) as exc:
        services.plan_action_update(user=coord, plan=plan, action=late, data={"status": "finished",
                                                                               "due_date": "soon"})
    assert {p.field for p in exc.value.problems} == {"status", "due_date"}


def test_protected_counts_follow_the_platforms_rules():
    assert [kpis.protected_count(n) for n in (0, 1, 10)] == [
        kpis.Measured(0, False), kpis.Measured(None, True), kpis.Measured(None, True)]
    assert [kpis.protected_count(n).value for n in (11, 12, 13, 18, 101)] == [15, 15, 15, 20, 100]
    assert kpis.period_range("2026-Q4") == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert kpis.period_range("2026") == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert kpis.quarters(dt.date(2025, 11, 3), dt.date(2026, 4, 1)) == ["2025-Q4", "2026-Q1", "2026-Q2"]
    with pytest.raises(ValidationError):
        kpis.period_range("2026-Q5")


def _referrals(n, *, agencies, sender, days):
    """``n`` accepted referrals to the police agency, answered ``days[i]`` days after being sent."""
    from lantern.platform.cases.models import Subject
    from lantern.platform.referrals.models import Referral

    now = timezone.now()
    for i in range(n):
        subject = Subject.objects.create(agency=agencies[0], created_by=sender)
        Referral.objects.create(subject=subject, from_agency=agencies[0], to_agency=agencies[1], sent_by=sender,
                                status="accepted", sent_at=now - dt.timedelta(days=days[i % len(days)]),
                                responded_at=now, responded_by=sender)


def test_computed_kpis_are_suppressed_under_11_and_rounded_above(coord, caseworker, agencies):
    today = timezone.localdate()
    period = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    _referrals(10, agencies=agencies, sender=caseworker, days=[1, 2, 3])
    assert kpis.compute("referrals_accepted", country="RO", period=period) == kpis.Measured(None, True)
    assert kpis.compute("referral_days_to_accept", country="RO", period=period) == kpis.Measured(None, True)
    assert kpis.compute("referrals_accepted", country="AT", period=period) == kpis.Measured(0, False)
    _referrals(3, agencies=agencies, sender=caseworker, days=[2])
    assert kpis.compute("referrals_accepted", country="RO", period=period).value == 15  # 13, released as 15
    assert kpis.compute("referral_days_to_accept", country="RO", period=period).value == 2
    plan = make_plan(coord, period_start=dt.date(today.year, 1, 1).isoformat(),
                     period_end=dt.date(today.year, 12, 31).isoformat())
    kpi = services.plan_kpi_add(user=coord, plan=plan, data={"name": "Accepted", "definition": "d",
                                                             "metric": "referrals_accepted", "target": "40"})
    n = services.plan_kpis_refresh(user=coord, plan=plan)
    assert n == (today.month - 1) // 3 + 1  # one value per quarter so far
    now = KpiValue.objects.get(kpi=kpi, period=period)
    assert (now.value, now.suppressed, now.computed) == (15, False, True)
    with pytest.raises(ValidationError):  # a computed KPI takes no value by hand
        services.kpi_value_record(user=coord, plan=plan, kpi=kpi, data={"period": period, "value": "3"})


def test_persons_screened_counts_distinct_subjects_of_the_country(coord, caseworker, make_subject, flat_row):
    for _ in range(11):
        make_subject(caseworker)
    today = timezone.localdate() - dt.timedelta(days=3)
    period = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    assert kpis.compute("persons_screened", country="RO", period=period).value == 15  # 11 released as 15


def test_manual_values_and_notes_are_audited_without_their_text(coord):
    plan = make_plan(coord)
    kpi = services.plan_kpi_add(user=coord, plan=plan, data={"name": "Trained", "definition": "d", "target": "200",
                                                             "baseline": "0"})
    with pytest.raises(ValidationError) as exc:
        services.kpi_value_record(user=coord, plan=plan, kpi=kpi, data={"period": "Q3", "value": "many"})
    assert {p.field for p in exc.value.problems} == {"period", "value"}
    services.kpi_value_record(user=coord, plan=plan, kpi=kpi, data={"period": "2026-q3", "value": "45"})
    services.kpi_value_record(user=coord, plan=plan, kpi=kpi, data={"period": "2026-Q3", "value": "47"})
    assert [(v.period, v.value) for v in kpi.values.all()] == [("2026-Q3", 47)]
    services.briefing_note_add(user=coord, plan=plan, data={"title": "Secret title", "language": "ro",
                                                            "body": "Confidential body"})
    text = " ".join(e.detail + e.object_ref for e in AuditEvent.objects.all())
    assert "Secret" not in text and "Confidential" not in text and "47" not in text


def test_demo_seed_of_the_network_keeps_the_other_counts(db, std):
    from lantern.platform.network.models import Kpi, PlanAction
    from lantern.platform.network.seed import seed_network
    from lantern.platform.seed import DEMO_AGENCIES, seed_demo
    from lantern.toolkit import load_catalogue

    seed_demo(people=20, seed=3, password="Demo-Password-123")
    assert Agency.objects.count() == len(DEMO_AGENCIES)  # outside organisations are directory entries only
    orgs = Organisation.objects.all()
    assert orgs.filter(agency__isnull=False).count() == len(DEMO_AGENCIES) and orgs.filter(agency=None).count() >= 3
    ids = {i.id for i in load_catalogue(std).interventions}
    for o in orgs:
        assert o.type in std.code_list("agency_type").ids() and set(o.interventions) <= ids
        assert all(code in std.languages for code in o.languages)
    rows = Responsibility.objects.filter(country="RO")
    assert rows.count() >= 7 and not rows.filter(verified=True).exists()  # nothing checked against the text yet
    assert set(rows.values_list("area", flat=True)) == set(services.AREAS)
    plan = ActionPlan.objects.get()
    assert 4 <= PlanAction.objects.filter(plan=plan).count() <= 6
    assert Kpi.objects.filter(plan=plan).count() == 3 and Kpi.objects.filter(plan=plan).exclude(metric="").count() == 1
    assert plan.notes.count() == 2 and selectors.overdue_actions_for_user(
        user=plan.created_by) != []
    assert seed_network() == {} and ActionPlan.objects.count() == 1
