"""Correcting a saved assessment: validated like an intake, history kept (old values encrypted where the
assessment encrypts them), audited with field names only, scoped to the agency that recorded it, and read by
screening and statistics at its current values."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404

from lantern.errors import ValidationError
from lantern.platform.accounts.services import token_create
from lantern.platform.audit.models import AuditEvent
from lantern.platform.cases import selectors, services
from lantern.platform.cases.models import Assessment, AssessmentRevision
from lantern.platform.roles import Role

SEXUAL_ONLY = ("deceptive_recruitment.conditions_of_prostitution", "exploitative_conditions.no_choice_of_clients",
               "exploitative_conditions.pornography", "coercion_at_destination.forced_prostitution",
               "coercion_at_destination.forced_drug_use")


@pytest.fixture
def indicators(std):
    return [c.name for c in std.assessment_columns() if c.kind == "indicator" and c.name not in SEXUAL_ONLY]


@pytest.fixture
def assessment(caseworker, make_subject) -> Assessment:
    return make_subject(caseworker).assessments.get()


def _api(client, user):
    token = token_create(user=user)[1]

    def call(method, path, body=None):
        return client.generic(method, f"/api/v1{path}", json.dumps(body) if body is not None else "",
                              content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")

    return call


def _fields(exc) -> set[str]:
    return {p.field for p in exc.value.problems}


def test_a_correction_keeps_the_history_and_audits_names_only(caseworker, assessment, indicators):
    ind = indicators[0]
    corrected = services.assessment_correct(
        user=caseworker, assessment=assessment, reason="the interpreter misheard the age",
        changes={"age": 31, ind: "yes", "notes": "met at the shelter on Tuesday", "sex": assessment.sex})
    assert (corrected.revision, corrected.age, corrected.indicators[ind]) == (2, 31, "yes")
    assert corrected.corrected_at is not None
    rev = AssessmentRevision.objects.get(assessment=assessment)
    # only what changed (sex was given unchanged), in the flat format, old values kept
    assert rev.number == 2 and rev.changed_fields == ["age", ind, "notes"]
    assert rev.previous == {"age": 29, ind: 0} and rev.previous_notes == ""
    assert rev.created_by == caseworker and rev.reason == "the interpreter misheard the age"
    services.assessment_correct(user=caseworker, assessment=corrected, changes={"notes": "met at the station"},
                                reason="wrong place", expected_revision=2)
    with connection.cursor() as cur:  # free text at rest: ciphertext only
        cur.execute("SELECT previous_notes, reason FROM cases_assessmentrevision WHERE number = 3")
        raw_notes, raw_reason = cur.fetchone()
    assert "shelter" not in raw_notes and "wrong place" not in raw_reason
    history, shown = selectors.assessment_history_for_user(user=caseworker, assessment=Assessment.objects.get(
        pk=assessment.pk))
    assert shown and [h["number"] for h in history] == [3, 2]
    assert history[0]["previous"] == {"notes": "met at the shelter on Tuesday"}
    assert history[0]["new"] == {"notes": "met at the station"}
    # revision 2's "after" is rebuilt through revision 3: the notes it wrote, not the current ones
    assert history[1]["new"] == {"age": 31, ind: 1, "notes": "met at the shelter on Tuesday"}
    assert history[1]["previous"] == {"age": 29, ind: 0, "notes": ""}
    events = AuditEvent.objects.filter(action="assessment.correct", object_ref=assessment.ref, outcome="ok")
    assert [e.detail for e in events.order_by("id")] == [f"revision=2 fields=age,{ind},notes", "revision=3 fields=notes"]
    assert not any(word in e.detail for e in events for word in ("31", "shelter", "station", "misheard"))


def test_validated_like_an_intake_every_problem_at_once_nothing_saved(caseworker, assessment, indicators):
    future = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    with pytest.raises(ValidationError) as exc:
        services.assessment_correct(user=caseworker, assessment=assessment, reason="  ", changes={
            "interview_date": future, "sex": "robot", "citizenship": "XX", "age": "abc", indicators[1]: "maybe",
            "no_such.column": 1, "standard_version": "9.9", "agency": "police-b", "country_of_interview": ""})
    assert _fields(exc) == {"interview_date", "sex", "citizenship", "age", indicators[1], "no_such.column",
                            "standard_version", "agency", "country_of_interview", "reason"}
    fresh = Assessment.objects.get(pk=assessment.pk)
    assert (fresh.revision, fresh.age, fresh.sex) == (1, 29, assessment.sex) and not fresh.revisions.exists()
    refused = AuditEvent.objects.get(action="assessment.correct", outcome="invalid")
    assert refused.detail.startswith("problems=10 fields=") and "robot" not in refused.detail
    # the standard version may be repeated, not changed; an empty change, or one equal to the current values
    for changes in ({}, {"age": 29, "standard_version": assessment.standard_version}):
        with pytest.raises(ValidationError) as exc:
            services.assessment_correct(user=caseworker, assessment=assessment, changes=changes, reason="x")
        assert _fields(exc) == {"changes"}


def test_age_and_interview_date_against_the_date_of_birth(caseworker, make_subject):
    interview = dt.date.today() - dt.timedelta(days=3)
    dob = interview.replace(year=interview.year - 29) - dt.timedelta(days=10)
    subject = make_subject(caseworker, identity={"date_of_birth": dob.isoformat()})
    a = subject.assessments.get()
    with pytest.raises(ValidationError) as exc:
        services.assessment_correct(user=caseworker, assessment=a, changes={"age": 40}, reason="typo")
    assert _fields(exc) == {"age"}
    with pytest.raises(ValidationError) as exc:
        services.assessment_correct(user=caseworker, assessment=a, reason="typo",
                                    changes={"interview_date": (dob - dt.timedelta(days=1)).isoformat()})
    assert "date_of_birth" in _fields(exc)
    ok = services.assessment_correct(user=caseworker, assessment=a, changes={"age": 30}, reason="birthday passed")
    assert ok.age == 30


def test_the_questionnaire_rules_hold_across_a_correction(caseworker, make_subject, flat_row):
    subject = make_subject(caseworker, assessment=False)
    a = services.assessment_create(user=caseworker, subject=subject, data=flat_row(exploitation_form="forced_labour"))
    # the suspected form becomes sexual exploitation: its own questions are asked now and must be answered
    with pytest.raises(ValidationError) as exc:
        services.assessment_correct(user=caseworker, assessment=a, changes={"exploitation_form": "sexual_exploitation"},
                                    reason="form recorded wrongly")
    assert _fields(exc) == set(SEXUAL_ONLY)
    a = services.assessment_correct(user=caseworker, assessment=a, reason="form recorded wrongly",
                                    changes={"exploitation_form": "sexual_exploitation", **dict.fromkeys(SEXUAL_ONLY, 1)})
    assert all(a.indicators[q] == "yes" for q in SEXUAL_ONLY)
    # back to forced labour: those questions are no longer asked, so their answers go back to unknown (recorded)
    a = services.assessment_correct(user=caseworker, assessment=a, changes={"exploitation_form": "forced_labour"},
                                    reason="back")
    assert all(a.indicators[q] == "unknown" for q in SEXUAL_ONLY)
    assert set(a.revisions.get(number=3).changed_fields) == {"exploitation_form", *SEXUAL_ONLY}
    # and a question not asked may not be answered
    with pytest.raises(ValidationError) as exc:
        services.assessment_correct(user=caseworker, assessment=a, changes={SEXUAL_ONLY[0]: 1}, reason="x")
    assert _fields(exc) == {SEXUAL_ONLY[0]}


def test_a_stale_revision_is_refused(caseworker, assessment):
    services.assessment_correct(user=caseworker, assessment=assessment, changes={"age": 30}, reason="a")
    with pytest.raises(ValidationError) as exc:
        services.assessment_correct(user=caseworker, assessment=assessment, changes={"age": 31}, reason="b",
                                    expected_revision=1)
    assert _fields(exc) == {"revision"} and Assessment.objects.get(pk=assessment.pk).age == 30


def test_only_the_recording_agency_corrects(caseworker, other_caseworker, make_user, assessment):
    with pytest.raises(Http404):
        services.assessment_correct(user=other_caseworker, assessment=assessment, changes={"age": 30}, reason="x")
    with pytest.raises(PermissionDenied):
        services.assessment_correct(user=make_user(Role.ANALYST), assessment=assessment, changes={"age": 30},
                                    reason="x")
    supervisor = make_user(Role.SUPERVISOR)
    assert services.assessment_correct(user=supervisor, assessment=assessment, changes={"age": 30},
                                       reason="x").revision == 2
    assert AuditEvent.objects.filter(action="assessment.correct", outcome="not_found").count() == 1
    assert AuditEvent.objects.filter(action="assessment.correct", outcome="denied").count() == 1


def test_screening_suggestions_and_statistics_read_the_corrected_values(client, caseworker, make_user, assessment,
                                                                         indicators):
    from lantern.platform.analytics.selectors import assessment_frame

    api = _api(client, caseworker)
    before = api("GET", f"/assessments/{assessment.ref}/screening").json()
    services.assessment_correct(user=caseworker, assessment=assessment, reason="answers mixed up",
                                changes={**dict.fromkeys(indicators[:8], 1), "sex": "male"})
    after = api("GET", f"/assessments/{assessment.ref}/screening").json()
    assert after["risk_score"] > before["risk_score"]
    assert {c["id"] for c in after["contributions"]} & set(indicators[:8])
    assert after["suggestions"] != before["suggestions"]
    page = client.get  # the subject list screens the latest interview too
    client.force_login(caseworker)
    assert f'{after["risk_score"]:.0f} / 100' in page(f"/assessments/{assessment.ref}/").content.decode()
    frame = assessment_frame(user=make_user(Role.SUPERVISOR), purpose="test")
    row = frame.row(0, named=True)
    assert row["sex"] == "male" and all(row[i] == 1 for i in indicators[:8])


def test_web_correction_form_errors_in_place_then_saved(client, caseworker, assessment, indicators):
    client.force_login(caseworker)
    page = client.get(f"/assessments/{assessment.ref}/")
    assert f'href="/assessments/{assessment.ref}/correct/"' in page.content.decode()
    form = client.get(f"/assessments/{assessment.ref}/correct/")
    assert form.status_code == 200
    data = {k: ("" if v is None else v) for k, v in form.context["form"].initial.items()}
    assert data["age"] == "29" and data[indicators[0]] == "no" and data["revision"] == "1"
    bad = client.post(f"/assessments/{assessment.ref}/correct/", {**data, "age": "300", "sex": "robot"},
                      HTTP_HX_REQUEST="true")
    html = bad.content.decode()
    assert bad.status_code == 200 and "<html" not in html and 'id="correction"' in html
    assert 'id="id_age-error"' in html and 'id="id_sex-error"' in html and 'id="id_reason-error"' in html
    assert Assessment.objects.get(pk=assessment.pk).revision == 1
    ok = client.post(f"/assessments/{assessment.ref}/correct/",
                     {**data, "age": "30", indicators[0]: "yes", "reason": "typed 29 for 30"}, HTTP_HX_REQUEST="true")
    assert ok.status_code == 204 and ok["HX-Redirect"] == f"/assessments/{assessment.ref}/"
    fresh = Assessment.objects.get(pk=assessment.pk)
    assert (fresh.revision, fresh.age, fresh.indicators[indicators[0]]) == (2, 30, "yes")
    assert fresh.revisions.get().changed_fields == ["age", indicators[0]]
    # without HTMX: 422 with the full page on a refusal
    plain = client.post(f"/assessments/{assessment.ref}/correct/", {**data, "revision": "2", "reason": ""})
    assert plain.status_code == 422 and "<html" in plain.content.decode()
    history = client.get(f"/assessments/{assessment.ref}/").content.decode()
    assert "typed 29 for 30" in history and "Revision 2" in history and "<td>29</td>" in history


def test_web_and_api_hide_the_assessment_of_another_agency(client, caseworker, other_caseworker, make_subject):
    foreign = make_subject(other_caseworker).assessments.get()
    client.force_login(caseworker)
    assert client.get(f"/assessments/{foreign.ref}/correct/").status_code == 404
    assert client.post(f"/assessments/{foreign.ref}/correct/", {"age": "30", "reason": "x"}).status_code == 404
    api = _api(client, caseworker)
    missing = api("PATCH", "/assessments/A-NOSUCH0000", {"changes": {"age": 30}, "reason": "x"})
    other = api("PATCH", f"/assessments/{foreign.ref}", {"changes": {"age": 30}, "reason": "x"})
    assert other.status_code == missing.status_code == 404 and other.json() == missing.json()
    assert api("GET", f"/assessments/{foreign.ref}/revisions").status_code == 404
    assert Assessment.objects.get(pk=foreign.pk).revision == 1


def test_a_shared_agency_sees_who_and_why_not_the_old_values(client, caseworker, other_caseworker, make_user,
                                                            assessment):
    services.assessment_correct(user=caseworker, assessment=assessment, changes={"age": 31}, reason="typo")
    services.access_grant_create(user=make_user(Role.SUPERVISOR), subject=assessment.subject,
                                 agency=other_caseworker.agency, reason="referral with consent", days=5)
    api = _api(client, other_caseworker)
    revisions = api("GET", f"/assessments/{assessment.ref}/revisions").json()
    assert revisions[0]["changed_fields"] == ["age"] and revisions[0]["reason"] == "typo"
    assert revisions[0]["previous"] is None and revisions[0]["new"] is None
    assert api("PATCH", f"/assessments/{assessment.ref}", {"changes": {"age": 32}, "reason": "x"}).status_code == 404
    client.force_login(other_caseworker)
    page = client.get(f"/assessments/{assessment.ref}/").content.decode()
    assert "typo" in page and "<td>29</td>" not in page and "/correct/" not in page
    assert client.get(f"/assessments/{assessment.ref}/correct/").status_code == 404


def test_api_patch_and_revisions(client, caseworker, assessment, indicators):
    api = _api(client, caseworker)
    bad = api("PATCH", f"/assessments/{assessment.ref}", {"changes": {"age": -1, "sex": "robot"}})
    assert bad.status_code == 422
    assert {p["field"] for p in bad.json()["problems"]} == {"age", "sex", "reason"}
    r = api("PATCH", f"/assessments/{assessment.ref}",
            {"changes": {"age": 33, indicators[2]: "yes"}, "reason": "wrong row copied", "revision": 1})
    assert r.status_code == 200
    body = r.json()
    assert body["revision"] == 2 and body["answers"]["age"] == 33 and body["answers"][indicators[2]] == 1
    assert api("GET", f"/assessments/{assessment.ref}").json()["revision"] == 2
    stale = api("PATCH", f"/assessments/{assessment.ref}", {"changes": {"age": 34}, "reason": "x", "revision": 1})
    assert stale.status_code == 422 and stale.json()["problems"][0]["field"] == "revision"
    revisions = api("GET", f"/assessments/{assessment.ref}/revisions").json()
    assert revisions == [{"number": 2, "created_at": revisions[0]["created_at"], "created_by": caseworker.username,
                          "reason": "wrong row copied", "changed_fields": ["age", indicators[2]],
                          "previous": {"age": 29, indicators[2]: 0}, "new": {"age": 33, indicators[2]: 1}}]


def test_romanian_interface(client, caseworker, assessment, settings):
    services.assessment_correct(user=caseworker, assessment=assessment, changes={"age": 31}, reason="typo")
    client.force_login(caseworker)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ro"
    page = client.get(f"/assessments/{assessment.ref}/").content.decode()
    assert "Corectează" in page and "Revizia 2" in page and "Înainte" in page
    form = client.get(f"/assessments/{assessment.ref}/correct/").content.decode()
    assert "Motivul corecturii" in form and "Salvează corectura" in form
