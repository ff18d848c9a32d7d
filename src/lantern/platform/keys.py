"""Key rotation for the encrypted fields."""

from __future__ import annotations

from django.apps import apps
from django.db import transaction

from lantern.platform.audit.services import audit_record
from lantern.platform.fields import EncryptedTextField

#: the historical names of the counts of the two first encrypted models (kept for callers and the CLI)
_COUNT_NAMES = {"cases.subjectidentity": "identities", "cases.assessment": "assessments"}


def encrypted_fields() -> dict[type, list[str]]:
    """Every model with encrypted columns, and those columns — found from the models themselves, so that a
    model added later (a note, a revision, a second-factor secret…) cannot be forgotten by the rotation."""
    found: dict[type, list[str]] = {}
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found[model] = names
    return found


def rotate_field_keys(*, batch_size: int = 500) -> dict[str, int]:
    """Re-encrypt every encrypted value with the first (newest) key of ``LANTERN_FIELD_KEYS``.

    Reading decrypts with whichever listed key works; saving encrypts with the first. Run it after putting a
    new key in front; once it has finished, the old key can be removed. One transaction: all or nothing.
    Returns the number of rows re-encrypted per model (``identities``, ``assessments``, then
    ``app_label.model`` for the others); rows whose encrypted columns are all empty are skipped.
    """
    counts: dict[str, int] = {}
    with transaction.atomic():
        for model, names in sorted(encrypted_fields().items(), key=lambda kv: kv[0]._meta.label_lower):
            label = model._meta.label_lower
            rows = 0
            batch = []
            for obj in model._default_manager.order_by("pk").only("pk", *names).iterator(chunk_size=batch_size):
                if not any(getattr(obj, n) for n in names):
                    continue
                batch.append(obj)
                if len(batch) >= batch_size:
                    model._default_manager.bulk_update(batch, names)
                    rows += len(batch)
                    batch = []
            if batch:
                model._default_manager.bulk_update(batch, names)
                rows += len(batch)
            counts[_COUNT_NAMES.get(label, label)] = rows
        audit_record(actor=None, action="keys.rotate", channel="cli",
                     detail=" ".join(f"{k}={v}" for k, v in counts.items()))
    return counts
