"""Agencies, users (one agency, one role), hashed API tokens and hashed TOTP recovery codes."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lantern.platform.fields import EncryptedTextField
from lantern.platform.roles import Role


class Agency(models.Model):
    # `key` doubles as the list / agency key of the flat assessment format
    key = models.SlugField(_("key"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    # a code of the standard's agency-type list (validated by services.agency_create)
    type = models.CharField(_("type"), max_length=60)
    country = models.CharField(_("country"), max_length=2)
    region = models.CharField(_("region"), max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="users")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    # second factor (RFC 6238 TOTP): the shared secret, encrypted; the last time step accepted (single use)
    totp_secret = EncryptedTextField(blank=True, default="")
    totp_last_step = models.BigIntegerField(null=True, blank=True)
    # a one-time password given by an agency administrator: the user must choose their own at the first
    # sign-in (accounts.middleware), and the one-time password stops working at ``password_expires_at``
    must_change_password = models.BooleanField(default=False)
    password_expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.username

    def check_password(self, raw_password) -> bool:
        # an expired one-time password answers like a wrong one (the hash is still checked: same work)
        ok = super().check_password(raw_password)
        return ok and (self.password_expires_at is None or self.password_expires_at > timezone.now())

    @property
    def has_totp(self) -> bool:
        return bool(self.totp_secret)


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 digest is stored; the token is shown once at creation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12)  # shown in listings so a user can tell tokens apart
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class RecoveryCode(models.Model):
    """A single-use code that stands in for the TOTP code at sign-in (lost phone). Only its SHA-256 digest is
    stored (the code carries 80 random bits); the codes are shown once, when they are made."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    digest = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recovery code of {self.user} ({'used' if self.used_at else 'unused'})"
