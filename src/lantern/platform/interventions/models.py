"""Intervention plans: per subject, items chosen from the screening's suggestions or from the catalogue of the
data standard (``interventions.yaml``), each with a status, a due date, a responsible agency type and a note.

An item belongs to the subject's case file (every agency that may open the file sees it) and to the agency
that added it (only that agency may change or remove it). The note is encrypted at rest.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lantern.platform.fields import EncryptedTextField


class Status(models.TextChoices):
    PLANNED = "planned", _("planned")
    IN_PROGRESS = "in_progress", _("in progress")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


#: statuses of an item still to be delivered (an item in one of them past its due date is overdue)
OPEN_STATUSES = (Status.PLANNED, Status.IN_PROGRESS)


class PlanItem(models.Model):
    subject = models.ForeignKey("cases.Subject", on_delete=models.CASCADE, related_name="plan_items")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    # an intervention id of the catalogue of the standard version below
    intervention = models.CharField(_("intervention"), max_length=80)
    standard_version = models.CharField(max_length=10)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PLANNED)
    due_date = models.DateField(_("due date"))
    # a code of the standard's list agency_type
    provider = models.CharField(_("responsible agency type"), max_length=40, blank=True)
    note = EncryptedTextField(_("note"), blank=True)
    # the interview whose screening suggested it (empty when chosen from the catalogue)
    source_assessment = models.ForeignKey("cases.Assessment", on_delete=models.SET_NULL, null=True, blank=True,
                                          related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["subject", "due_date"], name="plan_subject_due")]

    def __str__(self) -> str:  # never the note
        return f"{self.intervention} ({self.status}, {self.due_date})"

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.status in OPEN_STATUSES and self.due_date < today
