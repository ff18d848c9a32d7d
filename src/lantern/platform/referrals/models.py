"""Referrals: one agency asks another to take up a subject (e.g. labour inspection, police, a shelter), on the
basis of the person's consent — or, exceptionally, a supervisor's stated override.

The receiving agency sees only the referral's own reference, the sending agency, the intervention and the
note until it accepts; accepting creates an :class:`~lantern.platform.cases.models.AccessGrant`, through
which the subject opens for it in the ordinary scoped selectors.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lantern.platform.cases.models import new_ref
from lantern.platform.fields import EncryptedTextField


def new_referral_ref() -> str:
    return new_ref("R")


class Status(models.TextChoices):
    SENT = "sent", _("sent")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")
    WITHDRAWN = "withdrawn", _("withdrawn")
    CLOSED = "closed", _("closed")


#: a referral in one of these is still running (at most one per subject and receiving agency)
OPEN_STATUSES = (Status.SENT, Status.ACCEPTED)


class Referral(models.Model):
    ref = models.CharField(_("reference"), max_length=20, unique=True, default=new_referral_ref)
    subject = models.ForeignKey("cases.Subject", on_delete=models.CASCADE, related_name="referrals")
    from_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="referrals_sent")
    to_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="referrals_received")
    # the consent it rests on (purpose referral); empty when a supervisor overrode (override_reason says why).
    # RESTRICT: a consent cannot be deleted under a referral, except when the whole case is erased
    consent = models.ForeignKey("cases.Consent", on_delete=models.RESTRICT, null=True, blank=True,
                                related_name="referrals")
    override_reason = models.CharField(_("override reason"), max_length=300, blank=True)
    # what prompted it: an intervention id of the toolkit catalogue (of standard_version) and/or a plan item
    intervention = models.CharField(_("intervention"), max_length=80, blank=True)
    standard_version = models.CharField(max_length=10, blank=True)
    plan_item = models.ForeignKey("interventions.PlanItem", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="referrals")
    # short, for the receiving agency before it accepts: never identifiers (checked); encrypted all the same
    note = EncryptedTextField(_("note"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SENT)
    sent_at = models.DateTimeField(default=timezone.now)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # accepted or declined: when, by whom (of the receiving agency); why, when declined
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    decline_reason = models.CharField(_("reason for declining"), max_length=300, blank=True)
    # withdrawn or closed: when, by whom (empty when the consent's withdrawal ended it), why
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    end_reason = models.CharField(_("reason"), max_length=300, blank=True)
    # the access created on acceptance (revoked when the referral is withdrawn or closed)
    grant = models.OneToOneField("cases.AccessGrant", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="referral")

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [models.Index(fields=["to_agency", "status"], name="referral_inbox"),
                   models.Index(fields=["from_agency", "status"], name="referral_outbox")]
        constraints = [
            models.UniqueConstraint(fields=["subject", "to_agency"], condition=models.Q(status__in=["sent", "accepted"]),
                                    name="one_open_referral_per_subject_and_agency"),
        ]

    def __str__(self) -> str:  # never the note
        return f"{self.ref} ({self.status})"

    @property
    def is_override(self) -> bool:
        return self.consent_id is None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
