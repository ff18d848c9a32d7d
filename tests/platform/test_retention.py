"""Retention periods: due computation from the last activity, legal holds, the erasure job (dry run, exactly the
due cases, audit, other agencies untouched, referrals), the policy's bounds, the CLI and the web pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from typer.testing import CliRunner

from lantern.cli import app, main
from lantern.errors import ValidationError
from lantern.platform.audit.models import AuditEvent
from lantern.platform.cases import services as case_services
from lantern.platform.cases.models import AccessGrant, Assessment, Consent, Subject, SubjectIdentity
from lantern.platform.referrals import services as referral_services
from lantern.platform.referrals.models import Referral
from lantern.platform.retention import services
from lantern.platform.retention.models import (
    DEFAULT_DAYS,
    MAX_DAYS,
    MIN_DAYS,
    LegalHold,
    RetentionPolicy,
)
from lantern.platform.roles import Role

TODAY = dt.date.today()
IDENTITY = {"given_name": "Sita", "family_name": "Gurung", "document_numbers": "PA998877"}


@pytest.fixture(autouse=True)
def _tmp_var(tmp_path, monkeypatch):
    monkeypatch.setenv("LANTERN_VAR_DIR", str(tmp_path))


@pytest.fixture
def w(agencies, make_user, make_subject):
    own, other = agencies
    users = {"cw": make_user(Role.CASEWORKER), "sup": make_user(Role.SUPERVISOR),
             "admin": make_user(Role.AGENCY_ADMIN), "other_cw": make_user(Role.CASEWORKER, agency=other),
             "other_sup": make_user(Role.SUPERVISOR, agency=other)}
    services.retention_policy_set(user=users["admin"], days=365)
    return {"own": own, "other": other, "make": make_subject, **users}


def age(subject: Subject, days: int) -> Subject:
    """Move every timestamped record of the subject ``days`` calendar days into the past (as if nothing
    happened since). Noon local time of that date, not ``now - days``: across a daylight-saving change the
    latter lands on the next local date when the test runs just before midnight."""
    then = timezone.make_aware(dt.datetime.combine(TODAY - dt.timedelta(days=days), dt.time(12)))
    Subject.objects.filter(pk=subject.pk).update(created_at=then)
    Assessment.objects.filter(subject=subject).update(created_at=then)
    SubjectIdentity.objects.filter(subject=subject).update(updated_at=then)
    Consent.objects.filter(subject=subject).update(created_at=then)
    return subject


def old(w, days=400, user="cw", **kw) -> Subject:
    return age(w["make"](w[user], **kw), days)


def due_refs(agency, today=TODAY) -> set[str]:
    return {d.ref for d in services.retention_due(agency=agency, today=today)}


def referral_consent(w, subject):
    return case_services.consent_record(user=w["cw"], subject=subject, purpose="referral", scope="referral_network",
                                        given_on=TODAY.isoformat(), given_by="subject")


# -- due computation ----------------------------------------------------------------------------------------

def test_due_on_the_day_the_period_ends_after_the_last_activity(w):
    fresh = w["make"](w["cw"])
    assert due_refs(w["own"], TODAY + dt.timedelta(days=364)) == set()
    due = services.retention_due(agency=w["own"], today=TODAY + dt.timedelta(days=365))
    assert [(d.ref, d.due_on, d.blocked) for d in due] == [(fresh.ref, TODAY + dt.timedelta(days=365), "")]
    stale = old(w, days=365)
    assert due_refs(w["own"]) == {stale.ref}
    assert due_refs(w["own"], TODAY - dt.timedelta(days=1)) == set()  # one day earlier it was not yet due


def _consent(w, s):
    case_services.consent_record(user=w["cw"], subject=s, purpose="assessment", scope="own_agency",
                                 given_on=TODAY.isoformat(), given_by="subject")


def _journey(w, s):
    case_services.journey_leg_add(user=w["cw"], subject=s, data={"country": "RO"})


def _identity(w, s):
    case_services.subject_identity_update(user=w["cw"], subject=s, identity=IDENTITY)


def _assessment(w, s):
    case_services.assessment_correct(user=w["cw"], assessment=s.assessments.first(), changes={"age": 31},
                                     reason="the interpreter misheard the age")


def _plan(w, s):
    from lantern.platform.interventions.services import plan_item_add

    plan_item_add(user=w["cw"], subject=s, data={"intervention": "integration.language_course", "status": "planned",
                                          "due_date": (TODAY + dt.timedelta(days=7)).isoformat()})


def _referral(w, s):
    referral_services.referral_send(user=w["cw"], subject=s, to_agency=w["other"], consent=referral_consent(w, s))
    Consent.objects.filter(subject=s).update(created_at=timezone.now() - dt.timedelta(days=400))


def _withdrawal(w, s):  # an old referral, ended today
    r = referral_services.referral_send(user=w["cw"], subject=s, to_agency=w["other"], consent=referral_consent(w, s))
    Referral.objects.filter(pk=r.pk).update(sent_at=timezone.now() - dt.timedelta(days=400))
    Consent.objects.filter(subject=s).update(created_at=timezone.now() - dt.timedelta(days=400))
    referral_services.referral_withdraw(user=w["cw"], referral=r)


@pytest.mark.parametrize("activity", [_consent, _journey, _identity, _assessment, _plan, _referral, _withdrawal],
                         ids=lambda f: f.__name__.strip("_"))
def test_each_kind_of_activity_postpones_erasure(w, activity):
    subject = old(w)
    assert due_refs(w["own"]) == {subject.ref}
    activity(w, subject)
    assert due_refs(w["own"]) == set()
    assert due_refs(w["own"], TODAY + dt.timedelta(days=365)) == {subject.ref}


def test_reading_a_case_is_not_activity(w):
    from lantern.platform.cases.selectors import identity_get_for_user, subject_get_for_user

    subject = old(w, identity=IDENTITY)
    identity_get_for_user(user=w["cw"], subject=subject_get_for_user(user=w["cw"], ref=subject.ref))
    assert due_refs(w["own"]) == {subject.ref}


def test_the_default_period_applies_without_a_policy(w):
    RetentionPolicy.objects.all().delete()
    assert services.policy_days(w["own"]) == DEFAULT_DAYS == 1095
    subject = old(w, days=500)
    assert due_refs(w["own"]) == set()
    assert due_refs(w["own"], TODAY + dt.timedelta(days=DEFAULT_DAYS - 500)) == {subject.ref}


# -- policy -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("days", [MIN_DAYS - 1, MAX_DAYS + 1, 0, -5, "abc", "", None])
def test_the_policy_is_bounded(w, days):
    with pytest.raises(ValidationError) as exc:
        services.retention_policy_set(user=w["admin"], days=days)
    assert exc.value.problems[0].field == "days"
    assert services.policy_days(w["own"]) == 365


def test_the_bounds_themselves_are_allowed_and_audited(w):
    for days in (MIN_DAYS, MAX_DAYS):
        assert services.retention_policy_set(user=w["admin"], days=str(days)).days == days
    assert RetentionPolicy.objects.get(agency=w["own"]).days == MAX_DAYS
    rows = AuditEvent.objects.filter(action="retention.policy", agency="ngo-a")
    assert [r.detail for r in rows.order_by("id")][-2:] == [f"days={MIN_DAYS}", f"days={MAX_DAYS}"]


def test_the_database_refuses_a_policy_out_of_bounds(w):
    with pytest.raises(IntegrityError), transaction.atomic():
        RetentionPolicy.objects.create(agency=w["other"], days=30)


def test_only_the_agency_admin_sets_the_policy(w):
    for role in ("cw", "sup", "other_sup"):
        with pytest.raises(PermissionDenied):
            services.retention_policy_set(user=w[role], days=400)
    assert services.policy_days(w["own"]) == 365 and services.policy_days(w["other"]) == DEFAULT_DAYS


# -- legal hold ---------------------------------------------------------------------------------------------

def test_a_legal_hold_keeps_a_due_case_until_lifted(w):
    held, due = old(w), old(w)
    services.legal_hold_set(user=w["sup"], subject=held, reason="criminal proceedings 123/2026 at the tribunal")
    assert {(d.ref, d.blocked) for d in services.retention_due(agency=w["own"])} == {
        (held.ref, services.HELD), (due.ref, "")}
    report = services.retention_apply(agency=w["own"], today=TODAY)
    assert report.erased == [due.ref] and report.skipped == [(held.ref, services.HELD)]
    assert Subject.objects.filter(pk=held.pk).exists() and not Subject.objects.filter(pk=due.pk).exists()
    row = AuditEvent.objects.get(action="legalhold.set")
    assert row.object_ref == held.ref and "123" not in row.detail and row.actor == w["sup"].username
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT reason FROM retention_legalhold")
        assert "proceedings" not in cur.fetchone()[0]  # encrypted at rest
    assert services.legal_hold_lift(user=w["sup"], subject=held) is True
    assert services.legal_hold_lift(user=w["sup"], subject=held) is False
    assert AuditEvent.objects.filter(action="legalhold.lift", object_ref=held.ref).count() == 1
    assert services.retention_apply(agency=w["own"], today=TODAY).erased == [held.ref]


def test_only_a_supervisor_of_the_owning_agency_sets_a_hold(w):
    subject = old(w)
    with pytest.raises(PermissionDenied):
        services.legal_hold_set(user=w["cw"], subject=subject, reason="proceedings")
    with pytest.raises(Http404):
        services.legal_hold_set(user=w["other_sup"], subject=subject, reason="proceedings")
    with pytest.raises(ValidationError):
        services.legal_hold_set(user=w["sup"], subject=subject, reason="  ")
    with pytest.raises(ValidationError):
        services.legal_hold_set(user=w["sup"], subject=subject, reason="x" * 301)
    assert not LegalHold.objects.exists()


# -- the job ------------------------------------------------------------------------------------------------

def test_dry_run_writes_nothing(w):
    a, b = old(w), old(w)
    before = (Subject.objects.count(), AuditEvent.objects.count())
    report = services.retention_apply(agency=w["own"], today=TODAY, dry_run=True)
    assert sorted(report.erased) == sorted([a.ref, b.ref]) and report.dry_run
    assert (Subject.objects.count(), AuditEvent.objects.count()) == before


def test_apply_erases_exactly_the_due_cases_and_audits_pseudonyms(w):
    due = [old(w, identity=IDENTITY), old(w, days=366)]
    kept = [w["make"](w["cw"]), old(w, days=300)]
    theirs = old(w, days=2000, user="other_cw")
    report = services.retention_apply(agency=w["own"], today=TODAY)
    assert sorted(report.erased) == sorted(s.ref for s in due) and report.skipped == [] and report.days == 365
    assert set(Subject.objects.values_list("ref", flat=True)) == {s.ref for s in kept} | {theirs.ref}
    assert not SubjectIdentity.objects.filter(subject_id=due[0].pk).exists()
    assert not Assessment.objects.filter(subject_id__in=[s.pk for s in due]).exists()
    erased = AuditEvent.objects.filter(action="subject.erase")
    assert {r.object_ref for r in erased} == {s.ref for s in due}
    assert all(r.actor == "retention" and r.agency == "ngo-a" and "by=retention days=365" in r.detail for r in erased)
    summary = AuditEvent.objects.get(action="retention.apply")
    assert (summary.object_ref, summary.detail) == ("ngo-a", "days=365 erased=2 skipped=0")
    for row in AuditEvent.objects.all():
        assert not {"Sita", "Gurung", "PA998877"} & set(row.detail.split() + [row.object_ref])
    # nothing left to do: a second run erases nothing and leaves no summary row
    assert services.retention_apply(agency=w["own"], today=TODAY).erased == []
    assert AuditEvent.objects.filter(action="retention.apply").count() == 1


def test_a_user_can_be_the_actor(w):
    subject = old(w)
    services.retention_apply(actor=w["sup"], agency=w["own"], today=TODAY)
    assert AuditEvent.objects.get(action="subject.erase", object_ref=subject.ref).actor == w["sup"].username


def test_activity_since_the_list_was_made_saves_the_case(w, monkeypatch):
    subject = old(w)
    due = services.retention_due(agency=w["own"], today=TODAY)
    _consent(w, subject)  # between the list and the erasure
    monkeypatch.setattr(services, "retention_due", lambda **kw: due)
    assert services.retention_apply(agency=w["own"], today=TODAY).erased == []
    assert Subject.objects.filter(pk=subject.pk).exists()


def test_a_sent_referral_is_withdrawn_and_a_manual_grant_revoked_before_erasure(w):
    subject = old(w)
    referral = referral_services.referral_send(user=w["cw"], subject=subject, to_agency=w["other"],
                                               consent=referral_consent(w, subject))
    case_services.access_grant_create(user=w["sup"], subject=subject, agency=w["other"], reason="joint case")
    age(subject, 400)
    Referral.objects.filter(pk=referral.pk).update(sent_at=timezone.now() - dt.timedelta(days=400))
    assert services.retention_apply(agency=w["own"], today=TODAY).erased == [subject.ref]
    assert not Referral.objects.exists() and not AccessGrant.objects.exists()
    actions = list(AuditEvent.objects.filter(detail__contains="by=retention").order_by("id")
                   .values_list("action", flat=True))
    assert actions == ["referral.withdraw", "grant.revoke", "subject.erase"]


def test_an_accepted_referral_with_an_active_grant_keeps_the_case(w):
    subject = old(w)
    referral = referral_services.referral_send(user=w["cw"], subject=subject, to_agency=w["other"],
                                               consent=referral_consent(w, subject))
    referral_services.referral_accept(user=w["other_cw"], referral=referral)
    age(subject, 400)
    Referral.objects.filter(pk=referral.pk).update(sent_at=timezone.now() - dt.timedelta(days=400),
                                                   responded_at=timezone.now() - dt.timedelta(days=400))
    report = services.retention_apply(agency=w["own"], today=TODAY)
    assert report.erased == [] and report.skipped == [(subject.ref, services.REFERRED)]
    assert Subject.objects.filter(pk=subject.pk).exists()
    # the grant expired: the referral is ended first (audited), then the case goes
    AccessGrant.objects.filter(subject=subject).update(expires_at=timezone.now() - dt.timedelta(days=1))
    assert services.retention_apply(agency=w["own"], today=TODAY).erased == [subject.ref]
    assert AuditEvent.objects.filter(action="referral.withdraw", detail__contains="by=retention").count() == 1


def test_the_other_agencys_policy_is_its_own(w):
    theirs = old(w, days=400, user="other_cw")
    assert due_refs(w["other"]) == set()  # default 1095 days
    assert services.retention_apply(agency=w["other"], today=TODAY + dt.timedelta(days=695)).erased == [theirs.ref]


# -- CLI ----------------------------------------------------------------------------------------------------

def test_cli_due_and_apply(w):
    subject = old(w)
    runner = CliRunner()
    due = runner.invoke(app, ["retention", "due", "--agency", "ngo-a"])
    assert due.exit_code == 0 and subject.ref in due.stdout and "due" in due.stdout
    dry = runner.invoke(app, ["retention", "apply", "--dry-run"])
    assert dry.exit_code == 0 and subject.ref in dry.stdout and "would erase 1" in dry.stdout
    assert Subject.objects.filter(pk=subject.pk).exists()
    done = runner.invoke(app, ["retention", "apply", "--agency", "ngo-a"])
    assert done.exit_code == 0 and "erased 1 case" in done.stdout
    assert not Subject.objects.filter(pk=subject.pk).exists()
    assert AuditEvent.objects.get(action="subject.erase").channel == "cli"
    assert runner.invoke(app, ["retention", "due"]).stdout.strip() == "no case is due"


@pytest.mark.parametrize("args", [["retention", "due", "--agency", "nowhere"],
                                  ["retention", "apply", "--today", "2026-13-01"]])
def test_cli_errors_exit_2(w, args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    assert "error" in capsys.readouterr().err


# -- web ----------------------------------------------------------------------------------------------------

def test_admin_sets_the_policy_on_the_web(w, client):
    client.force_login(w["admin"])
    page = client.get("/agency/retention/")
    assert page.status_code == 200 and 'value="365"' in page.content.decode()
    assert client.post("/agency/retention/", {"days": "100"}).status_code == 422
    assert client.post("/agency/retention/", {"days": "730"}).status_code == 302
    assert services.policy_days(w["own"]) == 730


def test_supervisor_sees_cases_due_within_30_days_and_holds_one(w, client):
    soon, later = old(w, days=340), old(w, days=300)
    client.force_login(w["sup"])
    page = client.get("/agency/retention/due/").content.decode()
    assert soon.ref in page and later.ref not in page
    detail = client.get(f"/subjects/{soon.ref}/").content.decode()
    assert 'id="legal-hold"' in detail
    assert client.post(f"/subjects/{soon.ref}/legal-hold/", {"reason": "proceedings"}).status_code == 302
    assert LegalHold.objects.filter(subject=soon).exists()
    assert "legal hold" in client.get("/agency/retention/due/").content.decode()
    assert client.post(f"/subjects/{soon.ref}/legal-hold/lift/").status_code == 302
    assert not LegalHold.objects.exists()
    client.force_login(w["cw"])
    assert 'id="legal-hold"' not in client.get(f"/subjects/{soon.ref}/").content.decode()


def test_the_pages_speak_romanian(w, client):
    client.force_login(w["sup"])
    page = client.get("/agency/retention/due/", HTTP_ACCEPT_LANGUAGE="ro").content.decode()
    assert "Dosare de șters" in page and "365 zile fără activitate" in page


def test_the_due_list_costs_the_same_queries_for_more_cases(w):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries():
        with CaptureQueriesContext(connection) as q:
            services.retention_due(agency=w["own"])
        return len(q)

    old(w)
    few = queries()
    for _ in range(4):
        old(w)
    assert queries() == few <= 4 and len(services.retention_due(agency=w["own"])) == 5


def test_agency_admins_find_the_retention_policy_in_the_header(client, db):
    from lantern.platform.accounts.models import Agency, User

    agency = Agency.objects.create(key="hdr-ngo", name="Header NGO", type="ngo", country="RO")
    admin = User.objects.create_user(username="hdr-admin", password="pw-Secret-12345", agency=agency, role="agency_admin")
    client.force_login(admin)
    page = client.get("/agency/users/").content.decode()
    assert 'href="/agency/retention/"' in page
