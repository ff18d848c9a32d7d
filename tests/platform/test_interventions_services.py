"""Intervention plans: audited services, scoped selectors, bad input (nothing saved), the explanation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404

from lantern.errors import ValidationError
from lantern.platform.audit.models import AuditEvent, Outcome
from lantern.platform.cases import services as case_services
from lantern.platform.interventions import selectors, services
from lantern.platform.interventions.catalogue import catalogue, explain
from lantern.platform.interventions.models import PlanItem
from lantern.platform.roles import Role

TODAY = dt.date.today()
LANG = "integration.language_course"
SECRET_NOTE = "met at Gara de Nord, phone 0722"


def _fields(**kw):
    return {"intervention": LANG, "due_date": (TODAY + dt.timedelta(days=5)).isoformat(), "status": "planned",
            "provider": "ngo", "note": SECRET_NOTE, **kw}


@pytest.fixture
def subject(caseworker, make_subject):
    return make_subject(caseworker)


def test_add_update_remove_audited_without_values(caseworker, subject):
    item = services.plan_item_add(user=caseworker, subject=subject, data=_fields())
    assert (item.intervention, item.status, item.provider, item.note) == (LANG, "planned", "ngo", SECRET_NOTE)
    assert item.agency_id == caseworker.agency_id and item.standard_version == catalogue().version
    services.plan_item_update(user=caseworker, item=item, data={"status": "in_progress", "note": "later"})
    item.refresh_from_db()
    assert item.status == "in_progress" and item.note == "later"
    pk = item.pk
    services.plan_item_remove(user=caseworker, item=item)
    assert not PlanItem.objects.exists()
    rows = list(AuditEvent.objects.filter(action__startswith="plan.").order_by("id"))
    assert [r.action for r in rows] == ["plan.add", "plan.update", "plan.remove"]
    assert all(r.object_ref == subject.ref and r.outcome == Outcome.OK for r in rows)
    assert rows[1].detail == f"item={pk} fields=status,note"
    for r in AuditEvent.objects.all():  # no field value anywhere in the trail
        assert SECRET_NOTE not in r.detail and "later" not in r.detail and LANG not in r.detail


def test_note_encrypted_at_rest(caseworker, subject):
    item = services.plan_item_add(user=caseworker, subject=subject, data=_fields())
    with connection.cursor() as cur:
        cur.execute("SELECT note FROM interventions_planitem WHERE id = %s", [item.pk])
        raw = cur.fetchone()[0]
    assert raw and SECRET_NOTE not in raw


@pytest.mark.parametrize("data, field, words", [
    ({"intervention": "protection.teleportation"}, "intervention", "not an intervention of the catalogue"),
    ({"intervention": ""}, "intervention", "is required"),
    ({"due_date": (TODAY - dt.timedelta(days=1)).isoformat()}, "due_date", "in the past"),
    ({"due_date": "2027-02-30"}, "due_date", "is not a date"),
    ({"due_date": ""}, "due_date", "is required"),
    ({"due_date": (TODAY + dt.timedelta(days=6 * 366)).isoformat()}, "due_date", "five years"),
    ({"status": "finished"}, "status", "must be one of"),
    ({"provider": "ministry_of_magic"}, "provider", "agency_type"),
    ({"note": "x" * 2001}, "note", "longer than"),
    ({"colour": "red"}, "colour", "not a field"),
    ({"source_assessment": "A-NOTMINE00"}, "source_assessment", "not an interview of this subject"),
])
def test_bad_input_refused_nothing_saved(caseworker, subject, data, field, words):
    with pytest.raises(ValidationError) as info:
        services.plan_item_add(user=caseworker, subject=subject, data=_fields(**data))
    assert any(p.field == field and words in p.reason for p in info.value.problems), info.value.problems
    assert not PlanItem.objects.exists()
    assert not AuditEvent.objects.filter(action="plan.add").exists()


def test_every_problem_at_once(caseworker, subject):
    with pytest.raises(ValidationError) as info:
        services.plan_item_add(user=caseworker, subject=subject,
                               data=_fields(intervention="nope", due_date="2001-01-01", status="x"))
    assert {p.field for p in info.value.problems} == {"intervention", "due_date", "status"}


def test_update_rules(caseworker, subject):
    item = services.plan_item_add(user=caseworker, subject=subject, data=_fields())
    with pytest.raises(ValidationError) as info:
        services.plan_item_update(user=caseworker, item=item, data={"due_date": "2020-01-01", "status": "done"})
    assert [p.field for p in info.value.problems] == ["due_date"]
    item.refresh_from_db()
    assert item.status == "planned"  # nothing saved, not even the valid status
    with pytest.raises(ValidationError, match="cannot be changed"):
        services.plan_item_update(user=caseworker, item=item, data={"intervention": "protection.emergency_shelter"})
    # a due date that has passed may stay as it is (the item is overdue) while the status changes
    PlanItem.objects.filter(pk=item.pk).update(due_date=TODAY - dt.timedelta(days=3))
    item.refresh_from_db()
    assert item.is_overdue()
    services.plan_item_update(user=caseworker, item=item, data={"due_date": item.due_date.isoformat(),
                                                                 "status": "done"})
    item.refresh_from_db()
    assert item.status == "done" and not item.is_overdue()


def test_role_without_capability_denied_and_audited(make_user, subject):
    analyst = make_user(Role.ANALYST)
    with pytest.raises(PermissionDenied):
        services.plan_item_add(user=analyst, subject=subject, data=_fields())
    assert AuditEvent.objects.filter(action="plan.add", outcome=Outcome.DENIED, actor=analyst.username).exists()
    assert not PlanItem.objects.exists()
    with pytest.raises(PermissionDenied):
        selectors.plan_for_subject(user=analyst, subject=subject)


def test_other_agency_item_is_404(caseworker, other_caseworker, subject, make_subject):
    item = services.plan_item_add(user=caseworker, subject=subject, data=_fields())
    theirs = make_subject(other_caseworker)
    # the other agency cannot reach our item, through its own subject or any other way
    with pytest.raises(Http404):
        selectors.plan_item_get_for_user(user=other_caseworker, subject=theirs, item_id=item.pk)
    with pytest.raises(Http404):
        selectors.plan_item_get_for_user(user=other_caseworker, subject=subject, item_id=item.pk)
    assert AuditEvent.objects.filter(action="plan.read", outcome=Outcome.NOT_FOUND).count() == 2
    with pytest.raises(Http404):  # the service refuses another agency's item too
        services.plan_item_remove(user=other_caseworker, item=item)
    assert PlanItem.objects.filter(pk=item.pk).exists()


def test_granted_agency_sees_but_cannot_change(make_user, agencies, caseworker, other_caseworker, subject):
    supervisor = make_user(Role.SUPERVISOR)
    item = services.plan_item_add(user=caseworker, subject=subject, data=_fields())
    case_services.access_grant_create(user=supervisor, subject=subject, agency=agencies[1], reason="referral")
    assert [i.pk for i in selectors.plan_for_subject(user=other_caseworker, subject=subject)] == [item.pk]
    assert selectors.plan_item_get_for_user(user=other_caseworker, subject=subject, item_id=item.pk) == item
    with pytest.raises(Http404):
        selectors.plan_item_get_for_user(user=other_caseworker, subject=subject, item_id=item.pk, for_write=True)
    mine = services.plan_item_add(user=other_caseworker, subject=subject, data=_fields(intervention="protection.emergency_shelter"))
    assert mine.agency_id == agencies[1].pk


def test_summary_counts_and_erasure_cascades(caseworker, make_user, subject):
    a = services.plan_item_add(user=caseworker, subject=subject, data=_fields())
    services.plan_item_add(user=caseworker, subject=subject, data=_fields(status="done"))
    PlanItem.objects.filter(pk=a.pk).update(due_date=TODAY - dt.timedelta(days=1))
    assert selectors.plan_summary(user=caseworker, subject=subject) == {"total": 2, "open": 1, "overdue": 1,
                                                                         "done": 1}
    case_services.subject_erase(user=make_user(Role.SUPERVISOR), subject=subject, reason="erasure request")
    assert not PlanItem.objects.exists()


def test_explanation_traceable_and_bilingual(caseworker, make_subject, flat_row, std):
    inds = [c.name for c in std.assessment_columns() if c.kind == "indicator"]
    facs = [c.name for c in std.assessment_columns() if c.kind == "factor"]
    row = flat_row(**{inds[0]: 1, inds[1]: 1, inds[-1]: None, facs[0]: 1})
    subject = case_services.subject_create(user=caseworker)
    a = case_services.assessment_create(user=caseworker, subject=subject, data=row)
    en, ro = explain(a, lang="en"), explain(a, lang="ro")
    assert en["risk_score"] == pytest.approx(sum(c["points"] for c in en["contributions"]))
    assert {c["id"] for c in en["contributions"]} <= {inds[0], inds[1], facs[0]}
    assert en["unknown_answers"] >= 1 and en["risk_score_max"] >= en["risk_score"]
    assert en["risk_level"] in ("low", "medium", "high", "urgent")
    assert en["suggestions"] and all(s["reasons"] for s in en["suggestions"])
    assert [s["id"] for s in en["suggestions"]] == [s["id"] for s in ro["suggestions"]]
    assert en["suggestions"][0]["label"] != ro["suggestions"][0]["label"]
    assert any(ch in "".join(s["label"] for s in ro["suggestions"]) for ch in "ăâîșțĂÂÎȘȚ")


def test_presumed_victim_shows_deciding_indicators_and_urgent_help(caseworker, flat_row, std, client):
    inds = [c.name for c in std.assessment_columns() if c.kind == "indicator"]
    subject = case_services.subject_create(user=caseworker)
    a = case_services.assessment_create(user=caseworker, subject=subject, data=flat_row(**{i: 1 for i in inds}))
    e = explain(a, lang="en")
    assert e["presumed_victim"] and e["risk_level"] == "urgent" and e["deciding_indicators"]
    assert all(d["label"] for d in e["deciding_indicators"])
    assert e["suggestions"][0]["urgency"] == "immediate"
    assert e["suggestions"][0]["due_date"] == TODAY.isoformat()  # immediate → due today
    client.force_login(caseworker)
    html = client.get(f"/assessments/{a.ref}/").content.decode()
    assert "Indicators that decided the presumed-victim outcome" in html
    assert e["deciding_indicators"][0]["label"] in html
