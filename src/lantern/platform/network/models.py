"""The coordinator's network tools (recommendations 2.1, 3.1–3.4 of the mission report): a directory of member
organisations, who is legally responsible for what, inter-agency action plans with KPIs (CLAIMED) and
plain-language briefing notes. No person data at all: organisations, roles, aggregates."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lantern.platform.cases.models import new_ref


def new_plan_ref() -> str:
    return new_ref("P")


class Organisation(models.Model):
    """A member organisation of the network: a platform agency (``agency`` set) or one not on the platform."""

    key = models.SlugField(_("key"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    type = models.CharField(_("type"), max_length=60)  # the standard's agency_type list
    country = models.CharField(_("country"), max_length=2)
    region = models.CharField(_("region"), max_length=120, blank=True)
    agency = models.OneToOneField("accounts.Agency", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="organisation")
    # intervention ids of the toolkit catalogue of ``standard_version`` (their strands follow)
    interventions = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True)  # ISO 639 ids of the standard's language list
    # a contact point as an organisational role and mailbox, never a person's private details
    contact_role = models.CharField(_("contact point (role)"), max_length=120, blank=True)
    contact_email = models.EmailField(_("contact e-mail (role mailbox)"), blank=True)
    website = models.URLField(_("website"), blank=True)
    standard_version = models.CharField(max_length=10, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["country", "name"]

    def __str__(self) -> str:
        return self.name


class Responsibility(models.Model):
    """One row of the responsibility matrix: in ``country``, ``area`` is the job of an organisation type
    and/or a named organisation, on ``legal_basis``; ``verified`` once the basis was checked against the text."""

    country = models.CharField(_("country"), max_length=2)
    area = models.CharField(_("area"), max_length=40)
    agency_type = models.CharField(_("organisation type"), max_length=60, blank=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="responsibilities")
    legal_basis = models.TextField(_("legal basis"))
    verified = models.BooleanField(_("verified against the text"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["country", "area", "id"]

    def __str__(self) -> str:
        return f"{self.country} {self.area}: {self.agency_type or self.organisation}"


class Visibility(models.TextChoices):
    PARTICIPANTS = "participants", _("participating organisations only")
    NETWORK = "network", _("every signed-in user")


class ActionPlan(models.Model):
    ref = models.CharField(max_length=20, unique=True, default=new_plan_ref)
    title = models.CharField(_("title"), max_length=200)
    country = models.CharField(_("country"), max_length=2)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    recommendations = models.JSONField(default=list, blank=True)  # ids of the mission report, e.g. "3.2"
    owner = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="network_plans")
    visibility = models.CharField(_("visible to"), max_length=20, choices=Visibility.choices,
                                  default=Visibility.PARTICIPANTS)
    participants = models.ManyToManyField(Organisation, blank=True, related_name="plans")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-period_start", "title"]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"


class ActionStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    IN_PROGRESS = "in_progress", _("in progress")
    DONE = "done", _("done")
    BLOCKED = "blocked", _("blocked")
    CANCELLED = "cancelled", _("cancelled")


#: finished actions are never overdue
CLOSED_STATUSES = (ActionStatus.DONE, ActionStatus.CANCELLED)


class Claimed(models.TextChoices):
    """The CLAIMED framework (Ekblom): the step of mobilising agencies an action serves."""

    CLARIFY = "clarify", _("Clarify the action needed")
    LOCATE = "locate", _("Locate who is best placed")
    ALERT = "alert", _("Alert them")
    INFORM = "inform", _("Inform them of the risks")
    MOTIVATE = "motivate", _("Motivate them")
    EMPOWER = "empower", _("Empower them")
    DIRECT = "direct", _("Direct them")


class PlanAction(models.Model):
    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(_("action"), max_length=300)
    responsible = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="actions")
    due_date = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=12, choices=ActionStatus.choices,
                              default=ActionStatus.PLANNED)
    claimed = models.CharField(_("CLAIMED step"), max_length=10, choices=Claimed.choices, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, today: dt.date | None = None) -> bool:
        return self.status not in CLOSED_STATUSES and self.due_date < (today or timezone.localdate())


class Kpi(models.Model):
    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="kpis")
    name = models.CharField(_("indicator"), max_length=200)
    definition = models.TextField(_("definition"))
    # computed from the platform's disclosure-controlled aggregates (network.kpis.METRICS); empty: by hand
    metric = models.CharField(_("computed from"), max_length=40, blank=True)
    target = models.DecimalField(_("target"), max_digits=12, decimal_places=2, null=True, blank=True)
    baseline = models.DecimalField(_("baseline"), max_digits=12, decimal_places=2, null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class KpiValue(models.Model):
    """A measured value of a KPI for one period (``2026-Q3`` or ``2026``). A computed count under the
    threshold is stored as suppressed, with no value."""

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="values")
    period = models.CharField(_("period"), max_length=7)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2, null=True, blank=True)
    suppressed = models.BooleanField(default=False)
    computed = models.BooleanField(default=False)
    source = models.CharField(_("source"), max_length=300, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")

    class Meta:
        ordering = ["period"]
        constraints = [models.UniqueConstraint(fields=["kpi", "period"], name="one_kpi_value_per_period")]

    def __str__(self) -> str:
        return f"{self.period}: {self.value}"


class BriefingNote(models.Model):
    """A plain-language briefing note (markdown, rendered safely) attached to a plan."""

    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="notes")
    title = models.CharField(_("title"), max_length=200)
    language = models.CharField(_("language"), max_length=2, default="en")
    body = models.TextField(_("text (markdown)"))
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title
