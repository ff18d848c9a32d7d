import datetime as dt
import os

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from lantern.platform import crypto
from lantern.platform.cases.models import SubjectIdentity


def test_round_trip_and_tokens_differ():
    a, b = crypto.encrypt("Asha Thapa"), crypto.encrypt("Asha Thapa")
    assert a != b  # random IV: equal plaintexts give different ciphertexts
    assert crypto.decrypt(a) == "Asha Thapa"


def test_rotation_new_key_first_still_reads_old(monkeypatch):
    old = os.environ["LANTERN_FIELD_KEYS"]
    token = crypto.encrypt("secret")
    new = Fernet.generate_key().decode()
    monkeypatch.setenv("LANTERN_FIELD_KEYS", f"{new},{old}")
    assert crypto.decrypt(token) == "secret"
    rotated = crypto.rotate(token)
    monkeypatch.setenv("LANTERN_FIELD_KEYS", new)  # old key dropped after rotation
    assert crypto.decrypt(rotated) == "secret"
    with pytest.raises(Exception, match="cannot be decrypted"):
        crypto.decrypt(token)


def test_missing_key_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("LANTERN_FIELD_KEYS", "")
    with pytest.raises(Exception, match="LANTERN_FIELD_KEYS is not set"):
        crypto.encrypt("x")


def test_blind_index_normalises_and_is_keyed(monkeypatch):
    assert crypto.blind_index("Ana-Maria", "POPESCU") == crypto.blind_index("ana maria  popescu")
    assert crypto.blind_index("Ștefan") == crypto.blind_index("stefan")
    assert crypto.blind_index("Ana") != crypto.blind_index("Anna")
    before = crypto.blind_index("Ana")
    monkeypatch.setenv("LANTERN_INDEX_KEY", "another-key")
    assert crypto.blind_index("Ana") != before
    assert crypto.blind_index("", None) == ""


def _dob():
    today = dt.date.today()
    return today.replace(year=today.year - 30).isoformat() if today.month != 2 or today.day != 29 else "1996-03-01"


def test_no_plaintext_in_the_database(caseworker, make_subject):
    subject = make_subject(caseworker, identity={"given_name": "Kamala", "family_name": "Gurungova",
                                                 "date_of_birth": _dob(), "document_numbers": "PX1234567",
                                                 "phone": "+40 700 000 111"})
    with connection.cursor() as cur:
        cur.execute("SELECT given_name, family_name, date_of_birth, document_numbers, phone, name_index "
                    "FROM cases_subjectidentity")
        raw = " ".join(str(v) for v in cur.fetchone())
    for plain in ("Kamala", "Gurungova", _dob(), "PX1234567", "700 000"):
        assert plain not in raw
    identity = SubjectIdentity.objects.get(subject=subject)
    assert (identity.given_name, identity.phone) == ("Kamala", "+40 700 000 111")


def test_lookups_on_ciphertext_are_refused(db):
    from django.core.exceptions import FieldError

    with pytest.raises(FieldError):
        list(SubjectIdentity.objects.filter(given_name="x"))


def test_rotate_field_keys_reencrypts_with_the_new_key(monkeypatch, caseworker, make_subject):
    from lantern.platform.keys import rotate_field_keys

    subject = make_subject(caseworker, identity={"given_name": "Rotated", "phone": "+40 111 222"})
    old = os.environ["LANTERN_FIELD_KEYS"]
    new = Fernet.generate_key().decode()
    monkeypatch.setenv("LANTERN_FIELD_KEYS", f"{new},{old}")
    assert rotate_field_keys() == {"identities": 1, "assessments": 0}
    monkeypatch.setenv("LANTERN_FIELD_KEYS", new)
    identity = SubjectIdentity.objects.get(subject=subject)
    assert (identity.given_name, identity.phone) == ("Rotated", "+40 111 222")
