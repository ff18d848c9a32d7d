import datetime as dt
import time

import pytest
from django.urls import reverse

from lantern.platform import vocab
from lantern.platform.audit.models import AuditEvent
from lantern.platform.cases.models import Assessment, Subject
from lantern.platform.roles import Role
from lantern.platform.web.views import intake_steps


@pytest.fixture
def logged_in(client, caseworker):
    client.force_login(caseworker)
    return client


def test_sign_in_and_out(client, caseworker):
    bad = client.post("/accounts/login/", {"username": caseworker.username, "password": "nope"})
    assert bad.status_code == 200 and AuditEvent.objects.filter(action="login", outcome="denied").exists()
    r = client.post("/accounts/login/", {"username": caseworker.username, "password": "pw-Secret-123"})
    assert r.status_code == 302 and r["Location"] == reverse("home")
    assert client.get(reverse("home"))["Location"] == reverse("subject-list")  # a caseworker starts on the subjects
    assert AuditEvent.objects.filter(action="login", actor=caseworker.username, outcome="ok").exists()
    client.post("/accounts/logout/")
    assert client.get("/subjects/").status_code == 302


def test_subject_list_is_paginated_scoped_and_query_bounded(logged_in, caseworker, other_caseworker, make_subject,
                                                           django_assert_max_num_queries):
    mine = [make_subject(caseworker, assessment=(i % 2 == 0)) for i in range(30)]
    theirs = make_subject(other_caseworker)
    with django_assert_max_num_queries(9):
        r = logged_in.get("/subjects/")
    body = r.content.decode()
    assert r.status_code == 200 and "(30)" in body
    # page 1 = the 25 newest (i = 29 … 5); those with an interview (even i) show their screened risk
    assert body.count('class="risk ') == sum(1 for i in range(5, 30) if i % 2 == 0)
    assert theirs.ref not in body and sum(s.ref in body for s in mine) == 25
    with django_assert_max_num_queries(9):
        r2 = logged_in.get("/subjects/?page=2")
    assert sum(s.ref in r2.content.decode() for s in mine) == 5


def test_subject_page_and_identity_on_demand(logged_in, caseworker, other_caseworker, make_subject):
    subject = make_subject(caseworker, identity={"given_name": "Olena", "family_name": "Kovalenko"},
                           legs=[{"country": "UA"}, {"country": "RO", "entry_date": "2024-03-01"}])
    page = logged_in.get(f"/subjects/{subject.ref}/").content.decode()
    assert subject.ref in page and "Olena" not in page  # identifiers only on request
    ident = logged_in.get(f"/subjects/{subject.ref}/identity/", HTTP_HX_REQUEST="true")
    assert "Olena" in ident.content.decode()
    assert AuditEvent.objects.filter(action="identity.read", object_ref=subject.ref).count() == 1
    foreign = make_subject(other_caseworker)
    assert logged_in.get(f"/subjects/{foreign.ref}/").status_code == 404
    assert logged_in.get(f"/subjects/{foreign.ref}/identity/").status_code == 404


def test_assessment_page_shows_answers_and_screening(logged_in, caseworker, make_subject):
    subject = make_subject(caseworker)
    a = subject.assessments.get()
    r = logged_in.get(f"/assessments/{a.ref}/")
    assert r.status_code == 200
    first_question = vocab.indicator_sections()[0].questions[0].text
    assert first_question in r.content.decode()


def test_journey_editor_with_htmx(logged_in, caseworker, make_subject):
    subject = make_subject(caseworker)
    url = f"/subjects/{subject.ref}/journey/legs/"
    r = logged_in.post(url, {"country": "NP", "exit_date": "2024-01-01"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'id="journey"' in r.content.decode() and "<html" not in r.content.decode()
    logged_in.post(url, {"country": "HU", "entry_date": "2024-01-02", "exit_date": "2024-01-05"}, HTTP_HX_REQUEST="true")
    logged_in.post(url, {"country": "RO", "entry_date": "2024-01-06"}, HTTP_HX_REQUEST="true")
    assert list(subject.legs.values_list("country", "intra_eu")) == [("NP", False), ("HU", False), ("RO", True)]
    ro = subject.legs.get(country="RO")
    logged_in.post(f"/subjects/{subject.ref}/journey/legs/{ro.pk}/move/up/", HTTP_HX_REQUEST="true")
    assert list(subject.legs.order_by("order").values_list("country", flat=True)) == ["NP", "RO", "HU"]
    page = logged_in.get(f"/subjects/{subject.ref}/journey/").content.decode()
    assert "previous leg" in page  # the dates now conflict: a warning next to the leg
    logged_in.post(f"/subjects/{subject.ref}/journey/legs/{ro.pk}/delete/", HTTP_HX_REQUEST="true")
    assert list(subject.legs.order_by("order").values_list("country", "order")) == [("NP", 1), ("HU", 2)]


def test_journey_errors_in_place_and_nothing_saved(logged_in, caseworker, make_subject):
    subject = make_subject(caseworker)
    r = logged_in.post(f"/subjects/{subject.ref}/journey/legs/",
                       {"country": "RO", "entry_date": "2024-02-01", "exit_date": "2024-01-01", "mode": "warp"},
                       HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert 'id="id_exit_date-error"' in html and "before entry" in html
    assert "id_mode-error" in html  # unknown code named next to its field
    assert not subject.legs.exists()


def _answer_all(client, step, value="no"):
    form = client.get(f"/intake/{step}/").context["form"]
    return client.post(f"/intake/{step}/", {name: value for name in form.fields})


def test_intake_wizard_end_to_end(logged_in, caseworker, std):
    today = dt.date.today()
    assert logged_in.get("/intake/").status_code == 302
    r = logged_in.post("/intake/consent/", {"purposes": ["assessment"], "given_by": "subject",
                                            "given_on": today.isoformat()})
    assert r.status_code == 422 and "consent_given" in r.context["form"].errors  # the box must be ticked
    r = logged_in.post("/intake/consent/", {"consent_given": "on", "purposes": ["assessment", "referral"],
                                            "given_by": "subject", "given_on": today.isoformat()})
    assert r.status_code == 422 and "scope" in r.context["form"].errors  # a referral needs its scope
    named = {"consent_given": "on", "purposes": ["assessment", "referral"], "scope": "named_agency",
             "given_by": "subject", "given_on": today.isoformat()}
    r = logged_in.post("/intake/consent/", named)
    assert r.status_code == 422 and "named_agency" in r.context["form"].errors  # which organisation?
    r = logged_in.post("/intake/consent/", {**named, "named_agency": "police-b"})
    assert r.status_code == 302
    demo = {"interview_date": today.isoformat(), "sex": std.code_list("sex").active_ids()[0], "age": "31",
            "citizenship": "NP", "country_of_interview": "RO", "given_name": "Sita", "family_name": "Gurung",
            "date_of_birth": (today + dt.timedelta(days=3)).isoformat()}
    r = logged_in.post("/intake/demographics/", demo)
    assert r.status_code == 422 and "date_of_birth" in r.context["form"].errors  # a future birth date, in place
    demo["date_of_birth"] = today.replace(year=today.year - 31).isoformat() if (today.month, today.day) != (2, 29) else "1990-03-01"
    demo["age"] = str(today.year - int(demo["date_of_birth"][:4]))
    assert logged_in.post("/intake/demographics/", demo).status_code == 302
    steps = [k for k, _ in intake_steps()]
    for step in [s for s in steps if s.startswith("ind-") or s == "factors"]:
        bad = logged_in.post(f"/intake/{step}/", {})
        assert bad.status_code == 422  # every question needs an answer
        assert _answer_all(logged_in, step).status_code == 302
    r = logged_in.post("/intake/journey/", {"action": "add", "country": "NP"})
    r = logged_in.post("/intake/journey/", {"action": "add", "country": "RO", "entry_date": today.isoformat()})
    assert len(r.context["legs"]) == 2
    assert logged_in.post("/intake/journey/", {"action": "next"}).status_code == 302
    review = logged_in.get("/intake/review/")
    assert review.status_code == 200 and not review.context["missing"]
    done = logged_in.post("/intake/review/")
    assert done.status_code == 302
    subject = Subject.objects.get()
    a = Assessment.objects.get()
    assert done["Location"] == f"/subjects/{subject.ref}/"
    assert set(a.indicators.values()) <= {"no", "unknown"} and a.citizenship == "NP"
    assert subject.identity.given_name == "Sita" and subject.legs.count() == 2
    assert sorted(subject.consents.values_list("purpose", "scope", "agency__key")) == [
        ("assessment", "own_agency", None), ("referral", "named_agency", "police-b")]  # a referral can rest on it
    assert logged_in.session.get("lantern_intake") is None


def test_intake_draft_in_session_is_encrypted(logged_in):
    from django.contrib.sessions.models import Session

    logged_in.get("/intake/")
    logged_in.post("/intake/demographics/", {"given_name": "Zanzibarina", "interview_date": "2024-01-01"})
    logged_in.post("/intake/consent/", {"consent_given": "on", "purposes": ["assessment"],
                                        "given_by": "subject", "given_on": "2024-01-01"})
    demo = {"interview_date": "2024-01-01", "given_name": "Zanzibarina"}
    logged_in.post("/intake/demographics/", demo)
    raw = " ".join(s.session_data for s in Session.objects.all())
    decoded = " ".join(str(s.get_decoded()) for s in Session.objects.all())
    assert "Zanzibarina" not in raw and "Zanzibarina" not in decoded


def test_romanian_interface(logged_in):
    r = logged_in.post("/i18n/setlang/", {"language": "ro", "next": "/subjects/"})
    assert r.status_code == 302
    page = logged_in.get("/subjects/").content.decode()
    assert 'lang="ro"' in page and "Persoane" in page


def test_idle_timeout(logged_in, settings):
    assert logged_in.get("/subjects/").status_code == 200
    session = logged_in.session
    session["lantern_seen"] = int(time.time()) - settings.SESSION_IDLE_SECONDS - 5
    session.save()
    r = logged_in.get("/subjects/")
    assert r.status_code == 302 and "expired=1" in r["Location"]
    assert logged_in.get("/subjects/").status_code == 302  # signed out


def test_absolute_timeout(logged_in, settings):
    logged_in.get("/subjects/")
    session = logged_in.session
    session["lantern_started"] = int(time.time()) - settings.SESSION_COOKIE_AGE - 5
    session["lantern_seen"] = int(time.time())
    session.save()
    assert "expired=1" in logged_in.get("/subjects/")["Location"]


def test_audit_page_for_auditor_only(client, make_user, caseworker, make_subject):
    make_subject(caseworker)
    auditor = make_user(Role.AUDITOR)
    client.force_login(auditor)
    r = client.get("/audit/")
    assert r.status_code == 200 and "subject.create" in r.content.decode()
    client.force_login(caseworker)
    assert client.get("/audit/").status_code == 403


def test_sign_in_is_throttled_per_username(client, caseworker, settings):
    from django.core.cache import cache

    cache.clear()
    settings.LANTERN_LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        assert client.post("/accounts/login/", {"username": caseworker.username, "password": "bad"}).status_code == 200
    r = client.post("/accounts/login/", {"username": caseworker.username, "password": "pw-Secret-123"})
    assert r.status_code == 429 and "Too many failed attempts" in r.content.decode()
    assert AuditEvent.objects.filter(action="login", detail="throttled").exists()
    cache.clear()
    assert client.post("/accounts/login/", {"username": caseworker.username, "password": "pw-Secret-123"}).status_code == 302


def test_oversized_request_is_refused_before_reading(client, settings, db):
    settings.LANTERN_MAX_REQUEST_BYTES = 1000
    r = client.post("/api/v1/imports/assessments", data="x" * 2000, content_type="text/csv")
    assert r.status_code == 413 and r.json()["problems"][0]["field"] == "file"


def test_follow_up_interview_for_an_existing_subject(logged_in, caseworker, other_caseworker, make_subject):
    subject = make_subject(caseworker)
    r = logged_in.get(f"/intake/?subject={subject.ref}")
    assert r.status_code == 302
    page = logged_in.get("/intake/consent/").content.decode()
    assert subject.ref in page
    foreign = make_subject(other_caseworker)
    assert logged_in.get(f"/intake/?subject={foreign.ref}").status_code == 404


def test_fields_in_error_are_marked_for_screen_readers(logged_in):
    logged_in.get("/intake/")
    html = logged_in.post("/intake/consent/", {"purposes": ["assessment"]}).content.decode()
    assert 'aria-invalid="true"' in html and 'aria-describedby="id_given_on-error"' in html
    assert 'id="id_given_on-error"' in html


def test_totp_second_factor_single_use(client, caseworker):
    import pyotp

    from lantern.platform.accounts.services import totp_enable

    uri = totp_enable(user=caseworker)
    secret = pyotp.parse_uri(uri).secret
    caseworker.refresh_from_db()
    r = client.post("/accounts/login/", {"username": caseworker.username, "password": "pw-Secret-123"})
    assert r.status_code == 302 and r["Location"] == "/accounts/totp/"
    assert client.get("/subjects/").status_code == 302  # not signed in yet
    bad = client.post("/accounts/totp/", {"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.content.decode()
    code = pyotp.TOTP(secret).now()
    ok = client.post("/accounts/totp/", {"code": code})
    assert ok.status_code == 302 and client.get("/subjects/").status_code == 200
    client.post("/accounts/logout/")
    client.post("/accounts/login/", {"username": caseworker.username, "password": "pw-Secret-123"})
    assert client.post("/accounts/totp/", {"code": code}).status_code == 422  # the same code cannot be replayed
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT totp_secret FROM accounts_user WHERE id = %s", [caseworker.pk])
        assert secret not in cur.fetchone()[0]  # the secret is stored encrypted


def test_web_import_reports_every_row_and_saves_nothing_on_error(logged_in, flat_row):
    import csv
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile

    rows = [flat_row(), flat_row(citizenship="XX")]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    data = buf.getvalue().encode()
    r = logged_in.post("/imports/", {"file": SimpleUploadedFile("a.csv", data), "format": "csv"})
    assert r.status_code == 422 and "row 3" in r.content.decode() and "citizenship" in r.content.decode()
    assert not Assessment.objects.exists()
    buf2 = io.StringIO()
    w = csv.DictWriter(buf2, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerow(rows[0])
    r = logged_in.post("/imports/", {"file": SimpleUploadedFile("a.csv", buf2.getvalue().encode()), "format": "csv"})
    assert r.status_code == 200 and Assessment.objects.count() == 1
    assert Assessment.objects.get().ref in r.content.decode()


def test_agency_admin_sees_own_users_and_revokes_tokens(client, make_user, caseworker, other_caseworker):
    from lantern.platform.accounts.services import token_authenticate, token_create

    admin = make_user(Role.AGENCY_ADMIN)
    row, token = token_create(user=caseworker)
    other_row, _t = token_create(user=other_caseworker)
    client.force_login(admin)
    page = client.get("/agency/users/").content.decode()
    assert caseworker.username in page and other_caseworker.username not in page and row.prefix in page
    assert client.post(f"/agency/tokens/{other_row.pk}/revoke/").status_code == 404
    assert client.post(f"/agency/tokens/{row.pk}/revoke/").status_code == 302
    assert token_authenticate(token) is None
    assert AuditEvent.objects.filter(action="token.revoke", actor=admin.username).exists()


def test_idle_timeout_on_an_htmx_request_redirects_the_page(logged_in, caseworker, make_subject, settings):
    subject = make_subject(caseworker)
    logged_in.get("/subjects/")
    session = logged_in.session
    session["lantern_seen"] = int(time.time()) - settings.SESSION_IDLE_SECONDS - 5
    session.save()
    r = logged_in.post(f"/subjects/{subject.ref}/journey/legs/", {"country": "RO"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 204 and r["HX-Redirect"].startswith("/accounts/login/")
    assert not subject.legs.exists()


def test_erase_needs_the_pseudonym_retyped(client, make_user, caseworker, make_subject):
    supervisor = make_user(Role.SUPERVISOR)
    subject = make_subject(caseworker)
    client.force_login(supervisor)
    assert "Erase this case" in client.get(f"/subjects/{subject.ref}/").content.decode()
    client.post(f"/subjects/{subject.ref}/erase/", {"reason": "request", "confirm": "S-WRONG"})
    assert Subject.objects.filter(pk=subject.pk).exists()
    r = client.post(f"/subjects/{subject.ref}/erase/", {"reason": "request", "confirm": subject.ref.lower()})
    assert r["Location"] == "/subjects/" and not Subject.objects.filter(pk=subject.pk).exists()
    client.force_login(caseworker)
    other = make_subject(caseworker)
    assert "Erase this case" not in client.get(f"/subjects/{other.ref}/").content.decode()


def test_security_headers(client, db):
    r = client.get("/accounts/login/")
    assert "script-src 'self'" in r["Content-Security-Policy"] and "frame-ancestors 'none'" in r["Content-Security-Policy"]
    assert r["X-Frame-Options"] == "DENY" and r["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in r["Permissions-Policy"]


def test_supervisor_shares_one_subject_with_another_agency(client, make_user, caseworker, other_caseworker,
                                                          make_subject, agencies):
    supervisor = make_user(Role.SUPERVISOR)
    shared, private = make_subject(caseworker), make_subject(caseworker)
    client.force_login(supervisor)
    r = client.post(f"/subjects/{shared.ref}/grants/", {"agency": agencies[1].key, "reason": "referral, consent of "
                                                        "2026-12-01", "days": "30"})
    assert r.status_code == 302
    client.force_login(other_caseworker)
    listing = client.get("/subjects/").content.decode()
    assert shared.ref in listing and private.ref not in listing
    page = client.get(f"/subjects/{shared.ref}/").content.decode()
    assert "shared with your agency" in page and "Erase this case" not in page
    assert client.get(f"/subjects/{private.ref}/").status_code == 404


@pytest.mark.parametrize("role", list(Role.values))
def test_sign_in_lands_every_role_on_a_page_it_may_see(client, make_user, role):
    # an analyst used to land on the subject list and get a 403 right after signing in
    user = make_user(role)
    response = client.post("/accounts/login/", {"username": user.username, "password": "pw-Secret-123"},
                           follow=True)
    assert response.status_code == 200, (role, response.redirect_chain)
    assert response.wsgi_request.user.is_authenticated


def test_signed_out_pages_link_to_the_public_toolkit(client):
    page = client.get("/accounts/login/").content.decode()
    assert f'href="{reverse("toolkit")}"' in page
    assert 'href="/subjects/"' not in page  # and to nothing that needs a sign-in


def test_a_group_of_choices_is_a_fieldset_with_its_legend_first(logged_in):
    import re

    page = logged_in.get("/intake/", follow=True).content.decode()  # the wizard starts at its first step
    group = re.search(r'<fieldset class="choices"[^>]*>\s*<legend>(.*?)</legend>(.*?)</fieldset>', page, re.S)
    assert group and "Purposes agreed" in group.group(1)
    assert group.group(2).count('type="checkbox"') == 5  # the five consent purposes, after the legend
    assert '<label><input type="checkbox" name="consent_given"' in page  # a single box keeps its wrapping label
