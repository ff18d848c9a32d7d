"""Model fields whose values are encrypted at rest."""

from __future__ import annotations

from django.db import models

from lantern.platform import crypto


class EncryptedTextField(models.TextField):
    """A text value stored as a Fernet token; Python code sees the plaintext.

    Only exact-equality search through a separate blind index is possible: the database never holds the
    plaintext, so ``filter(field=...)`` and ordering on this field are meaningless and not supported.
    """

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value))

    def get_lookup(self, lookup_name):
        if lookup_name not in ("isnull",):
            return None  # refuse lookups on ciphertext
        return super().get_lookup(lookup_name)
