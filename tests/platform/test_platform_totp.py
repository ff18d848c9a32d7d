"""Second factor: enforcement per role (LANTERN_TOTP_ROLES), self-service enrolment, recovery codes, reset."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pyotp
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from typer.testing import CliRunner

from lantern.cli import app
from lantern.errors import LanternError
from lantern.platform.accounts.models import RecoveryCode, User
from lantern.platform.accounts.services import (
    recovery_code_use,
    totp_enrol,
    totp_new_secret,
    totp_required,
    totp_verify,
)
from lantern.platform.audit.models import AuditEvent
from lantern.platform.roles import Role

PASSWORD = "pw-Secret-123"
CODE_RE = re.compile(r"<code>([2-9A-HJ-NP-Z]{4}(?:-[2-9A-HJ-NP-Z]{4}){3})</code>")


@pytest.fixture
def supervisor(make_user):
    return make_user(Role.SUPERVISOR)


@pytest.fixture
def required(settings):
    settings.LANTERN_TOTP_ROLES = [Role.SUPERVISOR, Role.AGENCY_ADMIN, Role.AUDITOR]
    return settings


def _sign_in(client, user):
    return client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})


def _secret_on_page(html: str) -> str:
    return re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', html).group(1).replace(" ", "")


def _wrong(secret: str) -> str:
    now = pyotp.TOTP(secret)
    return next(c for c in ("000000", "111111", "222222") if not now.verify(c, valid_window=1))


def _enrol_via_web(client) -> tuple[str, list[str]]:
    """Enrol on the enrolment page; returns (secret, recovery codes)."""
    page = client.get("/accounts/totp/enrol/")
    assert page.status_code == 200
    secret = _secret_on_page(page.content.decode())
    done = client.post("/accounts/totp/enrol/", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200, done.content[:300]
    codes = CODE_RE.findall(done.content.decode())
    assert len(codes) == 10
    return secret, codes


def _enrolled(user) -> tuple[str, list[str]]:
    secret = totp_new_secret()
    codes = totp_enrol(user=user, secret=secret, code=pyotp.TOTP(secret).now())
    user.refresh_from_db()
    # the enrolment step is used: sign-ins in these tests use the step before it (±1 step is accepted)
    User.objects.filter(pk=user.pk).update(totp_last_step=user.totp_last_step - 2)
    return secret, codes


def _previous_code(secret: str) -> str:
    totp = pyotp.TOTP(secret)
    import time

    return totp.at(time.time() - totp.interval)


# -- the setting -------------------------------------------------------------------------------------------

SETTINGS_FILE = Path(__file__).resolve().parents[2] / "src/lantern/platform/settings.py"


@pytest.mark.parametrize(("env", "expected"), [
    ({}, []),
    ({"LANTERN_ENV": "production"}, ["supervisor", "agency_admin", "auditor"]),
    ({"LANTERN_ENV": "production", "LANTERN_TOTP_ROLES": "none"}, []),
    ({"LANTERN_ENV": "production", "LANTERN_TOTP_ROLES": ""}, ["supervisor", "agency_admin", "auditor"]),
    ({"LANTERN_TOTP_ROLES": " caseworker, supervisor "}, ["caseworker", "supervisor"]),
])
def test_setting_default_is_privileged_roles_in_production_only(monkeypatch, env, expected):
    for name in ("LANTERN_ENV", "LANTERN_TOTP_ROLES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANTERN_SECRET_KEY", "test-only")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert runpy.run_path(str(SETTINGS_FILE))["LANTERN_TOTP_ROLES"] == expected


def test_unknown_role_in_the_setting_is_refused(settings, supervisor):
    settings.LANTERN_TOTP_ROLES = ["supervisr"]
    with pytest.raises(ImproperlyConfigured, match="supervisr"):
        totp_required(supervisor)


# -- enforcement -------------------------------------------------------------------------------------------

def test_enforcement_off_signs_in_with_password_alone(client, settings, supervisor):
    settings.LANTERN_TOTP_ROLES = []
    r = _sign_in(client, supervisor)
    assert r.status_code == 302 and r["Location"] == "/"
    assert client.get("/subjects/").status_code == 200


def test_enforcement_is_per_role(client, required, caseworker):
    r = _sign_in(client, caseworker)  # caseworker is not in the list
    assert r["Location"] == "/" and client.get("/subjects/").status_code == 200


def test_required_role_gets_no_session_before_enrolling(client, required, supervisor):
    r = _sign_in(client, supervisor)
    assert r.status_code == 302 and r["Location"] == "/accounts/totp/enrol/"
    assert "_auth_user_id" not in client.session
    for path in ("/", "/subjects/", "/audit/", "/intake/", "/accounts/totp/recovery-codes/"):
        page = client.get(path)
        assert page.status_code == 302 and page["Location"].startswith("/accounts/login/"), path
    api = client.get("/api/v1/subjects")
    assert api.status_code == 401
    assert not AuditEvent.objects.filter(action="login", outcome="ok").exists()


def test_required_role_with_existing_session_reaches_only_the_enrolment_page(client, required, supervisor):
    client.force_login(supervisor)  # a session from before the requirement (or before a reset)
    for path in ("/", "/subjects/", "/audit/"):
        r = client.get(path)
        assert r.status_code == 302 and r["Location"] == "/accounts/totp/enrol/", path
    htmx = client.get("/subjects/", HTTP_HX_REQUEST="true")
    assert htmx.status_code == 204 and htmx["HX-Redirect"] == "/accounts/totp/enrol/"
    assert client.get("/accounts/totp/enrol/").status_code == 200
    _enrol_via_web(client)
    assert client.get("/subjects/").status_code == 200


def test_api_tokens_are_not_affected(client, required, supervisor):
    from lantern.platform.accounts.services import token_create

    token = token_create(user=supervisor)[1]
    assert client.get("/api/v1/subjects", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


# -- enrolment ---------------------------------------------------------------------------------------------

def test_enrolment_needs_a_valid_code_then_opens_the_session(client, required, supervisor):
    _sign_in(client, supervisor)
    page = client.get("/accounts/totp/enrol/")
    html = page.content.decode()
    secret = _secret_on_page(html)
    assert page["Cache-Control"] == "no-store"
    assert client.get("/accounts/totp/enrol/").content.decode().count(secret[:4]) >= 1
    assert _secret_on_page(client.get("/accounts/totp/enrol/").content.decode()) == secret  # stable on reload
    bad = client.post("/accounts/totp/enrol/", {"code": _wrong(secret)})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.content.decode()
    supervisor.refresh_from_db()
    assert not supervisor.has_totp and "_auth_user_id" not in client.session
    assert client.get("/subjects/").status_code == 302
    ok = client.post("/accounts/totp/enrol/", {"code": pyotp.TOTP(secret).now()})
    assert ok.status_code == 200 and ok["Cache-Control"] == "no-store"
    assert len(CODE_RE.findall(ok.content.decode())) == 10
    supervisor.refresh_from_db()
    assert supervisor.totp_secret == secret and supervisor.recovery_codes.count() == 10
    assert client.get("/subjects/").status_code == 200  # signed in now
    actions = list(AuditEvent.objects.filter(actor=supervisor.username).values_list("action", "outcome"))
    assert ("totp.enable", "invalid") in actions and ("totp.enable", "ok") in actions and ("login", "ok") in actions


def test_pending_enrolment_expires(client, required, supervisor):
    _sign_in(client, supervisor)
    session = client.session
    session["lantern_totp_enrol"]["at"] -= 601
    session.save()
    assert client.get("/accounts/totp/enrol/")["Location"] == "/accounts/login/"


def test_enrolment_page_without_sign_in_goes_to_sign_in(client, db):
    r = client.get("/accounts/totp/enrol/")
    assert r.status_code == 302 and r["Location"] == "/accounts/login/"


def test_qr_code_is_inline_svg_of_the_uri(client, caseworker):
    client.force_login(caseworker)  # voluntary enrolment: any role, requirement off
    html = client.get("/accounts/totp/enrol/").content.decode()
    svg = re.search(r"<svg\b.*?</svg>", html, re.S)
    assert svg and 'class="qr"' in svg.group(0) and "<path" in svg.group(0)
    assert "<img" not in html and "<script" not in html.split("</head>")[1]
    assert not re.search(r"""(src|href)=["']https?://""", html)  # nothing from outside
    secret = _secret_on_page(html)
    assert f"otpauth://totp/Lantern:{caseworker.username}?secret={secret}" in html
    _enrol_via_web(client)
    caseworker.refresh_from_db()
    assert caseworker.totp_secret == secret
    status = client.get("/accounts/totp/enrol/").content.decode()
    assert "10 unused recovery codes" in status and "<svg" not in status  # no second secret once enrolled


def test_enrolment_code_and_used_codes_cannot_be_replayed(client, required, supervisor):
    _sign_in(client, supervisor)
    page = client.get("/accounts/totp/enrol/")
    secret = _secret_on_page(page.content.decode())
    code = pyotp.TOTP(secret).now()
    client.post("/accounts/totp/enrol/", {"code": code})
    client.post("/accounts/logout/")
    r = _sign_in(client, supervisor)
    assert r["Location"] == "/accounts/totp/"
    assert client.post("/accounts/totp/", {"code": code}).status_code == 422  # the enrolment code, replayed
    supervisor.refresh_from_db()
    assert not totp_verify(user=supervisor, code=code)


# -- recovery codes ----------------------------------------------------------------------------------------

def test_recovery_code_signs_in_once(client, required, supervisor):
    _secret, codes = _enrolled(supervisor)
    _sign_in(client, supervisor)
    r = client.post("/accounts/totp/", {"recovery_code": codes[3].lower().replace("-", " ")})  # forgiving input
    assert r.status_code == 302 and client.get("/subjects/").status_code == 200
    assert AuditEvent.objects.filter(action="totp.recovery_use", actor=supervisor.username, detail="remaining=9").exists()
    client.post("/accounts/logout/")
    _sign_in(client, supervisor)
    again = client.post("/accounts/totp/", {"recovery_code": codes[3]})
    assert again.status_code == 422 and "recovery code" in again.content.decode()
    assert AuditEvent.objects.filter(action="login.totp", outcome="denied", detail="recovery_code").exists()
    assert client.get("/subjects/").status_code == 302
    other = client.post("/accounts/totp/", {"recovery_code": codes[4]})
    assert other.status_code == 302 and client.get("/subjects/").status_code == 200


def test_recovery_codes_are_stored_hashed(supervisor):
    _secret, codes = _enrolled(supervisor)
    with connection.cursor() as cur:
        cur.execute("SELECT digest FROM accounts_recoverycode")
        stored = " ".join(row[0] for row in cur.fetchall())
    for code in codes:
        assert code not in stored and code.replace("-", "") not in stored
    assert len(set(codes)) == 10


def test_recovery_code_of_another_user_is_refused(make_user, supervisor):
    _s, codes = _enrolled(supervisor)
    other = make_user(Role.AUDITOR)
    _enrolled(other)
    assert not recovery_code_use(user=other, code=codes[0])
    assert recovery_code_use(user=supervisor, code=codes[0])


def test_regenerating_needs_a_current_code_and_voids_the_old_codes(client, supervisor):
    secret, old = _enrolled(supervisor)
    client.force_login(supervisor)
    page = client.get("/accounts/totp/recovery-codes/")
    assert page.status_code == 200 and "10 unused recovery codes" in page.content.decode()
    bad = client.post("/accounts/totp/recovery-codes/", {"code": _wrong(secret)})
    assert bad.status_code == 422 and RecoveryCode.objects.filter(user=supervisor).count() == 10
    ok = client.post("/accounts/totp/recovery-codes/", {"code": _previous_code(secret)})
    new = CODE_RE.findall(ok.content.decode())
    assert ok.status_code == 200 and len(new) == 10 and not set(new) & set(old)
    assert ok["Cache-Control"] == "no-store"
    assert not recovery_code_use(user=supervisor, code=old[0])
    assert recovery_code_use(user=supervisor, code=new[0])
    assert AuditEvent.objects.filter(action="totp.recovery_codes", outcome="ok").count() == 1
    assert AuditEvent.objects.filter(action="totp.recovery_codes", outcome="invalid").count() == 1


def test_recovery_codes_page_without_a_factor_points_to_enrolment(client, caseworker):
    client.force_login(caseworker)
    r = client.get("/accounts/totp/recovery-codes/")
    assert r.status_code == 200 and "/accounts/totp/enrol/" in r.content.decode()
    assert client.post("/accounts/totp/recovery-codes/", {"code": "123456"}).status_code == 200
    assert not RecoveryCode.objects.exists()


# -- operator ----------------------------------------------------------------------------------------------

@pytest.fixture
def _tmp_var(tmp_path, monkeypatch):
    monkeypatch.setenv("LANTERN_VAR_DIR", str(tmp_path))


def test_cli_reset_removes_factor_and_codes_then_enrolment_is_required(client, required, supervisor, _tmp_var):
    _secret, codes = _enrolled(supervisor)
    result = CliRunner().invoke(app, ["totp", "reset", supervisor.username])
    assert result.exit_code == 0, result.output
    supervisor.refresh_from_db()
    assert not supervisor.has_totp and supervisor.totp_last_step is None
    assert not RecoveryCode.objects.filter(user=supervisor).exists()
    row = AuditEvent.objects.get(action="totp.reset")
    assert row.object_ref == supervisor.username and row.channel == "cli" and row.detail == "unused_recovery_codes=10"
    assert _sign_in(client, supervisor)["Location"] == "/accounts/totp/enrol/"
    again = CliRunner().invoke(app, ["totp", "reset", supervisor.username])
    assert isinstance(again.exception, LanternError)
    unknown = CliRunner().invoke(app, ["totp", "reset", "nobody"])
    assert isinstance(unknown.exception, LanternError) and unknown.exception.problems[0].field == "USERNAME"


def test_cli_enable_prints_uri_and_working_recovery_codes(caseworker, _tmp_var):
    result = CliRunner().invoke(app, ["totp", "enable", caseworker.username])
    assert result.exit_code == 0, result.output
    codes = [line for line in result.stdout.splitlines() if re.fullmatch(r"[2-9A-Z]{4}(-[2-9A-Z]{4}){3}", line)]
    uri = [line for line in result.stdout.splitlines() if line.startswith("otpauth://totp/")]
    assert len(codes) == 10 and len(uri) == 1 and uri[0].endswith("&issuer=Lantern")  # one line, not wrapped
    caseworker.refresh_from_db()
    assert caseworker.has_totp and recovery_code_use(user=caseworker, code=codes[0])


# -- audit -------------------------------------------------------------------------------------------------

def test_audit_rows_carry_no_secrets(client, required, supervisor, _tmp_var):
    _sign_in(client, supervisor)
    secret, codes = _enrol_via_web(client)
    client.post("/accounts/logout/")
    _sign_in(client, supervisor)
    client.post("/accounts/totp/", {"recovery_code": codes[0]})
    client.post("/accounts/totp/recovery-codes/", {"code": _wrong(secret)})
    CliRunner().invoke(app, ["totp", "reset", supervisor.username])
    rows = list(AuditEvent.objects.values_list("action", "object_ref", "detail", "actor"))
    actions = {r[0] for r in rows}
    assert {"totp.enable", "totp.recovery_use", "totp.recovery_codes", "totp.reset", "login"} <= actions
    text = " ".join(" ".join(r) for r in rows).upper()
    assert secret not in text and secret[:8] not in text
    for code in codes:
        assert code not in text and code.replace("-", "") not in text


def test_key_rotation_keeps_totp_secrets_readable(monkeypatch, supervisor):
    from lantern.platform.crypto import generate_key
    from lantern.platform.keys import rotate_field_keys

    secret, _codes = _enrolled(supervisor)
    old = __import__("os").environ["LANTERN_FIELD_KEYS"]
    new = generate_key()
    monkeypatch.setenv("LANTERN_FIELD_KEYS", f"{new},{old}")
    rotate_field_keys()
    monkeypatch.setenv("LANTERN_FIELD_KEYS", new)  # the old key dropped
    assert User.objects.get(pk=supervisor.pk).totp_secret == secret


def test_enrolment_page_in_romanian(client, caseworker):
    client.force_login(caseworker)
    client.post("/i18n/setlang/", {"language": "ro", "next": "/"})
    html = client.get("/accounts/totp/enrol/").content.decode()
    assert "Securitatea autentificării" in html and "Activați al doilea factor" in html


def test_wrong_codes_count_towards_the_sign_in_throttle(client, supervisor):
    """A known password must not give unlimited code guesses (5 per sign-in, sign in again, ...)."""
    from django.core.cache import cache

    cache.clear()
    from django.test import Client

    secret, codes = _enrolled(supervisor)
    parallel = Client()
    _sign_in(parallel, supervisor)  # a second step opened in another browser before the failures
    _sign_in(client, supervisor)
    for _ in range(3):
        assert client.post("/accounts/totp/", {"code": _wrong(secret)}).status_code == 422
    _sign_in(client, supervisor)  # a fresh second step; the earlier failures still count
    assert client.post("/accounts/totp/", {"recovery_code": "AAAA-AAAA-AAAA-AAAA"}).status_code == 422
    assert client.post("/accounts/totp/", {"code": _wrong(secret)})["Location"] == "/accounts/login/"  # 5th
    refused = _sign_in(client, supervisor)
    assert refused.status_code == 429
    assert client.post("/accounts/totp/", {"recovery_code": codes[0]})["Location"] == "/accounts/login/"
    assert parallel.post("/accounts/totp/", {"recovery_code": codes[0]})["Location"] == "/accounts/login/"
    assert client.get("/subjects/").status_code == 302 and parallel.get("/subjects/").status_code == 302
    assert AuditEvent.objects.filter(action="login.totp", detail="throttled").exists()
    assert recovery_code_use(user=supervisor, code=codes[0])  # the code was not spent by the refused attempts
    cache.clear()


def test_every_signed_in_page_links_to_sign_in_security(client, caseworker):
    client.force_login(caseworker)
    page = client.get("/subjects/").content.decode()
    assert 'href="/accounts/totp/enrol/">Sign-in security</a>' in page
    assert 'href="/accounts/password/">Change my password</a>' in page
