"""Field encryption (Fernet / MultiFernet) and the keyed blind index.

Keys come from the environment, never from the database or the repository:

* ``LANTERN_FIELD_KEYS`` — comma-separated Fernet keys, **newest first**. New values are encrypted with the
  first key; any key in the list decrypts. Rotation: put a new key in front, run ``lantern keys rotate``
  (re-encrypts every row with the first key), then drop the old key.
* ``LANTERN_INDEX_KEY`` — the HMAC-SHA256 key of the blind index used for exact name search. It is separate
  from the encryption keys so that rotating those does not invalidate the index.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import unicodedata
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.core.exceptions import ImproperlyConfigured


@lru_cache(maxsize=4)
def _fernet(keys: str) -> MultiFernet:
    parts = [k.strip() for k in keys.split(",") if k.strip()]
    if not parts:
        raise ImproperlyConfigured(
            "LANTERN_FIELD_KEYS is not set: identifiers cannot be encrypted. `lantern demo` writes one to "
            "var/demo.env; in production generate one with `lantern keys generate`."
        )
    try:
        return MultiFernet([Fernet(k.encode()) for k in parts])
    except ValueError as exc:
        raise ImproperlyConfigured(f"LANTERN_FIELD_KEYS holds an invalid Fernet key: {exc}") from exc


def fernet() -> MultiFernet:
    """The MultiFernet built from ``LANTERN_FIELD_KEYS`` (read at call time, so tests can swap keys)."""
    return _fernet(os.environ.get("LANTERN_FIELD_KEYS", ""))


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "An encrypted field cannot be decrypted with any key in LANTERN_FIELD_KEYS "
            "(a key was removed before rotation finished?)"
        ) from exc


def rotate(token: str) -> str:
    """Re-encrypt a token with the first (newest) key."""
    return fernet().rotate(token.encode("ascii")).decode("ascii")


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def _index_key() -> bytes:
    key = os.environ.get("LANTERN_INDEX_KEY", "")
    if not key:
        raise ImproperlyConfigured("LANTERN_INDEX_KEY is not set: the name search index cannot be computed.")
    return key.encode("utf-8")


def normalise_name(*parts: str | None) -> str:
    """Case-, accent- and spacing-insensitive form of a name: 'Ana-Maria  POPESCU' -> 'ana maria popescu'."""
    text = " ".join(p for p in parts if p)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = "".join(c if c.isalnum() else " " for c in text.casefold())
    return " ".join(text.split())


def blind_index(*parts: str | None) -> str:
    """Keyed HMAC of the normalised name; empty string when there is no name."""
    norm = normalise_name(*parts)
    if not norm:
        return ""
    digest = hmac.new(_index_key(), norm.encode("utf-8"), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").rstrip("=").lower()
