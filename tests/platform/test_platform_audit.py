import pytest
from django.db import DatabaseError, connection, transaction

from lantern.platform.audit.models import AuditEvent, AuditImmutable
from lantern.platform.audit.services import audit_record
from lantern.platform.cases import selectors, services

SECRETS = ("Nirmala", "Shrestha", "P9988776", "+977 1234", "very private note")


def test_rows_cannot_be_changed_or_deleted(caseworker):
    ev = audit_record(actor=caseworker, action="subject.read", object_type="subject", object_ref="S-X")
    ev.action = "changed"
    with pytest.raises(AuditImmutable):
        ev.save()
    with pytest.raises(AuditImmutable):
        ev.delete()
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.filter(pk=ev.pk).update(action="x")
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=ev.pk).action == "subject.read"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_postgres_trigger_refuses_raw_update_and_delete(caseworker):
    ev = audit_record(actor=caseworker, action="subject.read")
    for sql in ("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", "DELETE FROM audit_auditevent WHERE id = %s"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [ev.pk])
    assert AuditEvent.objects.filter(pk=ev.pk, action="subject.read").exists()


def test_crud_and_reads_are_audited_without_values(caseworker, make_subject, flat_row):
    subject = make_subject(caseworker, identity={"given_name": SECRETS[0], "family_name": SECRETS[1],
                                                 "document_numbers": SECRETS[2], "phone": SECRETS[3]},
                           assessment=False)
    services.assessment_create(user=caseworker, subject=subject, data=flat_row(notes=SECRETS[4]))
    selectors.subject_get_for_user(user=caseworker, ref=subject.ref)
    selectors.identity_get_for_user(user=caseworker, subject=subject)
    actions = list(AuditEvent.objects.filter(object_ref__in=[subject.ref]).values_list("action", flat=True))
    for expected in ("subject.create", "subject.read", "identity.read"):
        assert expected in actions
    assert AuditEvent.objects.filter(action="assessment.create").exists()
    dump = " ".join(" ".join(str(v) for v in row) for row in AuditEvent.objects.values_list())
    for secret in SECRETS:
        assert secret not in dump
    ev = AuditEvent.objects.get(action="subject.create")
    assert ev.detail == "fields=given_name,family_name,document_numbers,phone"


def test_request_id_is_recorded_and_echoed(client, caseworker, make_subject):
    subject = make_subject(caseworker)
    client.force_login(caseworker)
    response = client.get(f"/subjects/{subject.ref}/", HTTP_X_REQUEST_ID="req-12345678")
    assert response.status_code == 200 and response["X-Request-ID"] == "req-12345678"
    ev = AuditEvent.objects.filter(action="subject.read", object_ref=subject.ref).latest("id")
    assert (ev.request_id, ev.channel) == ("req-12345678", "web")
    response = client.get(f"/subjects/{subject.ref}/", HTTP_X_REQUEST_ID="bad id!")
    assert len(response["X-Request-ID"]) == 32  # replaced by a fresh one


def test_malformed_requested_refs_are_not_logged(client, caseworker):
    client.force_login(caseworker)
    assert client.get("/subjects/Maria Popescu/").status_code == 404
    ev = AuditEvent.objects.filter(action="subject.read", outcome="not_found").get()
    assert ev.object_ref == "(malformed)"
    assert client.get("/subjects/S-ABCDEFGH23/").status_code == 404
    assert AuditEvent.objects.filter(object_ref="S-ABCDEFGH23", outcome="not_found").exists()
