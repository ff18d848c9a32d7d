"""Referral pages: "Refer" on the subject page, the form with errors in place, inbox / outbox, the detail page
before and after acceptance (no identifier before), HTMX actions, 404 like missing, Romanian, and the API per
role."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from lantern.platform.accounts.models import Agency
from lantern.platform.accounts.services import token_create
from lantern.platform.cases import services as case_services
from lantern.platform.referrals import services
from lantern.platform.referrals.models import Referral, Status
from lantern.platform.roles import Role

NOTE = "Needs a workplace inspection, construction site"


@pytest.fixture
def w(agencies, make_user, make_subject):
    own, police = agencies
    users = {"cw": make_user(Role.CASEWORKER), "sup": make_user(Role.SUPERVISOR), "an": make_user(Role.ANALYST),
             "police": make_user(Role.CASEWORKER, agency=police)}
    subject = make_subject(users["cw"], identity={"given_name": "Zanzibarina", "family_name": "Quorvalde"})
    consent = case_services.consent_record(user=users["cw"], subject=subject, purpose="referral",
                                           scope="named_agency", agency=police, given_by="subject",
                                           given_on=dt.date.today().isoformat())
    return {"own": own, "police_agency": police, "subject": subject, "consent": consent, **users}


def _strip(html: bytes) -> bytes:
    html = re.sub(rb'"X-CSRFToken": "[^"]+"', b"", html)
    html = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", html)
    return re.sub(rb'name="next" type="hidden" value="[^"]+"', b"", html)


def test_subject_page_offers_refer_and_the_form_sends(client, w):
    client.force_login(w["cw"])
    page = client.get(f"/subjects/{w['subject'].ref}/").content.decode()
    assert f'href="/subjects/{w["subject"].ref}/refer/"' in page and 'href="/referrals/"' in page  # + header link
    form = client.get(f"/subjects/{w['subject'].ref}/refer/?intervention=justice.police_referral")
    body = form.content.decode()
    assert form.status_code == 200 and "Police B" in body and f'value="{w["consent"].pk}"' in body
    assert 'value="justice.police_referral" selected' in body and "override_reason" not in body  # caseworker
    r = client.post(f"/subjects/{w['subject'].ref}/refer/", {"to_agency": "police-b", "consent": "",
                                                             "intervention": "", "note": "call 0712345678"})
    assert r.status_code == 422 and not Referral.objects.exists()
    errors = r.context["form"].errors
    assert "consent" in errors and "note" in errors  # every problem, next to its field
    r = client.post(f"/subjects/{w['subject'].ref}/refer/", {"to_agency": "police-b", "consent": w["consent"].pk,
                                                             "intervention": "justice.police_referral", "note": NOTE})
    referral = Referral.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/referrals/{referral.ref}/"
    page = client.get(f"/subjects/{w['subject'].ref}/").content.decode()
    assert referral.ref in page


def test_supervisor_sees_the_override_field(client, w):
    client.force_login(w["sup"])
    body = client.get(f"/subjects/{w['subject'].ref}/refer/").content.decode()
    assert 'name="override_reason"' in body
    r = client.post(f"/subjects/{w['subject'].ref}/refer/", {"to_agency": "police-b", "override_reason":
                                                             "danger tonight, guardian unreachable"})
    assert r.status_code == 302 and Referral.objects.get().is_override


def test_receiver_sees_no_identifier_before_accepting_and_the_case_after(client, w):
    referral = services.referral_send(user=w["cw"], subject=w["subject"], to_agency=w["police_agency"],
                                      consent=w["consent"], intervention="justice.police_referral", note=NOTE)
    client.force_login(w["police"])
    inbox = client.get("/referrals/?box=inbox").content.decode()
    assert referral.ref in inbox and w["subject"].ref not in inbox
    page = client.get(f"/referrals/{referral.ref}/").content.decode()
    assert NOTE in page and "NGO A" in page and "Referral to the police" in page
    for secret in (w["subject"].ref, "Zanzibarina", "Quorvalde"):
        assert secret not in page
    assert client.get(f"/subjects/{w['subject'].ref}/").status_code == 404
    # accept with HTMX: the panel is swapped in place (no page around it)
    r = client.post(f"/referrals/{referral.ref}/accept/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "<html" not in r.content.decode() and w["subject"].ref in r.content.decode()
    referral.refresh_from_db()
    assert referral.status == Status.ACCEPTED
    assert client.get(f"/subjects/{w['subject'].ref}/").status_code == 200
    identity = client.get(f"/subjects/{w['subject'].ref}/identity/").content.decode()
    assert "Quorvalde" in identity
    r = client.post(f"/referrals/{referral.ref}/close/", {"reason": "done"})
    assert r.status_code == 302 and client.get(f"/subjects/{w['subject'].ref}/").status_code == 404


def test_decline_without_reason_shows_the_error_in_place(client, w):
    referral = services.referral_send(user=w["cw"], subject=w["subject"], to_agency=w["police_agency"],
                                      consent=w["consent"])
    client.force_login(w["police"])
    r = client.post(f"/referrals/{referral.ref}/decline/", {"reason": ""})
    assert r.status_code == 422 and "reason" in r.context["decline_form"].errors
    r = client.post(f"/referrals/{referral.ref}/decline/", {"reason": "no capacity"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "no capacity" in r.content.decode()
    client.force_login(w["cw"])
    outbox = client.get("/referrals/?box=outbox&status=declined").content.decode()
    assert referral.ref in outbox and w["subject"].ref in outbox


def test_sender_withdraws_and_other_agencies_get_404_like_missing(client, w):
    referral = services.referral_send(user=w["cw"], subject=w["subject"], to_agency=w["police_agency"],
                                      consent=w["consent"])
    third = Agency.objects.create(key="third", name="Third", type="ngo", country="RO")
    from lantern.platform.accounts.models import User

    stranger = User.objects.create_user(username="stranger", password="pw-Secret-123", agency=third,
                                        role=Role.CASEWORKER)
    client.force_login(stranger)
    a, b = client.get(f"/referrals/{referral.ref}/"), client.get("/referrals/R-ZZZZZZZZZZ/")
    assert a.status_code == b.status_code == 404 and _strip(a.content) == _strip(b.content)
    assert client.post(f"/referrals/{referral.ref}/accept/").status_code == 404
    client.force_login(w["police"])
    assert client.post(f"/referrals/{referral.ref}/withdraw/").status_code == 404  # the receiver does not withdraw
    client.force_login(w["cw"])
    r = client.post(f"/referrals/{referral.ref}/withdraw/", {"reason": "moved away"})
    referral.refresh_from_db()
    assert r.status_code == 302 and referral.status == Status.WITHDRAWN
    again = client.post(f"/referrals/{referral.ref}/withdraw/", HTTP_HX_REQUEST="true")
    assert "a referral that is withdrawn cannot be withdrawn" in again.content.decode()
    client.force_login(w["police"])
    late = client.post(f"/referrals/{referral.ref}/accept/")
    assert late.status_code == 422 and "cannot be accepted" in late.content.decode()


def test_analyst_has_no_referrals_and_romanian_pages(client, w):
    client.force_login(w["an"])
    assert client.get("/referrals/").status_code == 403
    home = client.get("/analytics/").content.decode()
    assert 'href="/referrals/"' not in home
    client.force_login(w["cw"])
    client.cookies["django_language"] = "ro"
    page = client.get("/referrals/").content.decode()
    assert "Trimiteri" in page and "Nicio trimitere." in page
    form = client.get(f"/subjects/{w['subject'].ref}/refer/").content.decode()
    assert "Notă pentru instituția care primește" in form


# -- API -------------------------------------------------------------------------------------------------------

def _auth(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user)[1]}"}


def test_api_workflow_per_role(client, w):
    cw, police, analyst = _auth(w["cw"]), _auth(w["police"]), _auth(w["an"])
    body = {"subject": w["subject"].ref, "to_agency": "police-b", "consent": w["consent"].pk,
            "intervention": "justice.police_referral", "note": NOTE}
    assert client.post("/api/v1/referrals", body, content_type="application/json", **analyst).status_code == 403
    bad = client.post("/api/v1/referrals", {**body, "consent": None, "note": "born 1990-01-02"},
                      content_type="application/json", **cw)
    assert bad.status_code == 422 and {p["field"] for p in bad.json()["problems"]} == {"consent", "note"}
    r = client.post("/api/v1/referrals", body, content_type="application/json", **cw)
    assert r.status_code == 201 and r.json()["status"] == "sent" and r.json()["subject"] == w["subject"].ref
    ref = r.json()["ref"]
    got = client.get(f"/api/v1/referrals/{ref}", **police).json()
    assert got["subject"] is None and got["note"] == NOTE and got["from_agency"] == "ngo-a"
    assert [x["ref"] for x in client.get("/api/v1/referrals?box=inbox", **police).json()] == [ref]
    assert client.get("/api/v1/referrals?box=inbox", **cw).json() == []
    assert client.get("/api/v1/referrals", **analyst).status_code == 403
    assert client.post(f"/api/v1/referrals/{ref}/accept", {"days": 400}, content_type="application/json",
                       **police).status_code == 422
    assert client.post(f"/api/v1/referrals/{ref}/accept", {}, content_type="application/json",
                       **cw).status_code == 404  # the sender does not accept its own referral
    ok = client.post(f"/api/v1/referrals/{ref}/accept", {"days": 30}, content_type="application/json", **police)
    assert ok.status_code == 200 and ok.json()["subject"] == w["subject"].ref and ok.json()["access_until"]
    assert client.get(f"/api/v1/subjects/{w['subject'].ref}", **police).status_code == 200
    # consent withdrawal by the owning agency: the referral ends and the subject closes for the police
    case_services.consent_withdraw(user=w["cw"], subject=w["subject"], consent_id=w["consent"].pk)
    got = client.get(f"/api/v1/referrals/{ref}", **police).json()
    assert got["status"] == "withdrawn" and got["subject"] is None and got["consent"]["withdrawn"]
    assert client.get(f"/api/v1/subjects/{w['subject'].ref}", **police).status_code == 404
    assert client.post(f"/api/v1/referrals/{ref}/withdraw", {}, content_type="application/json",
                       **cw).status_code == 422  # already ended


def test_api_decline_and_other_agency_like_missing(client, w):
    referral = services.referral_send(user=w["cw"], subject=w["subject"], to_agency=w["police_agency"],
                                      consent=w["consent"])
    police = _auth(w["police"])
    r = client.post(f"/api/v1/referrals/{referral.ref}/decline", {"reason": ""}, content_type="application/json",
                    **police)
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "reason"
    r = client.post(f"/api/v1/referrals/{referral.ref}/decline", {"reason": "no capacity"},
                    content_type="application/json", **police)
    assert r.status_code == 200 and r.json()["status"] == "declined"
    third = Agency.objects.create(key="third", name="Third", type="ngo", country="RO")
    from lantern.platform.accounts.models import User

    stranger = _auth(User.objects.create_user(username="s", password="pw-Secret-123", agency=third,
                                              role=Role.SUPERVISOR))
    a = client.get(f"/api/v1/referrals/{referral.ref}", **stranger)
    b = client.get("/api/v1/referrals/R-ZZZZZZZZZZ", **stranger)
    assert (a.status_code, a.json()) == (b.status_code, b.json()) == (404, {"detail": "Not found"})


def test_list_page_queries_do_not_grow_with_the_referrals(client, w, make_subject):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add():
        subject = make_subject(w["cw"], assessment=False)
        c = case_services.consent_record(user=w["cw"], subject=subject, purpose="referral", scope="referral_network",
                                         given_by="subject", given_on=dt.date.today().isoformat())
        services.referral_accept(user=w["police"], referral=services.referral_send(
            user=w["cw"], subject=subject, to_agency=w["police_agency"], consent=c))

    client.force_login(w["police"])
    add()
    with CaptureQueriesContext(connection) as one:
        assert client.get("/referrals/").status_code == 200
    for _ in range(5):
        add()
    with CaptureQueriesContext(connection) as six:
        page = client.get("/referrals/").content.decode()
    assert page.count('href="/referrals/R-') == 6 and len(six) == len(one)


def test_api_list_refuses_an_unknown_filter_and_the_page_ignores_it(client, w):
    services.referral_send(user=w["cw"], subject=w["subject"], to_agency=w["police_agency"], consent=w["consent"])
    cw = _auth(w["cw"])
    r = client.get("/api/v1/referrals?status=acepted", **cw)
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "status"
    assert client.get("/api/v1/referrals?box=sent", **cw).status_code == 422
    assert len(client.get("/api/v1/referrals?status=sent", **cw).json()) == 1
    client.force_login(w["cw"])
    page = client.get("/referrals/?status=nonsense&box=nonsense")
    assert page.status_code == 200 and page.content.decode().count('href="/referrals/R-') == 1


def test_api_list_queries_do_not_grow_with_the_referrals(client, w, make_subject):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add():
        subject = make_subject(w["cw"], assessment=False)
        c = case_services.consent_record(user=w["cw"], subject=subject, purpose="referral", scope="referral_network",
                                         given_by="subject", given_on=dt.date.today().isoformat())
        services.referral_accept(user=w["police"], referral=services.referral_send(
            user=w["cw"], subject=subject, to_agency=w["police_agency"], consent=c))

    police = _auth(w["police"])
    add()
    client.get("/api/v1/referrals", **police)  # the token's first use is recorded once: not part of the count
    with CaptureQueriesContext(connection) as one:
        assert len(client.get("/api/v1/referrals", **police).json()) == 1
    for _ in range(4):
        add()
    with CaptureQueriesContext(connection) as five:
        body = client.get("/api/v1/referrals", **police).json()
    assert len(body) == 5 and all(r["subject"] for r in body) and len(five) == len(one)
