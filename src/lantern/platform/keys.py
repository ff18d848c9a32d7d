"""Key rotation for the encrypted fields."""

from __future__ import annotations

from django.db import transaction

from lantern.platform.audit.services import audit_record
from lantern.platform.cases.models import Assessment, SubjectIdentity

IDENTITY_FIELDS = ["given_name", "family_name", "date_of_birth", "document_numbers", "phone"]


def rotate_field_keys(*, batch_size: int = 500) -> dict[str, int]:
    """Re-encrypt every encrypted value with the first (newest) key of ``LANTERN_FIELD_KEYS``.

    Reading decrypts with whichever listed key works; saving encrypts with the first. Run it after putting a
    new key in front; once it has finished, the old key can be removed. One transaction: all or nothing.
    """
    from lantern.platform.accounts.models import User

    counts = {"identities": 0, "assessments": 0}
    with transaction.atomic():
        batch = []
        for identity in SubjectIdentity.objects.order_by("pk").iterator(chunk_size=batch_size):
            batch.append(identity)
            if len(batch) >= batch_size:
                SubjectIdentity.objects.bulk_update(batch, IDENTITY_FIELDS)
                counts["identities"] += len(batch)
                batch = []
        if batch:
            SubjectIdentity.objects.bulk_update(batch, IDENTITY_FIELDS)
            counts["identities"] += len(batch)
        batch = []
        for assessment in Assessment.objects.order_by("pk").only("pk", "notes").iterator(chunk_size=batch_size):
            if not assessment.notes:
                continue
            batch.append(assessment)
            if len(batch) >= batch_size:
                Assessment.objects.bulk_update(batch, ["notes"])
                counts["assessments"] += len(batch)
                batch = []
        if batch:
            Assessment.objects.bulk_update(batch, ["notes"])
            counts["assessments"] += len(batch)
        users = [u for u in User.objects.order_by("pk").only("pk", "totp_secret") if u.totp_secret]
        User.objects.bulk_update(users, ["totp_secret"], batch_size=batch_size)  # second-factor secrets too
        audit_record(actor=None, action="keys.rotate", channel="cli",
                     detail=f"identities={counts['identities']} assessments={counts['assessments']} "
                            f"totp_secrets={len(users)}")
    return counts
