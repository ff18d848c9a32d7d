"""The network pages: every signed-in role reads the directory and the matrix, coordinators edit, the plan page
(HTMX partial updates, errors in place, markdown rendered safely, 404 alike for a hidden and a missing plan),
the coordinator's home, Romanian, query counts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from lantern.platform.network import services
from lantern.platform.network.models import Organisation, PlanAction
from lantern.platform.roles import Role


@pytest.fixture
def coord(make_user):
    return make_user(Role.COORDINATOR)


@pytest.fixture
def plan(coord):
    org = services.organisation_create(user=coord, agency=coord.agency, data={
        "key": "ngo-a", "name": "NGO A", "type": "ngo", "country": "RO", "languages": "ro, ne",
        "interventions": ["protection.emergency_shelter", "labour.back_pay_claim"],
        "contact_role": "Referrals desk", "contact_email": "referrals@ngo-a.example.org"})
    plan = services.plan_create(user=coord, data={"title": "CLAIMED roll-out", "period_start": "2026-01-01",
                                                  "period_end": "2027-12-31", "recommendations": ["3.1", "3.2"]})
    services.plan_action_add(user=coord, plan=plan, data={
        "title": "Expert group maps roles", "responsible": org.key,
        "due_date": timezone.localdate() - dt.timedelta(days=2)})
    return plan


def _strip(html: bytes) -> bytes:
    html = re.sub(rb'"X-CSRFToken": "[^"]+"', b"", html)
    html = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", html)
    return re.sub(rb'name="next" type="hidden" value="[^"]+"', b"", html)


def test_every_role_finds_where_to_refer_but_only_coordinators_edit(client, make_user, plan):
    services.organisation_create(user=plan.created_by, data={
        "key": "help-line", "name": "Help line", "type": "ngo", "country": "RO", "languages": "hi",
        "interventions": ["rights.helpline"]})
    for role in Role.values:
        user = make_user(role, username=f"u-{role}")
        client.force_login(user)
        page = client.get("/network/?strand=labour_market&language=ne").content.decode()
        assert 'href="/network/"' in page  # the header link
        assert "NGO A" in page and "Help line" not in page
        assert ("New organisation" in page) == (role == Role.COORDINATOR)
        assert client.get("/network/organisations/new/").status_code == (200 if role == Role.COORDINATOR else 403)
        assert client.get("/network/responsibilities/").status_code == 200


def test_the_organisation_form_shows_the_services_problems_next_to_the_fields(client, coord):
    client.force_login(coord)
    bad = client.post("/network/organisations/new/", {"key": "ngo-x", "name": "NGO X", "type": "ngo",
                                                      "country": "RO", "languages": "ro, klingon"})
    assert bad.status_code == 422 and "not an ISO 639 language" in bad.content.decode()
    assert not Organisation.objects.exists()
    ok = client.post("/network/organisations/new/", {"key": "ngo-x", "name": "NGO X", "type": "ngo",
                                                     "country": "RO", "languages": "ro, uk",
                                                     "interventions": ["rights.helpline"]})
    assert ok.status_code == 302 and ok["Location"] == "/network/organisations/ngo-x/"
    page = client.get("/network/organisations/ngo-x/").content.decode()
    assert "Ukrainian" in page and "Rights and information" in page


def test_plan_page_htmx_updates_and_errors_in_place(client, coord, plan):
    client.force_login(coord)
    action = plan.actions.get()
    page = client.get(f"/network/plans/{plan.ref}/").content.decode()
    assert "1 overdue" in page and "Expert group maps roles" in page
    url = f"/network/plans/{plan.ref}/actions/{action.pk}/"
    bad = client.post(url, {"status": "done", "due_date": "someday"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 200 and bad.content.decode().startswith('<div id="plan-body">')
    assert "Enter a valid date" in bad.content.decode()
    assert client.post(url, {"status": "done", "due_date": "someday"}).status_code == 422
    ok = client.post(url, {"status": "done", "due_date": action.due_date.isoformat()}, HTTP_HX_REQUEST="true")
    assert ok.status_code == 200 and "overdue" not in ok.content.decode().split("Key performance")[0]
    assert PlanAction.objects.get().status == "done"


def test_briefing_notes_are_rendered_safely(client, coord, plan):
    client.force_login(coord)
    body = "# Rights\n\n<script>alert(1)</script>\n\n[click](javascript:alert(1)) [IGI](https://igi.mai.gov.ro)"
    r = client.post(f"/network/plans/{plan.ref}/notes/", {"title": "Rights", "language": "en", "body": body})
    assert r.status_code == 302
    page = client.get(f"/network/plans/{plan.ref}/").content.decode()
    assert "<h1>Rights</h1>" in page and "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert 'href="javascript:' not in page
    assert '<a href="https://igi.mai.gov.ro" rel="noopener noreferrer nofollow">IGI</a>' in page


def test_a_hidden_plan_answers_exactly_like_a_missing_one(client, plan, make_user, agencies):
    other = make_user(Role.COORDINATOR, agency=agencies[1])
    client.force_login(other)
    a, b = client.get(f"/network/plans/{plan.ref}/"), client.get("/network/plans/P-ZZZZZZZZZZ/")
    assert a.status_code == b.status_code == 404 and _strip(a.content) == _strip(b.content)
    a = client.post(f"/network/plans/{plan.ref}/notes/", {"title": "t", "language": "en", "body": "b"})
    assert a.status_code == 404 and not plan.notes.exists()


def test_the_coordinators_home_shows_plans_and_overdue_actions(client, coord, plan):
    client.force_login(coord)
    page = client.get("/").content.decode()
    assert "CLAIMED roll-out" in page and "Overdue actions" in page and "Expert group maps roles" in page


def test_romanian(client, coord, plan):
    client.force_login(coord)
    client.post("/i18n/setlang/", {"language": "ro"})
    page = client.get(f"/network/plans/{plan.ref}/").content.decode()
    assert "Rețea" in page and "Indicatori cheie de performanță" in page and "1 depășit" in page
    assert "Cine răspunde de ce" in client.get("/network/responsibilities/").content.decode()


def test_plan_page_queries_do_not_grow_with_the_plan(client, coord, plan, django_assert_max_num_queries):
    client.force_login(coord)
    kpi = services.plan_kpi_add(user=coord, plan=plan, data={"name": "k", "definition": "d"})
    services.kpi_value_record(user=coord, plan=plan, kpi=kpi, data={"period": "2026-Q1", "value": "1"})
    with django_assert_max_num_queries(40) as small:
        client.get(f"/network/plans/{plan.ref}/")
    for i in range(10):
        services.plan_action_add(user=coord, plan=plan, data={"title": f"a{i}", "responsible": "ngo-a",
                                                              "due_date": "2027-01-01"})
        kpi = services.plan_kpi_add(user=coord, plan=plan, data={"name": f"k{i}", "definition": "d"})
        services.kpi_value_record(user=coord, plan=plan, kpi=kpi, data={"period": "2026-Q1", "value": str(i)})
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(f"/network/plans/{plan.ref}/")


def test_api_reads_the_directory_matrix_and_visible_plans(client, coord, plan, make_user, agencies):
    from lantern.platform.accounts.services import token_create

    cw = make_user(Role.CASEWORKER, username="cw-api")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=cw)[1]}"}
    orgs = client.get("/api/v1/network/organisations?strand=protection", **headers).json()
    assert [o["key"] for o in orgs] == ["ngo-a"] and orgs[0]["on_platform"] and orgs[0]["languages"] == ["ro", "ne"]
    body = client.get(f"/api/v1/network/plans/{plan.ref}", **headers).json()
    assert body["actions"][0]["overdue"] is True and body["recommendations"] == ["3.1", "3.2"]
    other = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=make_user(Role.COORDINATOR, agency=agencies[1]))[1]}"}
    a = client.get(f"/api/v1/network/plans/{plan.ref}", **other)
    b = client.get("/api/v1/network/plans/P-ZZZZZZZZZZ", **other)
    assert a.status_code == b.status_code == 404 and a.json() == b.json()
    assert client.get("/api/v1/network/plans", **other).json() == []


def test_editing_a_plan_opens_it_to_the_network_and_keeps_the_responsible_participants(client, coord, plan, make_user,
                                                                                       agencies):
    other = make_user(Role.CASEWORKER, agency=agencies[1])
    client.force_login(coord)
    form = {"title": "CLAIMED roll-out 2026", "period_start": "2026-01-01", "period_end": "2027-12-31",
            "recommendations": ["3.2"], "visibility": "network", "participants": []}
    bad = client.post(f"/network/plans/{plan.ref}/edit/", {**form, "period_end": "2025-01-01"})
    assert bad.status_code == 422 and "must not be before the start" in bad.content.decode()
    assert client.post(f"/network/plans/{plan.ref}/edit/", form).status_code == 302
    plan.refresh_from_db()
    assert (plan.title, plan.recommendations, plan.visibility) == ("CLAIMED roll-out 2026", ["3.2"], "network")
    assert [o.key for o in plan.participants.all()] == ["ngo-a"]  # responsible for an action: stays
    client.force_login(other)
    assert client.get(f"/network/plans/{plan.ref}/").status_code == 200
    assert client.get(f"/network/plans/{plan.ref}/edit/").status_code == 403
