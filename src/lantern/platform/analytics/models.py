"""Releases of disclosure-controlled tables and the differential-privacy budget ledger.

A :class:`StatRelease` belongs to one agency and moves draft → checked → published; the disclosure
report is stored when it is checked, the published files (CSV, Excel, the report as JSON) are stored in
the database when it is published, and from then on the release cannot change (``save`` and ``delete``
raise, like the audit trail). :class:`PrivacyCharge` rows are the ε spent by the differentially private
queries run against a release's budget (:class:`lantern.platform.analytics.ledger.DatabaseLedger`).

Nothing here holds a true count of a suppressed cell, a name or a pseudonym: only released values.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lantern.errors import LanternError
from lantern.platform.cases.models import new_ref


def new_release_ref() -> str:
    return new_ref("R")


class ReleaseState(models.TextChoices):
    DRAFT = "draft", _("draft")
    CHECKED = "checked", _("checked")
    PUBLISHED = "published", _("published")


class StatRelease(models.Model):
    ref = models.CharField(max_length=20, unique=True, default=new_release_ref)
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="stat_releases")
    title = models.CharField(_("title"), max_length=200)
    spec = models.JSONField()  # the table specification (docs/statistics.md), as parsed from YAML
    spec_source = models.CharField(max_length=120, blank=True)  # e.g. "examples/stats/tcn_counts.yaml" or "composed"
    standard_version = models.CharField(max_length=10)
    state = models.CharField(max_length=10, choices=ReleaseState.choices, default=ReleaseState.DRAFT)
    # the disclosure report of the last check (ok or not): per table cells, primary, secondary, problems
    report = models.JSONField(null=True, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)  # of the released cells at the check
    dp_budget = models.FloatField(_("privacy budget (ε)"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField(null=True, blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True,
                                   blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True,
                                     blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["agency", "-created_at"])]

    def __str__(self) -> str:
        return self.ref

    def save(self, *args, **kwargs):
        if not self._state.adding and self.pk:
            stored = StatRelease.objects.filter(pk=self.pk).values_list("state", flat=True).first()
            if stored == ReleaseState.PUBLISHED:
                raise LanternError("a published release is immutable; make a new release", record=self.ref)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_published:
            raise LanternError("a published release is immutable; make a new release", record=self.ref)
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.state == ReleaseState.PUBLISHED


class ReleaseFile(models.Model):
    """A file of a published release, stored as published (bytes and SHA-256)."""

    release = models.ForeignKey(StatRelease, on_delete=models.PROTECT, related_name="files")
    fmt = models.CharField(max_length=10)  # csv | xlsx | json
    name = models.CharField(max_length=120)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["release", "fmt"], name="one_file_per_format")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise LanternError("a published file is immutable", record=self.name)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LanternError("a published file is immutable", record=self.name)


class PrivacyCharge(models.Model):
    """ε spent from a release's budget by one differentially private query, with its noisy answer."""

    release = models.ForeignKey(StatRelease, on_delete=models.PROTECT, related_name="charges")
    query = models.CharField(max_length=300)
    epsilon = models.FloatField()
    accuracy = models.FloatField(null=True, blank=True)  # 95% half-width of the noise, shown before running
    result = models.JSONField(default=list)  # the noisy counts as released
    charged_at = models.DateTimeField(default=timezone.now)
    charged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True,
                                   blank=True)

    class Meta:
        ordering = ["charged_at", "id"]

    def __str__(self) -> str:
        return f"{self.release_id}: ε={self.epsilon:g} {self.query}"


#: The agency type whose analysts may compute the cross-agency source report (code list ``agency_type``).
NATIONAL_AGENCY_TYPE = "anti_trafficking_agency"


class SourceSharing(models.Model):
    """An agency's agreement to contribute its register to a national agency's cross-source suitability report.

    Enabled and disabled by the contributing agency's administrator (audited ``sharing.enable`` /
    ``sharing.disable``). While enabled, the national agency's analysts may include the register in the report:
    the register is encoded (keyed Bloom filters) in the contributor's scope and only the encodings are linked;
    only aggregates come out. A disabled record stays as history; enabling again makes a new one.
    """

    contributor = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="sharing_given")
    recipient = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="sharing_received")
    purpose = models.CharField(max_length=60, default="sources.national")
    enabled_at = models.DateTimeField(default=timezone.now)
    enabled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True,
                                    blank=True)

    class Meta:
        ordering = ["-enabled_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["contributor", "recipient", "purpose"],
                                               condition=models.Q(disabled_at__isnull=True),
                                               name="one_active_sharing_per_pair")]

    def __str__(self) -> str:
        return f"{self.contributor_id} → {self.recipient_id} ({self.purpose})"

    @property
    def active(self) -> bool:
        return self.disabled_at is None
