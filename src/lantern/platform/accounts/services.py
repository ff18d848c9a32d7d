"""Agencies, users and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from lantern.errors import Problem, ValidationError
from lantern.platform import vocab
from lantern.platform.accounts.models import Agency, ApiToken, User
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


@transaction.atomic
def user_create(*, username: str, password: str | None, agency: Agency, role: str, actor=None, **extra) -> User:
    if role not in Role.values:
        raise ValidationError(f"{role!r} is not a role ({', '.join(Role.values)})", field="role")
    if User.objects.filter(username=username).exists():
        raise ValidationError(f"the user {username!r} exists", field="username")
    user = User(username=username, agency=agency, role=role, **extra)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit_record(actor=actor, action="user.create", object_type="user", object_ref=username, detail=f"role={role}")
    return user


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

def totp_enable(*, user: User, actor=None) -> str:
    """Give ``user`` a new TOTP secret; returns the otpauth:// URI to show once (QR code or manual entry)."""
    import pyotp

    secret = pyotp.random_base32()
    user.totp_secret = secret
    user.totp_last_step = None
    user.save(update_fields=["totp_secret", "totp_last_step"])
    audit_record(actor=actor or user, action="totp.enable", object_type="user", object_ref=user.username)
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name="Lantern")


def totp_verify(*, user: User, code: str) -> bool:
    """Check a 6-digit code (±1 step of 30 s for clock drift); each accepted step can be used once only."""
    import time

    import pyotp

    if not user.totp_secret or not code or not code.strip().isdigit():
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now = time.time()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        for offset in (0, -1, 1):
            at = now + offset * totp.interval
            if totp.verify(code.strip(), for_time=at):
                step = totp.timecode(at)
                if locked.totp_last_step is not None and step <= locked.totp_last_step:
                    return False  # replay of a code already used
                User.objects.filter(pk=user.pk).update(totp_last_step=step)
                user.totp_last_step = step
                return True
    return False
