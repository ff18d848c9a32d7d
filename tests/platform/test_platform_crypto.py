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
    counts = rotate_field_keys()
    assert (counts["identities"], counts["assessments"]) == (1, 0)
    monkeypatch.setenv("LANTERN_FIELD_KEYS", new)
    identity = SubjectIdentity.objects.get(subject=subject)
    assert (identity.given_name, identity.phone) == ("Rotated", "+40 111 222")


def test_rotation_reaches_every_encrypted_column_of_every_model(monkeypatch, caseworker, make_subject):
    """Notes of plan items, referrals and assessment revisions, second-factor secrets…: every model with an
    encrypted column is found from the models, so a new one cannot be forgotten; after the rotation the old
    key can go and every value still reads."""
    from django.db import connection

    from lantern.platform.fields import EncryptedTextField
    from lantern.platform.interventions.models import PlanItem
    from lantern.platform.keys import encrypted_fields, rotate_field_keys

    found = {m._meta.label_lower: names for m, names in encrypted_fields().items()}
    for label in ("cases.subjectidentity", "cases.assessment", "accounts.user", "interventions.planitem",
                  "referrals.referral", "cases.assessmentrevision"):
        assert label in found, label
    from django.apps import apps

    for model in apps.get_models():  # nothing encrypted is left out
        enc = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        assert sorted(enc) == sorted(found.get(model._meta.label_lower, []))
    subject = make_subject(caseworker, identity={"given_name": "Rotated"})
    item = PlanItem.objects.create(subject=subject, agency=caseworker.agency, intervention="integration.language_course",
                                   standard_version="1.0", due_date="2030-01-01", note="call the sister first",
                                   created_by=caseworker)
    old = os.environ["LANTERN_FIELD_KEYS"]
    new = Fernet.generate_key().decode()
    monkeypatch.setenv("LANTERN_FIELD_KEYS", f"{new},{old}")
    counts = rotate_field_keys()
    assert counts["interventions.planitem"] == 1 and counts["identities"] == 1
    monkeypatch.setenv("LANTERN_FIELD_KEYS", new)  # the old key is gone
    assert PlanItem.objects.get(pk=item.pk).note == "call the sister first"
    with connection.cursor() as cur:
        cur.execute("SELECT note FROM interventions_planitem WHERE id = %s", [item.pk])
        raw = cur.fetchone()[0]
    assert "sister" not in raw and Fernet(new.encode()).decrypt(raw.encode()) == b"call the sister first"
