"""The append-only audit trail.

A row names who did what to which object, when, under which request id, and the outcome; never a field
value. The application cannot change or delete a row: ``save()`` of an existing row, ``delete()`` and
queryset ``update()`` / ``delete()`` raise; on PostgreSQL a trigger also refuses UPDATE and DELETE.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class AuditImmutable(Exception):
    """Raised on any attempt to change or delete an audit row."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditImmutable("audit rows cannot be updated")

    def delete(self):
        raise AuditImmutable("audit rows cannot be deleted")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AuditImmutable("audit rows cannot be updated")

    def update_or_create(self, *args, **kwargs):
        raise AuditImmutable("audit rows cannot be updated")


class Outcome(models.TextChoices):
    OK = "ok", "ok"
    DENIED = "denied", "denied"
    NOT_FOUND = "not_found", "not found"
    INVALID = "invalid", "invalid input"


class AuditEvent(models.Model):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # plain values, not foreign keys: an audit row must survive the user or agency it names
    actor_id = models.BigIntegerField(null=True)
    actor = models.CharField(max_length=150, blank=True)
    agency = models.CharField(max_length=60, blank=True, db_index=True)
    action = models.CharField(max_length=40)  # e.g. subject.read, assessment.create, login.failed
    object_type = models.CharField(max_length=40, blank=True)
    object_ref = models.CharField(max_length=64, blank=True, db_index=True)
    request_id = models.CharField(max_length=64, blank=True)
    channel = models.CharField(max_length=10, blank=True)  # web | api | cli
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.OK)
    # counts or names of fields, never their values (e.g. "rows=120", "fields=given_name,phone")
    detail = models.CharField(max_length=300, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["agency", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.object_type}:{self.object_ref} {self.outcome}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditImmutable("audit rows cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutable("audit rows cannot be deleted")
