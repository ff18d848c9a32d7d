"""Agencies, users, API tokens and the second sign-in factor (TOTP, recovery codes)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from lantern.errors import Problem, ValidationError
from lantern.platform import vocab
from lantern.platform.accounts.models import Agency, ApiToken, RecoveryCode, User
from lantern.platform.audit.models import Outcome
from lantern.platform.audit.services import audit_record
from lantern.platform.roles import Role

TOKEN_PREFIX = "lnt_"  # noqa: S105 - a public marker, not a secret


def agency_types() -> list[tuple[str, str]]:
    return vocab.code_choices(vocab.AGENCY_TYPE_LIST)


@transaction.atomic
def agency_create(*, key: str, name: str, type: str, country: str, region: str = "", actor=None) -> Agency:
    problems = []
    if type not in dict(agency_types()):
        problems.append(Problem(f"{type!r} is not an agency type of the standard", field="type"))
    if not vocab.is_country(country.upper()):
        problems.append(Problem(f"{country!r} is not an ISO 3166-1 alpha-2 code", field="country"))
    if Agency.objects.filter(key=key).exists():
        problems.append(Problem(f"an agency with key {key!r} exists", field="key"))
    if problems:
        raise ValidationError(problems)
    agency = Agency.objects.create(key=key, name=name, type=type, country=country.upper(), region=region)
    audit_record(actor=actor, action="agency.create", object_type="agency", object_ref=key, channel="cli")
    return agency


ONE_TIME_PASSWORD_DAYS = 3  # a one-time password given by an administrator stops working after this


def username_check(username: str) -> list[Problem]:
    """Django's rule for usernames (letters, digits and @ . + - _; at most 150), unique in any case."""
    from django.contrib.auth.validators import UnicodeUsernameValidator
    from django.core.exceptions import ValidationError as DjangoValidationError

    problems = []
    if not username or len(username) > 150:
        problems.append(Problem(gettext("A username has 1 to 150 characters."), field="username"))
    else:
        try:
            UnicodeUsernameValidator()(username)
        except DjangoValidationError:
            problems.append(Problem(gettext("A username holds only letters, digits and @ . + - _"), field="username"))
    if not problems and User.objects.filter(username__iexact=username).exists():
        problems.append(Problem(gettext("The user %(name)s exists.") % {"name": username}, field="username"))
    return problems


def password_check(password: str, *, user: User | None = None, field: str = "password") -> list[Problem]:
    """The password policy (Django's validators, settings.AUTH_PASSWORD_VALIDATORS)."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError as DjangoValidationError

    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        return [Problem(m, field=field) for m in exc.messages]
    return []


def one_time_password_new() -> str:
    """80 random bits as XXXX-XXXX-XXXX-XXXX, without look-alike symbols (read out or written down)."""
    code = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return "-".join(code[i:i + 4] for i in range(0, _RECOVERY_LENGTH, 4))


def _set_one_time_password(user: User, password: str) -> None:
    user.set_password(password)
    user.must_change_password = True
    user.password_expires_at = timezone.now() + dt.timedelta(days=ONE_TIME_PASSWORD_DAYS)


def user_create(*, username: str, password: str | None, agency: Agency, role: str, actor=None,
                one_time: bool = False, **extra) -> User:
    """Create a user of ``agency``. From the command line (``actor`` None, an operator) any agency; an agency
    administrator (``actor``) only in their own agency. With ``one_time`` the password is a one-time password
    (:func:`one_time_password_new`): it expires after ``ONE_TIME_PASSWORD_DAYS`` and the user must choose
    their own at the first sign-in."""
    action = "user.create"
    if actor is not None:
        _require_admin(actor, action=action)
        if agency.pk != actor.agency_id:
            raise Http404("No such agency")
    problems = username_check(username)
    if role not in Role.values:
        problems.append(Problem(f"{role!r} is not a role ({', '.join(Role.values)})", field="role"))
    if password:
        problems += password_check(password, user=User(username=username))
    if problems:
        if actor is not None:
            audit_record(actor=actor, action=action, object_type="user", outcome=Outcome.INVALID,
                         detail="fields=" + ",".join(sorted({p.field for p in problems})))
        raise ValidationError(problems)
    with transaction.atomic():
        user = User(username=username, agency=agency, role=role, **extra)
        if password and one_time:
            _set_one_time_password(user, password)
        elif password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        audit_record(actor=actor, action=action, object_type="user", object_ref=username,
                     detail=f"role={role}" + (" one_time_password" if one_time else ""))
    return user


# -- an agency administrator manages the agency's users ----------------------------------------------------
# Every function: the actor needs ``agency.admin`` (403, audited), the user must be of the actor's agency
# (404, like a missing user), refusals are audited outside the refused transaction, details carry no secret.


def _require_admin(actor, *, action: str, user: User | None = None) -> None:
    from lantern.platform.cases.selectors import require

    require(actor, "agency.admin", action=action, object_type="user", object_ref=getattr(user, "username", ""))
    if user is not None and user.agency_id != actor.agency_id:
        raise Http404("No such user")


def _refuse(actor, *, action: str, user: User, reason: str, field: str = "") -> ValidationError:
    audit_record(actor=actor, action=action, object_type="user", object_ref=user.username,
                 outcome=Outcome.DENIED, detail=field or "rule")
    return ValidationError(reason, field=field or None)


def _not_self(actor, user: User, action: str) -> None:
    if user.pk == actor.pk:
        raise _refuse(actor, action=action, user=user, field="user",
                      reason=gettext("You cannot do this to your own account: ask another administrator of your "
                                     "agency."))


def _last_admin(agency_id: int, *, without: User) -> bool:
    """Whether ``without`` is the agency's last active administrator. Locks the agency row first, so two
    administrators demoting each other at once cannot both succeed (the second waits, then sees one left)."""
    Agency.objects.select_for_update().filter(pk=agency_id).first()
    others = (User.objects.filter(agency_id=agency_id, role=Role.AGENCY_ADMIN, is_active=True)
              .exclude(pk=without.pk).exists())
    return without.role == Role.AGENCY_ADMIN and without.is_active and not others


_LAST_ADMIN = gettext_lazy("An agency must keep at least one active administrator: make another user administrator "
                           "first.")


def user_sessions_end(user: User) -> int:
    """End every session of ``user`` (signed in, or half-way through the second sign-in step). Returns how
    many. Sessions live in the database (Django's db or cached_db engine)."""
    from importlib import import_module

    from django.contrib.sessions.models import Session

    store = import_module(settings.SESSION_ENGINE).SessionStore
    uid = str(user.pk)
    ended = 0
    for row in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = row.get_decoded()
        # the two half-way sign-in states of web.views (password right, second factor or enrolment to come)
        pending = [data.get(k, {}).get("uid") for k in ("lantern_totp_pending", "lantern_totp_enrol")]
        if data.get("_auth_user_id") == uid or user.pk in pending:
            store(session_key=row.session_key).delete()
            ended += 1
    return ended


def _tokens_revoke_all(user: User) -> int:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


def user_role_change(*, actor, user: User, role: str) -> User:
    action = "user.role_change"
    _require_admin(actor, action=action, user=user)
    if role not in Role.values:
        audit_record(actor=actor, action=action, object_type="user", object_ref=user.username,
                     outcome=Outcome.INVALID, detail="role")
        raise ValidationError(f"{role!r} is not a role ({', '.join(Role.values)})", field="role")
    try:
        with transaction.atomic():
            if role != Role.AGENCY_ADMIN and _last_admin(actor.agency_id, without=user):
                raise ValidationError(str(_LAST_ADMIN), field="role")
            before = User.objects.select_for_update().get(pk=user.pk).role
            User.objects.filter(pk=user.pk).update(role=role)
            audit_record(actor=actor, action=action, object_type="user", object_ref=user.username,
                         detail=f"role={before}->{role}")
    except ValidationError:
        audit_record(actor=actor, action=action, object_type="user", object_ref=user.username,
                     outcome=Outcome.DENIED, detail="last_admin")
        raise
    user.role = role
    return user


def user_deactivate(*, actor, user: User) -> dict[str, int]:
    """Deactivate: no sign-in, no API; the user's sessions end and their active API tokens are revoked.
    Returns the numbers of sessions ended and tokens revoked."""
    action = "user.deactivate"
    _require_admin(actor, action=action, user=user)
    _not_self(actor, user, action)
    try:
        with transaction.atomic():
            if _last_admin(actor.agency_id, without=user):
                raise ValidationError(str(_LAST_ADMIN), field="user")
            User.objects.filter(pk=user.pk).update(is_active=False)
            tokens = _tokens_revoke_all(user)
            sessions = user_sessions_end(user)
            audit_record(actor=actor, action=action, object_type="user", object_ref=user.username,
                         detail=f"sessions={sessions} tokens={tokens}")
    except ValidationError:
        audit_record(actor=actor, action=action, object_type="user", object_ref=user.username,
                     outcome=Outcome.DENIED, detail="last_admin")
        raise
    user.is_active = False
    return {"sessions": sessions, "tokens": tokens}


@transaction.atomic
def _reactivate(actor, user: User) -> None:
    User.objects.filter(pk=user.pk).update(is_active=True)
    audit_record(actor=actor, action="user.reactivate", object_type="user", object_ref=user.username)


def user_reactivate(*, actor, user: User) -> User:
    """Let a deactivated user sign in again (their revoked tokens stay revoked)."""
    _require_admin(actor, action="user.reactivate", user=user)
    _reactivate(actor, user)
    user.is_active = True
    return user


def user_password_reset(*, actor, user: User) -> str:
    """A new one-time password for ``user`` (forgotten password): the old one stops working, their sessions
    end, and they choose their own password at the next sign-in. Returns the one-time password, to show once.
    API tokens are not touched (deactivate the user to stop those)."""
    action = "user.password_reset"
    _require_admin(actor, action=action, user=user)
    _not_self(actor, user, action)
    password = one_time_password_new()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        _set_one_time_password(locked, password)
        locked.save(update_fields=["password", "must_change_password", "password_expires_at"])
        sessions = user_sessions_end(locked)
        audit_record(actor=actor, action=action, object_type="user", object_ref=user.username,
                     detail=f"sessions={sessions}")
    user.password, user.must_change_password = locked.password, True
    user.password_expires_at = locked.password_expires_at
    return password


def user_totp_reset(*, actor, user: User) -> int:
    """The web counterpart of ``lantern totp reset``: remove the user's second factor and recovery codes (lost
    phone) and end their sessions; a user whose role requires a factor enrols again at the next sign-in. Not
    on one's own account (a stolen session must not be able to swap the factor). Returns the number of unused
    recovery codes removed."""
    action = "totp.reset"
    _require_admin(actor, action=action, user=user)
    _not_self(actor, user, action)
    if not user.has_totp:
        raise _refuse(actor, action=action, user=user, field="user",
                      reason=gettext("%(name)s has no second factor.") % {"name": user.username})
    with transaction.atomic():
        removed = totp_reset(user=user, actor=actor, note=f" sessions={user_sessions_end(user)}")
    return removed


def user_password_change(*, user: User, password: str) -> None:
    """The user sets their own password (the current one checked by the caller's form): validated against the
    policy, not the same as the current one; clears a one-time password's obligation and expiry."""
    problems = password_check(password, user=user, field="new_password1")
    if not problems and user.check_password(password):
        problems.append(Problem(gettext("Choose a password different from the current one."), field="new_password1"))
    if problems:
        audit_record(actor=user, action="user.password_change", object_type="user", object_ref=user.username,
                     outcome=Outcome.INVALID, detail="new_password1")
        raise ValidationError(problems)
    with transaction.atomic():
        user.set_password(password)
        user.must_change_password = False
        user.password_expires_at = None
        user.save(update_fields=["password", "must_change_password", "password_expires_at"])
        audit_record(actor=user, action="user.password_change", object_type="user", object_ref=user.username)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@transaction.atomic
def token_create(*, user: User, name: str = "", days: int | None = 90, actor=None) -> tuple[ApiToken, str]:
    """Create a token; returns (row, token). The token is not stored and cannot be shown again."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(
        user=user, name=name, prefix=secret[:10], digest=_digest(secret),
        expires_at=timezone.now() + dt.timedelta(days=days) if days else None,
    )
    audit_record(actor=actor or user, action="token.create", object_type="user", object_ref=user.username,
                 detail=f"token={row.prefix}")
    return row, secret


def token_authenticate(token: str) -> User | None:
    """The active user holding ``token``, or None. Constant work whatever the token."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    row = ApiToken.objects.select_related("user", "user__agency").filter(digest=_digest(token)).first()
    if row is None or not row.active or not row.user.is_active:
        return None
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


@transaction.atomic
def token_revoke(*, token: ApiToken, actor) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="token.revoke", object_type="user", object_ref=token.user.username,
                 detail=f"token={token.prefix}")


# -- second factor (TOTP) ---------------------------------------------------------------------------------

RECOVERY_CODE_COUNT = 10
# 32 symbols without look-alikes (no 0/O, 1/I): 16 of them are 80 random bits, beyond offline guessing of the
# unsalted SHA-256 digest; shown as four groups of four
_RECOVERY_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_RECOVERY_LENGTH = 16


def totp_required_roles() -> frozenset[str]:
    """The roles that must sign in with a second factor (``LANTERN_TOTP_ROLES``; docs/security.md).

    An unknown role name is a configuration error, never silently ignored: a typo must not switch the
    requirement off for the role it meant."""
    roles = frozenset(getattr(settings, "LANTERN_TOTP_ROLES", ()) or ())
    unknown = sorted(roles - set(Role.values))
    if unknown:
        raise ImproperlyConfigured(f"LANTERN_TOTP_ROLES names unknown roles {unknown}; roles are "
                                   f"{', '.join(Role.values)} (or 'none')")
    return roles


def totp_required(user) -> bool:
    """Whether ``user``'s role must use a second factor on the web (API tokens are not affected)."""
    return bool(getattr(user, "role", "")) and user.role in totp_required_roles()


def totp_new_secret() -> str:
    import pyotp

    return pyotp.random_base32()


def totp_uri(*, user: User, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads (from the QR code or typed in)."""
    import pyotp

    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name="Lantern")


def totp_qr_svg(uri: str, *, title: str = "") -> str:
    """The QR code of ``uri`` as an inline SVG element, made here (segno); nothing is fetched from anywhere."""
    import io

    import segno

    buf = io.BytesIO()
    segno.make(uri, error="m").save(buf, kind="svg", xmldecl=False, svgns=True, scale=5, border=4,
                                   title=title or None, svgclass="qr", lineclass=None, dark="#000",
                                   light="#fff")
    return buf.getvalue().decode("utf-8")


def _totp_step(secret: str, code: str, *, after: int | None) -> int | None:
    """The time step ``code`` belongs to (now, or one step either side for clock drift), when newer than
    ``after``; None otherwise."""
    import time

    import pyotp

    code = (code or "").strip()
    if not secret or len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = time.time()
    for offset in (0, -1, 1):
        at = now + offset * totp.interval
        if totp.verify(code, for_time=at):
            step = totp.timecode(at)
            if after is not None and step <= after:
                return None  # replay of a code already used
            return step
    return None


def totp_enable(*, user: User, actor=None) -> str:
    """Give ``user`` a new TOTP secret at once (operator, ``lantern totp enable``); returns the otpauth:// URI
    to show once. Self-service enrolment goes through :func:`totp_enrol`, which needs a code first."""
    secret = totp_new_secret()
    user.totp_secret = secret
    user.totp_last_step = None
    user.save(update_fields=["totp_secret", "totp_last_step"])
    audit_record(actor=actor or user, action="totp.enable", object_type="user", object_ref=user.username,
                 detail="by operator")
    return totp_uri(user=user, secret=secret)


def totp_enrol(*, user: User, secret: str, code: str) -> list[str]:
    """Self-service enrolment: ``secret`` (shown to the user, kept in their session until now) takes effect
    only when ``code`` is a current code of it. Replaces any earlier factor and recovery codes; returns the
    new recovery codes, to show once. The code used here cannot be used again to sign in."""
    step = _totp_step(secret, code, after=None)
    if step is None:
        audit_record(actor=user, action="totp.enable", object_type="user", object_ref=user.username,
                     outcome=Outcome.INVALID, detail="code")
        raise ValidationError("The code is not right. Use the current code from your authenticator app.",
                              field="code")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        replaced = locked.has_totp
        locked.totp_secret = secret
        locked.totp_last_step = step
        locked.save(update_fields=["totp_secret", "totp_last_step"])
        codes = _recovery_codes_replace(locked)
        audit_record(actor=user, action="totp.enable", object_type="user", object_ref=user.username,
                     detail=f"recovery_codes={len(codes)}" + (" replaced" if replaced else ""))
    user.totp_secret, user.totp_last_step = secret, step
    return codes


def totp_verify(*, user: User, code: str) -> bool:
    """Check a 6-digit code (±1 step of 30 s for clock drift); each accepted step can be used once only."""
    if not user.totp_secret:
        return False
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        step = _totp_step(locked.totp_secret, code, after=locked.totp_last_step)
        if step is None:
            return False
        User.objects.filter(pk=user.pk).update(totp_last_step=step)
    user.totp_last_step = step
    return True


@transaction.atomic
def totp_reset(*, user: User, actor=None, note: str = "") -> int:
    """Remove ``user``'s second factor and recovery codes (operator, lost device). Returns how many unused
    recovery codes were removed. A user whose role requires a factor must enrol again at the next sign-in."""
    removed = user.recovery_codes.filter(used_at__isnull=True).count()
    user.recovery_codes.all().delete()
    user.totp_secret = ""
    user.totp_last_step = None
    user.save(update_fields=["totp_secret", "totp_last_step"])
    audit_record(actor=actor, action="totp.reset", object_type="user", object_ref=user.username,
                 detail=f"unused_recovery_codes={removed}{note}")
    return removed


def _recovery_normalise(code: str) -> str:
    return "".join(c for c in (code or "").upper() if c.isalnum())


def _recovery_codes_replace(user: User) -> list[str]:
    user.recovery_codes.all().delete()
    codes = ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
             for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, digest=_digest(c)) for c in codes])
    return ["-".join(c[i:i + 4] for i in range(0, _RECOVERY_LENGTH, 4)) for c in codes]


def recovery_codes_create(*, user: User, actor=None) -> list[str]:
    """New recovery codes for a user who has a factor, without a code (operator, ``lantern totp enable``)."""
    if not user.has_totp:
        raise ValidationError(f"{user.username} has no second factor", field="USERNAME")
    with transaction.atomic():
        codes = _recovery_codes_replace(user)
        audit_record(actor=actor or user, action="totp.recovery_codes", object_type="user",
                     object_ref=user.username, detail=f"recovery_codes={len(codes)}")
    return codes


def recovery_codes_regenerate(*, user: User, code: str) -> list[str]:
    """Replace the user's recovery codes (the old ones stop working); needs a current TOTP code."""
    if not totp_verify(user=user, code=code):
        audit_record(actor=user, action="totp.recovery_codes", object_type="user", object_ref=user.username,
                     outcome=Outcome.INVALID, detail="code")
        raise ValidationError("The code is not right. Use the current code from your authenticator app.",
                              field="code")
    with transaction.atomic():
        codes = _recovery_codes_replace(user)
        audit_record(actor=user, action="totp.recovery_codes", object_type="user", object_ref=user.username,
                     detail=f"recovery_codes={len(codes)}")
    return codes


def recovery_codes_remaining(*, user: User) -> int:
    return user.recovery_codes.filter(used_at__isnull=True).count()


def recovery_code_use(*, user: User, code: str) -> bool:
    """Accept an unused recovery code of ``user`` instead of a TOTP code, once. Audited when accepted (the
    caller audits a refusal with the other failed second-factor attempts)."""
    normalised = _recovery_normalise(code)
    if len(normalised) != _RECOVERY_LENGTH or not user.has_totp:
        return False
    with transaction.atomic():
        row = (RecoveryCode.objects.select_for_update()
               .filter(user=user, digest=_digest(normalised), used_at__isnull=True).first())
        if row is None:
            return False
        row.used_at = timezone.now()
        row.save(update_fields=["used_at"])
        remaining = recovery_codes_remaining(user=user)
        audit_record(actor=user, action="totp.recovery_use", object_type="user", object_ref=user.username,
                     detail=f"remaining={remaining}")
    return True
