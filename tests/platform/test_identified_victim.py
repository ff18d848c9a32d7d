"""Formal identification (standard: identified_victim) is stored, validated, imported, exported and counted."""

from __future__ import annotations

import csv
import io

import pytest

from lantern.errors import ValidationError
from lantern.platform.accounts.services import token_create
from lantern.platform.cases import services, validation
from lantern.platform.cases.models import Assessment
from lantern.platform.roles import Role


@pytest.mark.parametrize(("value", "stored"), [(1, "yes"), ("0", "no"), ("da", "yes"), ("", "unknown"),
                                                (None, "unknown"), ("unknown", "unknown")])
def test_validation_reads_yes_no_unknown(flat_row, value, stored):
    assert validation.clean_assessment(flat_row(identified_victim=value))["identified_victim"] == stored


def test_missing_column_is_unknown_and_a_bad_answer_names_row_and_field(flat_row):
    assert validation.clean_assessment(flat_row())["identified_victim"] == "unknown"  # files made before v1 had it
    with pytest.raises(ValidationError) as exc:
        validation.clean_assessment(flat_row(identified_victim="maybe"), record="row 4")
    (problem,) = exc.value.problems
    assert (problem.field, problem.record) == ("identified_victim", "row 4") and "'maybe'" in problem.reason


def _csv(rows):
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode()


def _upload(client, token, content, fmt):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/api/v1/imports/assessments", HTTP_AUTHORIZATION=f"Bearer {token}",
                       data={"file": SimpleUploadedFile("a.csv", content, "text/csv"), "format": fmt})


def test_csv_import_stores_it_and_the_flat_export_writes_1_0_empty(client, caseworker, make_user, flat_row, std):
    _row, token = token_create(user=caseworker)
    rows = [flat_row(assessment_id=f"x{i}", subject_ref="", identified_victim=v) for i, v in enumerate(["1", "0", ""])]
    r = _upload(client, token, _csv(rows), "csv")
    assert r.status_code == 200, r.json()
    stored = dict(Assessment.objects.values_list("external_id", "identified_victim"))
    assert stored == {"x0": "yes", "x1": "no", "x2": "unknown"}
    bad = [flat_row(assessment_id="y1", subject_ref="", identified_victim="perhaps")]
    r = _upload(client, token, _csv(bad), "csv")
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "identified_victim"
    assert r.json()["problems"][0]["record"] == "row 2"

    _row, analyst_token = token_create(user=make_user(Role.ANALYST))
    export = client.get("/api/v1/assessments/export.csv", HTTP_AUTHORIZATION=f"Bearer {analyst_token}")
    out = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert list(out[0])[14] == "identified_victim" == std.assessment_columns()[14]
    assert sorted(r["identified_victim"] for r in out) == ["", "0", "1"]


def test_odk_export_answers_yes_no_are_imported(client, caseworker, flat_row):
    _row, token = token_create(user=caseworker)
    row = {("sec_demographics/" + k if k == "identified_victim" else k.replace(".", "__")): ("" if v is None else str(v))
           for k, v in flat_row(identified_victim="yes").items()}
    row["meta/instanceID"] = "uuid:iv-1"
    r = _upload(client, token, _csv([row]), "xlsform")
    assert r.status_code == 200, r.json()
    assert Assessment.objects.get().identified_victim == "yes"


def test_intake_wizard_offers_and_records_it(client, caseworker, std):
    import datetime as dt

    from lantern.platform.web.views import intake_steps

    client.force_login(caseworker)
    today = dt.date.today()
    client.get("/intake/")
    assert client.post("/intake/consent/", {"consent_given": "on", "purposes": ["assessment"], "given_by": "subject",
                                            "given_on": today.isoformat()}).status_code == 302
    field = client.get("/intake/demographics/").context["form"].fields["identified_victim"]
    assert [c for c, _ in field.choices] == ["", "yes", "no", "unknown"] and not field.required
    demo = {"interview_date": today.isoformat(), "citizenship": "NP", "country_of_interview": "RO"}
    r = client.post("/intake/demographics/", {**demo, "identified_victim": "perhaps"})
    assert r.status_code == 422 and "identified_victim" in r.context["form"].errors
    assert client.post("/intake/demographics/", {**demo, "identified_victim": "yes"}).status_code == 302
    for step in [k for k, _ in intake_steps() if k.startswith("ind-") or k == "factors"]:
        form = client.get(f"/intake/{step}/").context["form"]
        assert client.post(f"/intake/{step}/", dict.fromkeys(form.fields, "no")).status_code == 302
    client.post("/intake/journey/", {"action": "add", "country": "NP"})
    client.post("/intake/journey/", {"action": "next"})
    assert client.post("/intake/review/").status_code == 302
    assert Assessment.objects.get().identified_victim == "yes"


def test_services_store_it_and_analytics_count_it(caseworker, make_user, flat_row):
    from lantern.platform.analytics import compute, selectors

    subject = services.subject_create(user=caseworker)
    for i, value in enumerate(["yes", "no", "unknown", "1"]):
        s = subject if i < 2 else services.subject_create(user=caseworker)
        services.assessment_create(user=caseworker, subject=s, data=flat_row(identified_victim=value))
    analyst = make_user(Role.ANALYST)
    frame = selectors.assessment_frame(user=analyst, purpose="test")
    assert frame["identified_victim"].dtype.is_integer()
    assert sorted(frame["identified_victim"].to_list(), key=str) == [0, 1, 1, None]
    assert "identified_victims" in compute.MEASURES
    ds = compute.dataset(user=analyst, purpose="test")
    try:
        # persons: the first subject (yes, then no) is identified once; the others: unknown, yes
        n = ds.con.execute("SELECT count(*) FILTER (WHERE identified_victim), count(*) FROM persons").fetchone()
    finally:
        ds.close()
    assert n == (2, 3)
    # the analyst's composed table (disclosure-controlled: 2 is shown as "<11", never the count)
    spec = compute.composed_spec(measure="identified_victims", by=["period"])
    (table,) = compute.compute(user=analyst, spec=spec, purpose="test")
    assert int(table.true_frame()["true_value"].iloc[-1]) == 2 and "2" not in set(table.frame()["display"])
