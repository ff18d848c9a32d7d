"""API v1 for intervention plans and the screening explanation."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from lantern.platform.accounts.services import token_create
from lantern.platform.audit.models import AuditEvent
from lantern.platform.interventions.models import PlanItem

DUE = (dt.date.today() + dt.timedelta(days=4)).isoformat()


class Api:
    def __init__(self, client, user):
        self.client, self.token = client, token_create(user=user)[1]

    def __call__(self, method, path, body=None):
        return self.client.generic(method, "/api/v1" + path, json.dumps(body) if body is not None else "",
                                   content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {self.token}")


@pytest.fixture
def subject(caseworker, make_subject):
    return make_subject(caseworker)


def test_plan_crud(client, caseworker, subject):
    api = Api(client, caseworker)
    a = subject.assessments.first().ref
    r = api("POST", f"/subjects/{subject.ref}/plan", {"intervention": "rights.document_safekeeping", "due_date": DUE,
                                                      "provider": "ngo", "note": "bring copies",
                                                      "source_assessment": a})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "planned" and body["label"] and body["source_assessment"] == a
    assert body["note"] == "bring copies" and body["overdue"] is False
    r = api("PATCH", f"/subjects/{subject.ref}/plan/{body['id']}", {"status": "done"})
    assert r.status_code == 200 and r.json()["status"] == "done"
    items = api("GET", f"/subjects/{subject.ref}/plan?lang=ro").json()
    assert [i["id"] for i in items] == [body["id"]] and items[0]["label"] != body["label"]  # Romanian label
    assert api("DELETE", f"/subjects/{subject.ref}/plan/{body['id']}").status_code == 204
    assert not PlanItem.objects.exists()
    assert list(AuditEvent.objects.filter(action__startswith="plan.").order_by("id").values_list("action", "channel")) == [
        ("plan.add", "api"), ("plan.update", "api"), ("plan.remove", "api")]


def test_bad_input_422_every_problem_nothing_saved(client, caseworker, subject):
    api = Api(client, caseworker)
    r = api("POST", f"/subjects/{subject.ref}/plan", {"intervention": "justice.trial_by_combat", "due_date": "2020-05-05",
                                                      "status": "someday", "colour": "red"})
    assert r.status_code == 422
    problems = {p["field"]: p["reason"] for p in r.json()["problems"]}
    assert set(problems) == {"intervention", "due_date", "status", "colour"}
    assert "not an intervention of the catalogue" in problems["intervention"]
    assert not PlanItem.objects.exists()
    item = api("POST", f"/subjects/{subject.ref}/plan", {"intervention": "rights.document_safekeeping",
                                                         "due_date": DUE}).json()
    r = api("PATCH", f"/subjects/{subject.ref}/plan/{item['id']}", {"due_date": "not a date", "status": "done"})
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "due_date"
    assert PlanItem.objects.get().status == "planned"


def test_other_agency_answers_like_missing(client, caseworker, other_caseworker, subject, make_subject):
    item = Api(client, caseworker)("POST", f"/subjects/{subject.ref}/plan",
                                   {"intervention": "rights.document_safekeeping", "due_date": DUE}).json()
    theirs = make_subject(other_caseworker)
    api = Api(client, other_caseworker)
    a = api("PATCH", f"/subjects/{theirs.ref}/plan/{item['id']}", {"status": "done"})
    b = api("PATCH", f"/subjects/{theirs.ref}/plan/999999", {"status": "done"})
    c = api("GET", f"/subjects/{subject.ref}/plan")
    assert (a.status_code, a.json()) == (b.status_code, b.json()) == (404, {"detail": "Not found"})
    assert c.status_code == 404
    assert api("DELETE", f"/subjects/{subject.ref}/plan/{item['id']}").status_code == 404
    assert PlanItem.objects.get().status == "planned"


def test_screening_endpoint(client, caseworker, flat_row, std):
    from lantern.platform.cases import services as case_services

    inds = [c.name for c in std.assessment_columns() if c.kind == "indicator"]
    subject = case_services.subject_create(user=caseworker)
    a = case_services.assessment_create(user=caseworker, subject=subject,
                                        data=flat_row(**{i: 1 for i in inds[:4]}, **{inds[-1]: None}))
    r = Api(client, caseworker)("GET", f"/assessments/{a.ref}/screening?lang=ro")
    assert r.status_code == 200
    e = r.json()
    assert e["risk_score"] == pytest.approx(sum(c["points"] for c in e["contributions"]))
    assert {c["id"] for c in e["contributions"]} <= set(inds[:4])
    assert e["unknown_answers"] >= 1 and isinstance(e["could_change"], bool)
    assert e["suggestions"] and all(s["reasons"] for s in e["suggestions"])
    assert e["risk_level_label"] in ("scăzut", "mediu", "ridicat", "urgent")
