"""Web pages of the interventions app: explanation on the assessment page, plan (HTMX and plain forms),
public toolkit and its cached PDF, both languages, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lantern.platform.interventions import services
from lantern.platform.interventions.models import PlanItem

TODAY = dt.date.today()
HX = {"HTTP_HX_REQUEST": "true"}


def _due(days=5):
    return (TODAY + dt.timedelta(days=days)).isoformat()


@pytest.fixture
def risky_subject(caseworker, flat_row, std):
    from lantern.platform.cases import services as case_services

    inds = [c.name for c in std.assessment_columns() if c.kind == "indicator"]
    facs = [c.name for c in std.assessment_columns() if c.kind == "factor"]
    row = flat_row(**{i: 1 for i in inds[:6]}, **{facs[0]: 1, inds[-1]: None})
    subject = case_services.subject_create(user=caseworker)
    case_services.assessment_create(user=caseworker, subject=subject, data=row)
    return subject


def _ro(client):
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ro"


def test_assessment_page_explains_score_and_suggests(client, caseworker, risky_subject):
    from lantern.platform.interventions.catalogue import explain

    a = risky_subject.assessments.first()
    e = explain(a, lang="en")
    client.force_login(caseworker)
    html = client.get(f"/assessments/{a.ref}/").content.decode()
    assert "Where each point comes from" in html and "Suggested interventions" in html
    for c in e["contributions"]:  # each contribution is shown with its answer
        assert c["id"] in html
    assert f"{e['risk_score']:.1f}" in html
    assert "answers were unknown" in html or "answer was unknown" in html
    assert e["suggestions"][0]["label"] in html and e["suggestions"][0]["reasons"][0] in html
    assert f'action="/subjects/{risky_subject.ref}/plan/items/"' in html  # "add to plan"
    _ro(client)
    html = client.get(f"/assessments/{a.ref}/").content.decode()
    assert "De unde vine fiecare punct" in html and "Intervenții sugerate" in html
    assert explain(a, lang="ro")["suggestions"][0]["label"] in html


def test_subject_page_summary(client, caseworker, risky_subject):
    services.plan_item_add(user=caseworker, subject=risky_subject,
                           data={"intervention": "integration.language_course", "due_date": _due()})
    PlanItem.objects.update(due_date=TODAY - dt.timedelta(days=2))
    client.force_login(caseworker)
    html = client.get(f"/subjects/{risky_subject.ref}/").content.decode()
    assert "Plan: 1 items, 1 open, 0 done" in html and "1 overdue" in html
    assert f"/subjects/{risky_subject.ref}/plan/" in html


def test_add_from_suggestion_then_htmx_update_and_remove(client, caseworker, risky_subject):
    client.force_login(caseworker)
    a = risky_subject.assessments.first()
    base = f"/subjects/{risky_subject.ref}/plan/items/"
    r = client.post(base, {"intervention": "protection.emergency_shelter", "due_date": _due(0), "status": "planned",
                           "provider": "ngo", "source_assessment": a.ref})
    assert r.status_code == 302 and r["Location"] == f"/subjects/{risky_subject.ref}/plan/"
    item = PlanItem.objects.get()
    assert item.source_assessment == a and item.provider == "ngo"
    r = client.post(f"{base}{item.pk}/", {"status": "in_progress", "due_date": _due(9), "provider": "police",
                                          "note": "call first"}, **HX)
    assert r.status_code == 200 and b'<div id="plan">' in r.content and b"<html" not in r.content
    item.refresh_from_db()
    assert (item.status, item.provider, item.due_date.isoformat(), item.note) == (
        "in_progress", "police", _due(9), "call first")
    r = client.post(f"{base}{item.pk}/delete/", **HX)
    assert r.status_code == 200 and b"No intervention planned yet." in r.content
    assert not PlanItem.objects.exists()


def test_errors_in_place_nothing_saved(client, caseworker, risky_subject):
    client.force_login(caseworker)
    base = f"/subjects/{risky_subject.ref}/plan/items/"
    r = client.post(base, {"intervention": "protection.flying_carpet", "due_date": "2020-01-01",
                           "status": "planned"}, **HX)
    html = r.content.decode()
    assert r.status_code == 200 and "is not an intervention of the catalogue" in html and "is in the past" in html
    assert 'aria-invalid="true"' in html
    r = client.post(base, {"intervention": "integration.language_course", "due_date": "2026-02-31",
                           "status": "planned"})  # no JavaScript: the whole page, 422
    assert r.status_code == 422 and b"Enter a valid date" in r.content
    assert not PlanItem.objects.exists()
    item = services.plan_item_add(user=caseworker, subject=risky_subject,
                                  data={"intervention": "integration.language_course", "due_date": _due()})
    r = client.post(f"{base}{item.pk}/", {"status": "done", "due_date": "2001-01-01"}, **HX)
    assert "is in the past" in r.content.decode() and f'id="id_item{item.pk}_due_date"' in r.content.decode()
    item.refresh_from_db()
    assert item.status == "planned"


def test_other_agency_item_404(client, caseworker, other_caseworker, risky_subject, make_subject):
    item = services.plan_item_add(user=caseworker, subject=risky_subject,
                                  data={"intervention": "integration.language_course", "due_date": _due()})
    theirs = make_subject(other_caseworker)
    client.force_login(other_caseworker)
    for path in (f"/subjects/{theirs.ref}/plan/items/{item.pk}/", f"/subjects/{theirs.ref}/plan/items/{item.pk}/delete/",
                 f"/subjects/{risky_subject.ref}/plan/items/{item.pk}/"):
        assert client.post(path, {"status": "done", "due_date": _due()}).status_code == 404
    assert PlanItem.objects.get().status == "planned"


def test_overdue_highlighted(client, caseworker, risky_subject):
    item = services.plan_item_add(user=caseworker, subject=risky_subject,
                                  data={"intervention": "integration.language_course", "due_date": _due()})
    ok = services.plan_item_add(user=caseworker, subject=risky_subject,
                                data={"intervention": "protection.medical_care", "due_date": _due()})
    PlanItem.objects.filter(pk__in=[item.pk, ok.pk]).update(due_date=TODAY - dt.timedelta(days=1))
    PlanItem.objects.filter(pk=ok.pk).update(status="done")  # done: not overdue
    client.force_login(caseworker)
    html = client.get(f"/subjects/{risky_subject.ref}/plan/").content.decode()
    assert f'class="card plan-item status-planned overdue" id="item-{item.pk}"' in html
    assert f'class="card plan-item status-done" id="item-{ok.pk}"' in html
    assert "1 overdue" in html


def _plan_queries(client, subject):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/subjects/{subject.ref}/plan/").status_code == 200
    return len(ctx.captured_queries)


def test_plan_page_query_count_does_not_grow(client, caseworker, risky_subject):
    client.force_login(caseworker)
    services.plan_item_add(user=caseworker, subject=risky_subject,
                           data={"intervention": "integration.language_course", "due_date": _due()})
    one = _plan_queries(client, risky_subject)
    for i, iid in enumerate(["protection.medical_care", "rights.labour_rights_information",
                             "protection.emergency_shelter", "integration.vocational_training"]):
        services.plan_item_add(user=caseworker, subject=risky_subject, data={"intervention": iid, "due_date": _due(i)})
    assert _plan_queries(client, risky_subject) == one
    assert one <= 12


def test_toolkit_public_htmx_and_no_js(client):
    r = client.get("/toolkit/?type=debt_economic&level=high&level=urgent")
    html = r.content.decode()
    assert r.status_code == 200 and "<form method=\"get\"" in html and 'hx-get="/toolkit/"' in html
    assert 'value="debt_economic" checked' in html and 'id="type-debt_economic"' in html
    assert 'id="type-health"' not in html
    r = client.get("/toolkit/?type=health&level=low", **HX)
    assert r.status_code == 200 and r.content.decode().startswith('<div id="toolkit-results"')
    assert b'id="type-health"' in r.content and b"<html" not in r.content
    r = client.get("/toolkit/?type=astrology")
    assert r.status_code == 422 and b"no vulnerability type" in r.content
    r = client.get("/toolkit/?level=apocalyptic")
    assert r.status_code == 422 and b"level must be one of" in r.content
    _ro(client)
    html = client.get("/toolkit/?type=debt_economic").content.decode()
    assert "Tipuri de vulnerabilitate" in html and "ridicat" in html


def test_toolkit_query_count(client, db):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/toolkit/?type=health").status_code == 200
    assert len(ctx.captured_queries) == 0  # anonymous, no session: nothing from the database


@pytest.fixture(scope="module")
def pdf_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("toolkit-cache")


def test_toolkit_pdf_cached(client, settings, pdf_cache, monkeypatch):
    settings.LANTERN_TOOLKIT_CACHE_DIR = pdf_cache
    r = client.get("/toolkit/lantern-toolkit-ro.pdf")
    body = b"".join(r.streaming_content)
    assert r.status_code == 200 and body.startswith(b"%PDF") and r["Content-Type"] == "application/pdf"
    assert 'filename="lantern-toolkit-ro.pdf"' in r["Content-Disposition"]
    cached = list(pdf_cache.glob("toolkit-*-ro.pdf"))
    assert len(cached) == 1 and not list(pdf_cache.glob("*.tmp"))

    def boom(**kw):
        raise AssertionError("rendered again instead of using the cache")

    monkeypatch.setattr("lantern.toolkit.toolkit_pdf", boom)
    r = client.get("/toolkit/lantern-toolkit-ro.pdf")
    assert b"".join(r.streaming_content) == body
    assert client.get("/toolkit/lantern-toolkit-xx.pdf").status_code == 404


def test_screening_refused_is_a_warning_not_a_failure(client, caseworker, risky_subject, monkeypatch):
    from lantern.errors import LanternError

    def refuse(assessment, **kw):
        raise LanternError("standard version 0.9 is not known", field="standard_version", record=assessment.ref)

    monkeypatch.setattr("lantern.platform.interventions.templatetags.interventions.explain", refuse)
    client.force_login(caseworker)
    r = client.get(f"/assessments/{risky_subject.assessments.first().ref}/")
    assert r.status_code == 200
    assert b"The screening could not run on this interview" in r.content and b"0.9 is not known" in r.content
    assert b"Where each point comes from" not in r.content


def test_other_agency_plan_page_like_missing(client, caseworker, other_caseworker, make_subject):
    import re

    theirs = make_subject(other_caseworker)
    client.force_login(caseworker)
    a, b = client.get(f"/subjects/{theirs.ref}/plan/"), client.get("/subjects/S-ZZZZZZZZZZ/plan/")

    def strip(html):
        return re.sub(rb'(X-CSRFToken": "|csrfmiddlewaretoken" value="|name="next" type="hidden" value=")[^"]+', b"",
                      html)

    assert a.status_code == b.status_code == 404 and strip(a.content) == strip(b.content)


def test_a_plan_item_with_a_provider_links_to_a_referral_prefilled(client, caseworker, risky_subject):
    client.force_login(caseworker)
    base = f"/subjects/{risky_subject.ref}/plan/items/"
    client.post(base, {"intervention": "protection.emergency_shelter", "due_date": _due(3), "status": "planned",
                       "provider": "ngo"})
    client.post(base, {"intervention": "integration.language_course", "due_date": _due(3), "status": "planned"})
    with_provider, without = PlanItem.objects.order_by("pk")
    page = client.get(f"/subjects/{risky_subject.ref}/plan/").content.decode()
    link = f"/subjects/{risky_subject.ref}/refer/?intervention=protection.emergency_shelter&amp;plan_item={with_provider.pk}"
    assert link in page and f"plan_item={without.pk}" not in page  # only where another agency type provides it
    form = client.get(link.replace("&amp;", "&"))
    assert form.status_code == 200
    assert form.context["form"].initial["plan_item"] == str(with_provider.pk)
