"""Agency administrators manage their agency's users on the web: create (one-time password, changed at the first
sign-in), change a role (an agency keeps an active administrator), deactivate / reactivate (sessions end, tokens
revoked), a new one-time password, reset the second factor; all audited without secrets, all within the own
agency (another agency's user answers 404 like a missing one)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.http import Http404
from django.test import Client
from django.utils import timezone

from lantern.errors import LanternError
from lantern.platform.accounts import services
from lantern.platform.accounts.models import ApiToken, RecoveryCode, User
from lantern.platform.audit.models import AuditEvent
from lantern.platform.roles import Role

PASSWORD = "pw-Secret-123"
OTP_RE = re.compile(r'<p class="one-time-password"><code>([2-9A-HJ-NP-Z]{4}(?:-[2-9A-HJ-NP-Z]{4}){3})</code>')
HTMX = {"HTTP_HX_REQUEST": "true"}
NEW_PASSWORD = "lantern-river-Barge-42"


@pytest.fixture
def admin(make_user):
    return make_user(Role.AGENCY_ADMIN)


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def _create(client, username="maria", role=Role.CASEWORKER, **headers):
    return client.post("/agency/users/new/", {"username": username, "role": role}, **headers)


def _otp(response) -> str:
    match = OTP_RE.search(response.content.decode())
    assert match, "no one-time password on the page"
    return match.group(1)


def _secrets_absent(*secrets: str) -> None:
    for row in AuditEvent.objects.all():
        text = f"{row.action} {row.object_ref} {row.detail}"
        for secret in secrets:
            assert secret not in text and secret.replace("-", "") not in text, row.action


# -- create ---------------------------------------------------------------------------------------------------

def test_admin_creates_a_user_with_a_one_time_password(admin_client, admin):
    response = _create(admin_client)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    password = _otp(response)
    user = User.objects.get(username="maria")
    assert (user.agency_id, user.role, user.is_active, user.must_change_password) == (
        admin.agency_id, Role.CASEWORKER, True, True)
    expires = user.password_expires_at - timezone.now()
    assert dt.timedelta(days=services.ONE_TIME_PASSWORD_DAYS) - expires < dt.timedelta(minutes=1)
    assert user.check_password(password)
    event = AuditEvent.objects.get(action="user.create", object_ref="maria")
    assert (event.actor, event.agency, event.channel, event.outcome) == (admin.username, "ngo-a", "web", "ok")
    assert "role=caseworker" in event.detail
    _secrets_absent(password)


@pytest.mark.parametrize(("username", "role", "field", "message"), [
    ("", Role.CASEWORKER, "username", "This field is required"),
    ("maria popescu", Role.CASEWORKER, "username", "only letters, digits"),
    ("NGO-A-CASEWORKER", Role.CASEWORKER, "username", "exists"),  # any case: ngo-a-caseworker exists
    ("maria", "", "role", "This field is required"),
    ("maria", "superuser", "role", "Select a valid choice"),
])
def test_create_errors_in_place_nothing_saved(admin_client, make_user, username, role, field, message):
    make_user(Role.CASEWORKER)
    before = User.objects.count()
    response = _create(admin_client, username, role)
    assert response.status_code == 422
    html = response.content.decode()
    assert f'id="id_{field}-error"' in html and message in html
    assert not OTP_RE.search(html)
    assert User.objects.count() == before
    htmx = _create(admin_client, username, role, **HTMX)  # HTMX: 200, the form swapped in place with the error
    assert htmx.status_code == 200 and f'id="id_{field}-error"' in htmx.content.decode()


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.AGENCY_ADMIN])
def test_other_roles_cannot_create_users(client, make_user, role):
    client.force_login(make_user(role))
    assert client.get("/agency/users/new/").status_code == 403
    assert _create(client).status_code == 403
    assert not User.objects.filter(username="maria").exists()
    assert AuditEvent.objects.filter(action="user.create", outcome="denied").exists()


def test_service_refuses_creating_in_another_agency(admin, agencies):
    with pytest.raises(Http404):
        services.user_create(username="x1", password=services.one_time_password_new(), agency=agencies[1],
                             role=Role.CASEWORKER, actor=admin, one_time=True)
    assert not User.objects.filter(username="x1").exists()


def test_password_policy_applies_to_a_given_password(admin):
    with pytest.raises(LanternError) as err:
        services.user_create(username="x2", password="12345678", agency=admin.agency, role=Role.ANALYST, actor=admin)
    assert {p.field for p in err.value.problems} == {"password"}
    assert not User.objects.filter(username="x2").exists()


# -- first sign-in: the one-time password must be changed -----------------------------------------------------

def test_first_sign_in_forces_a_new_password(admin_client):
    password = _otp(_create(admin_client, "maria", Role.ANALYST))
    c = Client()
    assert c.post("/accounts/login/", {"username": "maria", "password": password}).status_code == 302
    for path in ("/", "/analytics/", "/agency/users/"):  # everything leads to the password page
        response = c.get(path)
        assert response.status_code == 302 and response["Location"] == "/accounts/password/", path
    assert c.get("/", **HTMX)["HX-Redirect"] == "/accounts/password/"
    page = c.get("/accounts/password/")
    assert page.status_code == 200 and "one-time password" in page.content.decode()
    # the policy, and not the one-time password again
    weak = c.post("/accounts/password/", {"old_password": password, "new_password1": "short",
                                          "new_password2": "short"})
    assert weak.status_code == 422 and 'id="id_new_password2-error"' in weak.content.decode()
    same = c.post("/accounts/password/", {"old_password": password, "new_password1": password,
                                          "new_password2": password})
    assert same.status_code == 422 and "different from the current one" in same.content.decode()
    wrong_old = c.post("/accounts/password/", {"old_password": "nope-nope-nope", "new_password1": NEW_PASSWORD,
                                               "new_password2": NEW_PASSWORD})
    assert wrong_old.status_code == 422 and 'id="id_old_password-error"' in wrong_old.content.decode()
    done = c.post("/accounts/password/", {"old_password": password, "new_password1": NEW_PASSWORD,
                                          "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    user = User.objects.get(username="maria")
    assert not user.must_change_password and user.password_expires_at is None
    assert user.check_password(NEW_PASSWORD) and not user.check_password(password)
    assert c.get("/").status_code == 302 and c.get("/analytics/").status_code == 200  # the session goes on
    assert AuditEvent.objects.filter(action="user.password_change", object_ref="maria", outcome="ok").count() == 1
    _secrets_absent(password, NEW_PASSWORD)


def test_expired_one_time_password_does_not_sign_in(admin_client):
    password = _otp(_create(admin_client))
    User.objects.filter(username="maria").update(password_expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = Client().post("/accounts/login/", {"username": "maria", "password": password})
    assert response.status_code == 200  # the sign-in form again, like a wrong password
    assert AuditEvent.objects.filter(action="login", outcome="denied").exists()


# -- role ----------------------------------------------------------------------------------------------------

def test_change_role(admin_client, caseworker, admin):
    response = admin_client.post(f"/agency/users/{caseworker.pk}/role/", {"role": Role.SUPERVISOR})
    assert response.status_code == 302
    caseworker.refresh_from_db()
    assert caseworker.role == Role.SUPERVISOR
    event = AuditEvent.objects.get(action="user.role_change", outcome="ok")
    assert (event.object_ref, event.detail, event.actor) == (caseworker.username, "role=caseworker->supervisor",
                                                             admin.username)
    bad = admin_client.post(f"/agency/users/{caseworker.pk}/role/", {"role": "root"}, **HTMX)
    assert bad.status_code == 200 and 'id="id_role-error"' in bad.content.decode()
    caseworker.refresh_from_db()
    assert caseworker.role == Role.SUPERVISOR


def test_last_active_admin_keeps_the_role(admin_client, admin, make_user):
    response = admin_client.post(f"/agency/users/{admin.pk}/role/", {"role": Role.AUDITOR})
    assert response.status_code == 422 and "at least one active administrator" in response.content.decode()
    admin.refresh_from_db()
    assert admin.role == Role.AGENCY_ADMIN
    assert AuditEvent.objects.filter(action="user.role_change", outcome="denied", detail="last_admin").exists()
    # a deactivated second admin does not count
    second = make_user(Role.AGENCY_ADMIN, username="admin-2")
    User.objects.filter(pk=second.pk).update(is_active=False)
    assert admin_client.post(f"/agency/users/{admin.pk}/role/", {"role": Role.AUDITOR}).status_code == 422
    # an active one does: the admin may then give up their own role
    User.objects.filter(pk=second.pk).update(is_active=True)
    assert admin_client.post(f"/agency/users/{admin.pk}/role/", {"role": Role.AUDITOR}).status_code == 302
    admin.refresh_from_db()
    assert admin.role == Role.AUDITOR
    # and now the second is the last one: the service refuses demoting or deactivating them
    second.refresh_from_db()
    for call in (lambda: services.user_role_change(actor=second, user=second, role=Role.ANALYST),):
        with pytest.raises(LanternError):
            call()
    assert admin_client.get("/agency/users/").status_code == 403  # no longer an administrator


def test_last_admin_rule_in_the_service_for_deactivation(admin, make_user, agencies):
    # an admin of the other agency cannot reach this one's users at all
    other_admin = make_user(Role.AGENCY_ADMIN, agency=agencies[1], username="other-admin")
    with pytest.raises(Http404):
        services.user_deactivate(actor=other_admin, user=admin)
    second = make_user(Role.AGENCY_ADMIN, username="admin-2")
    services.user_deactivate(actor=second, user=admin)  # two admins: fine
    with pytest.raises(LanternError):  # never one's own account
        services.user_deactivate(actor=second, user=second)


# -- deactivate / reactivate ------------------------------------------------------------------------------------

def test_deactivation_ends_sessions_and_revokes_tokens(admin_client, caseworker, admin):
    _, token = services.token_create(user=caseworker)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    theirs = Client()
    assert theirs.post("/accounts/login/", {"username": caseworker.username, "password": PASSWORD}).status_code == 302
    assert theirs.get("/subjects/").status_code == 200
    assert Client().get("/api/v1/subjects", **auth).status_code == 200

    response = admin_client.post(f"/agency/users/{caseworker.pk}/deactivate/", **HTMX)
    assert response.status_code == 200
    assert "1 session(s) ended, 1 API token(s) revoked" in response.content.decode()
    caseworker.refresh_from_db()
    assert not caseworker.is_active
    assert ApiToken.objects.filter(user=caseworker, revoked_at__isnull=True).count() == 0
    assert theirs.get("/subjects/").status_code == 302  # the session is gone
    assert Client().get("/api/v1/subjects", **auth).status_code == 401
    again = Client().post("/accounts/login/", {"username": caseworker.username, "password": PASSWORD})
    assert again.status_code == 200  # no sign-in
    event = AuditEvent.objects.get(action="user.deactivate", outcome="ok")
    assert (event.object_ref, event.detail) == (caseworker.username, "sessions=1 tokens=1")
    _secrets_absent(token, PASSWORD)

    assert admin_client.post(f"/agency/users/{caseworker.pk}/reactivate/").status_code == 302
    caseworker.refresh_from_db()
    assert caseworker.is_active
    assert Client().post("/accounts/login/", {"username": caseworker.username,
                                                    "password": PASSWORD}).status_code == 302
    assert Client().get("/api/v1/subjects", **auth).status_code == 401  # revoked tokens stay revoked
    assert AuditEvent.objects.filter(action="user.reactivate", object_ref=caseworker.username).count() == 1


def test_no_action_on_ones_own_account(admin_client, admin):
    for action in ("deactivate", "password-reset"):
        response = admin_client.post(f"/agency/users/{admin.pk}/{action}/")
        assert response.status_code == 422 and "your own account" in response.content.decode(), action
    admin.refresh_from_db()
    assert admin.is_active and admin.check_password(PASSWORD)
    services.totp_enable(user=admin)
    assert admin_client.post(f"/agency/users/{admin.pk}/totp-reset/").status_code == 422
    admin.refresh_from_db()
    assert admin.has_totp
    assert AuditEvent.objects.filter(action__in=["user.deactivate", "user.password_reset", "totp.reset"],
                                     outcome="denied").count() == 3


# -- password reset, second-factor reset --------------------------------------------------------------------

def test_password_reset_gives_a_new_one_time_password(admin_client, caseworker):
    theirs = Client()
    theirs.post("/accounts/login/", {"username": caseworker.username, "password": PASSWORD})
    response = admin_client.post(f"/agency/users/{caseworker.pk}/password-reset/", **HTMX)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    password = _otp(response)
    caseworker.refresh_from_db()
    assert caseworker.must_change_password and caseworker.check_password(password)
    assert not caseworker.check_password(PASSWORD)
    assert theirs.get("/subjects/").status_code == 302  # session ended
    event = AuditEvent.objects.get(action="user.password_reset")
    assert event.detail == "sessions=1"
    _secrets_absent(password, PASSWORD)
    # not in a message either (messages live in the session): a plain post renders the page
    plain = admin_client.post(f"/agency/users/{caseworker.pk}/password-reset/")
    assert plain.status_code == 200 and _otp(plain) != password


def test_totp_reset(admin_client, caseworker):
    services.totp_enable(user=caseworker)
    services.recovery_codes_create(user=caseworker)
    page = admin_client.get(f"/agency/users/{caseworker.pk}/")
    assert "Reset the second factor" in page.content.decode()
    response = admin_client.post(f"/agency/users/{caseworker.pk}/totp-reset/", **HTMX)
    assert response.status_code == 200 and "10 unused recovery code(s)" in response.content.decode()
    caseworker.refresh_from_db()
    assert not caseworker.has_totp and caseworker.totp_last_step is None
    assert not RecoveryCode.objects.filter(user=caseworker).exists()
    event = AuditEvent.objects.get(action="totp.reset")
    assert (event.channel, event.outcome, event.detail) == ("web", "ok", "unused_recovery_codes=10 sessions=0")
    again = admin_client.post(f"/agency/users/{caseworker.pk}/totp-reset/")  # nothing left to reset
    assert again.status_code == 422 and "has no second factor" in again.content.decode()
    # the signed-in user can sign in with the password alone again
    c = Client()
    assert c.post("/accounts/login/", {"username": caseworker.username, "password": PASSWORD})["Location"] != \
        "/accounts/totp/"


def _strip(html: bytes) -> bytes:
    html = re.sub(rb'"X-CSRFToken": "[^"]+"', b"", html)
    html = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", html)
    return re.sub(rb'name="next" type="hidden" value="[^"]+"', b"", html)  # the requested path itself


# -- scope --------------------------------------------------------------------------------------------------

def test_other_agencys_user_answers_like_a_missing_one(admin_client, other_caseworker):
    missing = User.objects.order_by("-pk").first().pk + 1000
    for suffix, method in (("", "get"), ("role/", "post"), ("deactivate/", "post"), ("reactivate/", "post"),
                           ("password-reset/", "post"), ("totp-reset/", "post")):
        a = getattr(admin_client, method)(f"/agency/users/{other_caseworker.pk}/{suffix}", {"role": Role.AUDITOR})
        b = getattr(admin_client, method)(f"/agency/users/{missing}/{suffix}", {"role": Role.AUDITOR})
        assert (a.status_code, _strip(a.content)) == (b.status_code, _strip(b.content)), suffix
        assert a.status_code == 404, suffix
    other_caseworker.refresh_from_db()
    assert other_caseworker.is_active and other_caseworker.role == Role.CASEWORKER
    assert other_caseworker.check_password(PASSWORD)


def test_agency_page_lists_only_own_users_with_links(admin_client, caseworker, other_caseworker):
    html = admin_client.get("/agency/users/").content.decode()
    assert f'href="/agency/users/{caseworker.pk}/"' in html and 'href="/agency/users/new/"' in html
    assert other_caseworker.username not in html


def test_romanian(admin_client, caseworker):
    admin_client.post("/i18n/setlang/", {"language": "ro"})
    html = admin_client.get(f"/agency/users/{caseworker.pk}/").content.decode()
    assert "Schimbă rolul" in html
    assert "Utilizator nou" in admin_client.get("/agency/users/new/").content.decode()


def test_required_second_factor_comes_first_then_the_password(admin_client, settings):
    """A role that must use a second factor: password → enrolment (no session before) → own password."""
    import pyotp

    settings.LANTERN_TOTP_ROLES = [Role.SUPERVISOR]
    password = _otp(_create(admin_client, "sup", Role.SUPERVISOR))
    c = Client()
    assert c.post("/accounts/login/", {"username": "sup", "password": password})["Location"] == "/accounts/totp/enrol/"
    assert c.get("/accounts/password/").status_code == 302  # no session yet: to the sign-in page
    page = c.get("/accounts/totp/enrol/").content.decode()
    secret = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    assert c.post("/accounts/totp/enrol/", {"code": pyotp.TOTP(secret).now()}).status_code == 200
    assert c.get("/subjects/")["Location"] == "/accounts/password/"
    assert c.post("/accounts/password/", {"old_password": password, "new_password1": NEW_PASSWORD,
                                          "new_password2": NEW_PASSWORD}, **HTMX)["HX-Redirect"] == "/"
    assert c.get("/subjects/").status_code == 200
