import csv
import io
import json

import pytest

from lantern.platform.accounts.services import token_create, token_revoke
from lantern.platform.audit.models import AuditEvent
from lantern.platform.cases.models import Assessment, Subject
from lantern.platform.roles import Role


@pytest.fixture
def api(client, caseworker):
    _row, token = token_create(user=caseworker)

    class Api:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

        def get(self, path, **kw):
            return client.get(f"/api/v1{path}", **self.headers, **kw)

        def post(self, path, body=None, **kw):
            if "data" in kw:
                return client.post(f"/api/v1{path}", **self.headers, **kw)
            return client.post(f"/api/v1{path}", data=json.dumps(body), content_type="application/json",
                               **self.headers, **kw)

        def put(self, path, body):
            return client.put(f"/api/v1{path}", data=json.dumps(body), content_type="application/json",
                              **self.headers)

    return Api()


def test_token_is_stored_hashed_and_required(client, caseworker):
    row, token = token_create(user=caseworker)
    assert token.startswith("lnt_") and token not in (row.digest, row.prefix) and len(row.digest) == 64
    assert client.get("/api/v1/subjects").status_code == 401
    assert client.post("/api/v1/subjects/S-X/assessments", data="[]", content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 422
    assert client.get("/api/v1/subjects", HTTP_AUTHORIZATION="Bearer lnt_wrong").status_code == 401
    assert client.get("/api/v1/subjects", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    token_revoke(token=row, actor=caseworker)
    assert client.get("/api/v1/subjects", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_subject_crud_and_scoping(api, caseworker, other_caseworker, make_subject, flat_row):
    r = api.post("/subjects", {"identity": {"given_name": "Ravi", "family_name": "Perera"}})
    assert r.status_code == 201
    ref = r.json()["ref"]
    assert api.post(f"/subjects/{ref}/assessments", flat_row()).status_code == 201
    listing = api.get("/subjects").json()
    assert listing["count"] == 1 and listing["items"][0]["ref"] == ref and listing["items"][0]["n_assessments"] == 1
    detail = api.get(f"/subjects/{ref}").json()
    assert detail["identity"] is None and len(detail["assessments"]) == 1
    assert api.get(f"/subjects/{ref}?include_identity=true").json()["identity"]["family_name"] == "Perera"
    assert api.get("/subjects?name=ravi perera").json()["count"] == 1
    foreign = make_subject(other_caseworker)
    missing = api.get("/subjects/S-NOSUCH00000")
    hidden = api.get(f"/subjects/{foreign.ref}")
    assert missing.status_code == hidden.status_code == 404 and missing.json() == hidden.json()
    foreign_assessment = foreign.assessments.get().ref
    assert api.get(f"/assessments/{foreign_assessment}").status_code == 404
    assert api.post(f"/subjects/{foreign.ref}/assessments", flat_row()).status_code == 404
    assert api.get(f"/subjects?ref={foreign.ref}").json()["count"] == 0


def test_assessment_detail_is_the_flat_format(api, caseworker, make_subject, std):
    subject = make_subject(caseworker)
    a = subject.assessments.get()
    body = api.get(f"/assessments/{a.ref}").json()
    ind = next(c.name for c in std.assessment_columns() if c.kind == "indicator")
    assert body["answers"][ind] == 0 and body["answers"]["subject_ref"] == subject.ref
    assert body["answers"]["standard_version"] == std.version


def test_bad_assessment_is_422_with_field_and_nothing_saved(api, caseworker, make_subject, flat_row):
    subject = make_subject(caseworker, assessment=False)
    r = api.post(f"/subjects/{subject.ref}/assessments", flat_row(citizenship="QQ", standard_version="0.1"))
    assert r.status_code == 422
    assert r.json()["problems"][0]["field"] == "standard_version"
    r = api.post(f"/subjects/{subject.ref}/assessments", flat_row(citizenship="QQ"))
    assert r.status_code == 422 and {p["field"] for p in r.json()["problems"]} == {"citizenship"}
    assert not Assessment.objects.exists()


def test_journey_put_and_get(api, caseworker, make_subject):
    subject = make_subject(caseworker)
    legs = [{"country": "LK", "exit_date": "2024-01-02"}, {"country": "AE", "entry_date": "2024-01-02",
                                                          "exit_date": "2024-01-05", "mode": "air"},
            {"country": "RO", "entry_date": "2024-01-05", "mode": "air", "facilitator_type": "recruitment_agency_licensed"}]
    r = api.put(f"/subjects/{subject.ref}/journey", legs)
    assert r.status_code == 200 and [x["order"] for x in r.json()] == [1, 2, 3]
    bad = api.put(f"/subjects/{subject.ref}/journey", [{"country": "RO", "entry_date": "2024-02-01",
                                                       "exit_date": "2024-01-01"}])
    assert bad.status_code == 422 and bad.json()["problems"][0] == {"record": "leg 1", "field": "exit_date",
                                                                    "reason": bad.json()["problems"][0]["reason"]}
    assert len(api.get(f"/subjects/{subject.ref}/journey").json()) == 3


def _csv(rows):
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode()


def _upload(api, content, fmt="csv", name="a.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return api.post("/imports/assessments", data={"file": SimpleUploadedFile(name, content, "text/csv"), "format": fmt})


def test_csv_import_all_or_nothing(api, caseworker, flat_row):
    good = [flat_row(assessment_id=f"x{i}", agency="ngo-a", subject_ref="") for i in range(3)]
    bad = [dict(r) for r in good]
    bad[1]["sex"] = "robot"
    bad[2]["interview_date"] = "2024-13-40"
    r = _upload(api, _csv(bad))
    assert r.status_code == 422
    assert [(p["record"], p["field"]) for p in r.json()["problems"]] == [("row 3", "sex"), ("row 4", "interview_date")]
    assert not Assessment.objects.exists() and not Subject.objects.exists()
    r = _upload(api, _csv(good))
    assert r.status_code == 200 and r.json()["new_subjects"] == 3 and len(r.json()["created"]) == 3
    again = _upload(api, _csv(good))
    assert again.status_code == 422 and "imported before" in again.json()["problems"][0]["reason"]
    assert Assessment.objects.count() == 3


def test_import_cannot_reach_another_agency(api, caseworker, other_caseworker, make_subject, flat_row):
    mine, foreign = make_subject(caseworker), make_subject(other_caseworker)
    rows = [flat_row(subject_ref=mine.ref), flat_row(subject_ref=foreign.ref), flat_row(subject_ref="S-NOSUCH00000"),
            flat_row(subject_ref="local-17"), flat_row(subject_ref="local-17")]
    r = _upload(api, _csv(rows))
    assert r.status_code == 200, r.json()
    subjects = r.json()["subjects"]
    # own pseudonym: added to it; another agency's and a missing one: treated alike, each a new subject;
    # one unknown reference repeated: one new subject
    assert subjects[0] == mine.ref and foreign.ref not in subjects
    assert len({subjects[1], subjects[2], subjects[3]}) == 3 and subjects[3] == subjects[4]
    assert r.json()["new_subjects"] == 3 and foreign.assessments.count() == 1
    r = _upload(api, _csv([flat_row(agency="police-b")]))
    assert r.json()["problems"][0]["field"] == "agency"


def test_malformed_and_oversized_uploads(api, settings, flat_row):
    assert _upload(api, b"").status_code == 400
    assert _upload(api, b"\x00\x01PK binary").status_code == 400
    assert _upload(api, b"a,b\n1,2,3\n").status_code == 422
    assert _upload(api, _csv([flat_row()]), fmt="xml").status_code == 422
    settings.LANTERN_IMPORT_MAX_BYTES = 100
    r = _upload(api, _csv([flat_row()]))
    assert r.status_code == 400 and r.json()["problems"][0]["field"] == "file"


def test_xlsform_export_import(api, std, flat_row):
    """An ODK Central / KoboToolbox CSV: group-prefixed names, `a__b` for `a.b`, meta columns, one column
    per choice of a select_multiple."""
    row = flat_row()
    groups = {}
    for section in std.form():
        for group in section.groups:
            for q in group.questions:
                groups[q.id] = f"sec_{section.id}/" + (f"dim_{group.id}/" if section.id == "indicators" else "")
    out = {"start": "2024-01-01T10:00:00", "sec_consent/consent_purposes/referral": "1",
           "meta/instanceID": "uuid:1234", "_id": "77", "_submission_time": "2024-01-01T10:30:00"}
    for key, value in row.items():
        out[groups.get(key, "") + key.replace(".", "__")] = "" if value is None else str(value)
    r = _upload(api, _csv([out]), fmt="xlsform")
    assert r.status_code == 200, r.json()
    a = Assessment.objects.get()
    assert a.external_id == "uuid:1234" and a.source == "import-xlsform"
    assert _upload(api, _csv([out]), fmt="xlsform").status_code == 422  # same instanceID again


def test_roles_without_capability_get_403(client, make_user, caseworker, make_subject):
    subject = make_subject(caseworker)
    analyst = make_user(Role.ANALYST)
    _row, token = token_create(user=analyst)
    r = client.get(f"/api/v1/subjects/{subject.ref}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 403
    assert AuditEvent.objects.filter(actor=analyst.username, outcome="denied").exists()


def test_openapi_and_local_docs(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/subjects" in spec["paths"] and "/api/v1/imports/assessments" in spec["paths"]
    docs = client.get("/api/v1/docs").content.decode()
    assert "swagger-ui-bundle.js" in docs and "cdn" not in docs.lower() and "https://" not in docs


def test_healthz(client, db, monkeypatch):
    assert client.get("/healthz").status_code == 200

    from django.db import DatabaseError

    class Down:
        def cursor(self):
            raise DatabaseError("down")

    monkeypatch.setattr("lantern.platform.web.views.connection", Down())
    assert client.get("/healthz").status_code == 503


def test_analyst_export_is_pseudonymous_and_own_agency_only(client, make_user, caseworker, other_caseworker,
                                                            make_subject, std):
    mine = make_subject(caseworker, identity={"given_name": "Hidden", "family_name": "Person"})
    make_subject(other_caseworker)
    analyst = make_user(Role.ANALYST)
    _row, token = token_create(user=analyst)
    r = client.get("/api/v1/assessments/export.csv", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode())))
    assert [row["subject_ref"] for row in rows] == [mine.ref]
    assert list(rows[0]) == [c.name for c in std.assessment_columns()]
    assert "Hidden" not in r.content.decode()
    assert AuditEvent.objects.filter(action="assessment.export", detail="rows=1").exists()
    _row, cw_token = token_create(user=caseworker)
    assert client.get("/api/v1/assessments/export.csv", HTTP_AUTHORIZATION=f"Bearer {cw_token}").status_code == 403
