"""Retention (GDPR Art. 5(1)(e), storage limitation): how long an agency keeps a case file after its last
activity, and the legal holds that keep one case beyond that (e.g. ongoing criminal proceedings).

An agency without a :class:`RetentionPolicy` row keeps cases for :data:`DEFAULT_DAYS`; the platform allows
:data:`MIN_DAYS` to :data:`MAX_DAYS` (``services.retention_policy_set`` checks it, and so does the database).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lantern.platform.fields import EncryptedTextField

#: the shortest period an agency may choose: half a year, so that a person who comes back after a season of
#: work abroad still finds the file the caseworker opened (and a mistyped policy cannot erase last month's cases)
MIN_DAYS = 180
#: the longest: ten years, beyond which keeping an assistance file is hard to call necessary; longer needs
#: (proceedings) are legal holds on the cases concerned, not a longer period for every case
MAX_DAYS = 3650
#: without a policy of its own: three years of inactivity (see docs/security.md, "Retention")
DEFAULT_DAYS = 1095


class RetentionPolicy(models.Model):
    agency = models.OneToOneField("accounts.Agency", on_delete=models.CASCADE, related_name="retention_policy")
    days = models.PositiveIntegerField(_("days after the last activity"))
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(days__gte=MIN_DAYS, days__lte=MAX_DAYS),
                                   name="retention_days_in_bounds"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id}: {self.days} days"


class LegalHold(models.Model):
    """Keeps one subject's case file beyond the retention period while it stands. The reason may name
    proceedings: encrypted, and never in the audit trail."""

    subject = models.OneToOneField("cases.Subject", on_delete=models.CASCADE, related_name="legal_hold")
    reason = EncryptedTextField(_("reason"))
    set_at = models.DateTimeField(default=timezone.now)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:  # never the reason
        return f"legal hold on {self.subject_id}"
