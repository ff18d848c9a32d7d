"""Subjects (pseudonymous people), their encrypted identity, assessments, consents, journeys and
access grants.

Answers are stored keyed by the standard's ids, with the standard version they were captured under, as
``"yes" | "no" | "unknown"`` (the flat format's 1 / 0 / null).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lantern.platform.fields import EncryptedTextField

# Crockford base32 without look-alikes: easy to read aloud, no 0/O or 1/I/L confusion.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_ref(prefix: str, length: int = 10) -> str:
    """A random, non-sequential reference (~49 bits); collisions are retried by the caller's unique index."""
    return prefix + "-" + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_subject_ref() -> str:
    return new_ref("S")


def new_assessment_ref() -> str:
    return new_ref("A")


class Subject(models.Model):
    ref = models.CharField(_("pseudonym"), max_length=20, unique=True, default=new_subject_ref)
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="subjects")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["agency", "-created_at"])]

    def __str__(self) -> str:
        return self.ref


class SubjectIdentity(models.Model):
    """Direct identifiers, encrypted at rest; ``name_index`` is a keyed HMAC for exact search."""

    subject = models.OneToOneField(Subject, on_delete=models.CASCADE, related_name="identity")
    given_name = EncryptedTextField(_("given name"), blank=True)
    family_name = EncryptedTextField(_("family name"), blank=True)
    date_of_birth = EncryptedTextField(_("date of birth"), blank=True)  # ISO 8601 text before encryption
    document_numbers = EncryptedTextField(_("document numbers"), blank=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    name_index = models.CharField(max_length=64, blank=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:  # never the identifiers themselves
        return f"identity of {self.subject_id}"


class Assessment(models.Model):
    ref = models.CharField(max_length=20, unique=True, default=new_assessment_ref)
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="assessments")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="assessments")
    standard_version = models.CharField(max_length=10)
    interview_date = models.DateField()
    sex = models.CharField(max_length=20, blank=True)
    age = models.PositiveSmallIntegerField(null=True, blank=True)
    citizenship = models.CharField(max_length=2, blank=True)
    country_of_interview = models.CharField(max_length=2, blank=True)
    region = models.CharField(max_length=120, blank=True)
    legal_status = models.CharField(max_length=40, blank=True)
    education = models.CharField(max_length=40, blank=True)
    sector = models.CharField(max_length=40, blank=True)
    exploitation_form = models.CharField(max_length=40, blank=True)
    # formal identification by the competent authority (standard: identified_victim), yes|no|unknown like
    # the items; the flat format stores it as 1 / 0 / null
    identified_victim = models.CharField(max_length=10, default="unknown",
                                         choices=[("yes", "yes"), ("no", "no"), ("unknown", "unknown")])
    indicators = models.JSONField(default=dict)  # {indicator id: yes|no|unknown}
    factors = models.JSONField(default=dict)  # {factor id: yes|no|unknown}
    notes = EncryptedTextField(_("notes"), blank=True)  # free text may name people: encrypted too
    source = models.CharField(max_length=20, default="web")  # web | api | import-csv | import-xlsform | demo
    # the id the row had in the system it came from (flat format's assessment_id, ODK instanceID):
    # importing the same file twice is refused
    external_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # 1 as first saved; each correction (services.assessment_correct) adds one and leaves an
    # AssessmentRevision with the values it replaced. The fields above always hold the current values.
    revision = models.PositiveIntegerField(default=1)
    corrected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-interview_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "external_id"], condition=~models.Q(external_id=""),
                                    name="unique_external_id_per_agency"),
        ]

    def __str__(self) -> str:
        return self.ref


class AssessmentRevision(models.Model):
    """One correction of a saved assessment: which fields it changed, the values they had before, who made it,
    when and why. Nothing is overwritten silently: the assessment holds the current values, and walking its
    revisions back from the newest rebuilds every earlier version.

    ``previous`` holds the replaced values in the flat format (1 / 0 / null for answers, ISO dates, codes; null
    for empty), except the notes: free text may name people, so the replaced notes are encrypted like the
    assessment's own (``previous_notes``), and so is the reason.
    """

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="revisions")
    # the assessment's revision number after this correction: 2 for the first correction, then 3, …
    number = models.PositiveIntegerField()
    changed_fields = models.JSONField(default=list)  # flat-format names, in the format's order
    previous = models.JSONField(default=dict)  # {name: value before} for the changed fields but notes
    previous_notes = EncryptedTextField(blank=True)  # the notes before, when the correction changed them
    reason = EncryptedTextField(_("reason"))
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["assessment", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "number"], name="unique_assessment_revision"),
        ]

    def __str__(self) -> str:  # never a value
        return f"revision {self.number} of {self.assessment_id}"


class Consent(models.Model):
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="consents")
    # codes of the standard's lists consent_purpose, consent_scope and consent_given_by
    purpose = models.CharField(_("purpose"), max_length=30)
    scope = models.CharField(_("scope"), max_length=30)
    given_on = models.DateField(_("date given"))
    given_by = models.CharField(_("given by"), max_length=30)
    # the organisation the person named, for scope named_agency (empty for the other scopes; the intake
    # wizard does not ask it yet, and a named_agency consent without it covers no referral)
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name=_("named organisation"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["given_on", "id"]

    def __str__(self) -> str:
        return f"{self.purpose}/{self.scope} {self.given_on}"


class JourneyLeg(models.Model):
    """A stay in one country: how the person arrived there (mode, crossing point, facilitator) and when
    they entered and left. ``intra_eu`` is set when they came from an EU member state into another."""

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="legs")
    order = models.PositiveSmallIntegerField()
    country = models.CharField(_("country"), max_length=2)
    entry_date = models.DateField(_("entry date"), null=True, blank=True)
    exit_date = models.DateField(_("exit date"), null=True, blank=True)
    mode = models.CharField(_("mode of travel"), max_length=30, blank=True)
    crossing_point = models.CharField(_("crossing point"), max_length=120, blank=True)
    facilitator_type = models.CharField(_("facilitator"), max_length=30, blank=True)
    intra_eu = models.BooleanField(default=False)

    class Meta:
        ordering = ["subject", "order"]
        constraints = [
            models.UniqueConstraint(fields=["subject", "order"], name="unique_leg_order"),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.country}"


class AccessGrant(models.Model):
    """Gives one other agency access to one subject (e.g. after a consented referral), until it expires
    or is revoked."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.CASCADE, related_name="grants")
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="grants")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.agency_id} → {self.subject_id} until {self.expires_at:%Y-%m-%d}"
