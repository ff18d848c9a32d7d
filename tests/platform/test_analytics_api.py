"""The releases API (``/api/v1/releases…``): the web pages' services through bearer tokens, per role, scoped."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pytest
from test_analytics_data import populate

from lantern.platform.accounts.services import token_create
from lantern.platform.analytics.models import ReleaseFile, ReleaseState, StatRelease
from lantern.platform.audit.models import AuditEvent
from lantern.platform.roles import CAPABILITIES, Role

SPEC = {"standard_version": "1.0", "title": "TCNs", "tables": [
    {"id": "by_sex", "measure": "persons", "by": ["period", "sex"]},
    {"id": "vulnerable_by_citizenship", "measure": "vulnerable", "by": ["period", "citizenship"]},
]}


class Api:
    def __init__(self, client, user):
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user)[1]}"}

    def get(self, path):
        return self.client.get(f"/api/v1{path}", **self.headers)

    def post(self, path, body=None):
        return self.client.post(f"/api/v1{path}", data=json.dumps(body or {}), content_type="application/json",
                                **self.headers)


@pytest.fixture
def analyst(make_user):
    return make_user(Role.ANALYST)


@pytest.fixture
def api(client, analyst):
    return Api(client, analyst)


@pytest.fixture
def data(caseworker):
    return populate(caseworker, n=60)


def test_release_workflow_through_the_api(api, analyst, data):
    r = api.post("/releases", {"title": "Quarterly", "spec": SPEC, "dp_budget": 1.0})
    assert r.status_code == 201, r.json()
    ref = r.json()["ref"]
    assert r.json()["state"] == "draft" and r.json()["report"] is None and r.json()["files"] == []
    r = api.post(f"/releases/{ref}/check")
    assert r.status_code == 200 and r.json()["state"] == "checked" and r.json()["report"]["ok"]
    assert [t["table_id"] for t in r.json()["report"]["tables"]] == ["by_sex", "vulnerable_by_citizenship"]
    assert r.json()["checked_by"] == analyst.username
    assert api.get(f"/releases/{ref}/files/csv").status_code == 404  # not published yet
    r = api.post(f"/releases/{ref}/publish")
    assert r.status_code == 200 and r.json()["state"] == "published" and r.json()["published_by"] == analyst.username
    assert {f["fmt"] for f in r.json()["files"]} == {"csv", "xlsx", "json"}
    stored = {f.fmt: bytes(f.content) for f in ReleaseFile.objects.filter(release__ref=ref)}
    for fmt in ("csv", "xlsx", "json"):
        got = api.get(f"/releases/{ref}/files/{fmt}")
        assert got.status_code == 200 and got.content == stored[fmt]
        assert got["X-Content-SHA256"] == hashlib.sha256(stored[fmt]).hexdigest()
    assert api.get(f"/releases/{ref}/files/crim_thb").status_code == 404  # these tables do not fit crim_thb
    rows = list(csv.DictReader(io.StringIO(stored["csv"].decode())))
    assert rows and not [r for r in rows if r["value"] and 0 < int(r["value"]) < 11]
    listing = api.get("/releases?state=published").json()
    assert [x["ref"] for x in listing] == [ref] and api.get("/releases?state=draft").json() == []
    actions = set(AuditEvent.objects.filter(object_ref=ref, channel="api").values_list("action", "outcome"))
    assert {("release.create", "ok"), ("release.check", "ok"), ("release.publish", "ok"),
            ("release.read", "ok")} <= actions
    assert AuditEvent.objects.filter(action="release.list", detail="releases=1").exists()


def test_a_composed_table_and_a_shipped_example(api, data):
    r = api.post("/releases", {"measure": "persons", "by": ["period", "sex"], "title": "composed"})
    assert r.status_code == 201 and r.json()["spec_source"] == "composed"
    assert r.json()["spec"]["tables"][0]["by"] == ["period", "sex"]
    r = api.post("/releases", {"example": "tcn_counts"})
    assert r.status_code == 201 and r.json()["spec_source"] == "examples/stats/tcn_counts.yaml"
    for body, field in (({"example": "tcn_counts", "measure": "persons"}, "spec"), ({"example": "nope"}, "example"),
                        ({"measure": "salaries"}, "measure"), ({}, "spec"),
                        ({"spec": {"tables": [{"id": "t", "measure": "persons", "by": ["shoe_size"]}]}}, None)):
        bad = api.post("/releases", body)
        assert bad.status_code == 422, body
        if field:
            assert bad.json()["problems"][0]["field"] == field
    assert StatRelease.objects.count() == 2


def test_publish_refused_when_the_disclosure_check_fails(api, data):
    ref = api.post("/releases", {"title": "unsafe", "spec": {**SPEC, "sdc": {"enabled": False}}}).json()["ref"]
    r = api.post(f"/releases/{ref}/check")
    assert r.status_code == 422 and r.json()["problems"]
    detail = api.get(f"/releases/{ref}").json()
    assert detail["state"] == "draft" and detail["report"]["ok"] is False  # the failing report is kept
    r = api.post(f"/releases/{ref}/publish")
    assert r.status_code == 422 and "only a checked release" in r.json()["problems"][0]["reason"]
    assert not ReleaseFile.objects.exists() and StatRelease.objects.get(ref=ref).state == ReleaseState.DRAFT
    assert api.get(f"/releases/{ref}/files/csv").status_code == 404


def test_a_threshold_under_the_platform_minimum_is_refused(api, data):
    r = api.post("/releases", {"title": "weak", "spec": {**SPEC, "sdc": {"threshold": 5, "protection": 3}}})
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "sdc.threshold"
    assert not StatRelease.objects.exists()
    assert api.post("/releases", {"title": "strict", "spec": {**SPEC, "sdc": {"threshold": 20}}}).status_code == 201


def test_each_endpoint_per_role(client, make_user, analyst, data):
    release = StatRelease.objects.create(agency_id=analyst.agency_id, title="t", standard_version="1.0", spec=SPEC,
                                         created_by=analyst)
    may = CAPABILITIES["assessment.analyse"]
    for role in Role.values:
        api = Api(client, analyst if role == Role.ANALYST else make_user(role, username=f"api-{role}"))
        got = {"list": api.get("/releases").status_code, "detail": api.get(f"/releases/{release.ref}").status_code,
               "create": api.post("/releases", {"measure": "persons"}).status_code,
               "file": api.get(f"/releases/{release.ref}/files/csv").status_code,
               "publish": api.post(f"/releases/{release.ref}/publish").status_code}
        expected = ({"list": 200, "detail": 200, "create": 201, "file": 404, "publish": 422} if role in may
                    else dict.fromkeys(got, 403))
        assert got == expected, role
    assert StatRelease.objects.count() == 1 + len(may)


def test_another_agencys_release_answers_like_a_missing_one(client, api, make_user, agencies, data):
    other = make_user(Role.ANALYST, agency=agencies[1], username="other-analyst")
    foreign = StatRelease.objects.create(agency=agencies[1], title="theirs", standard_version="1.0", spec=SPEC,
                                         created_by=other, state=ReleaseState.PUBLISHED)
    ReleaseFile.objects.create(release=foreign, fmt="csv", name="x.csv", content=b"table_id\n", sha256="0" * 64)
    missing = "R-ZZZZZZZZZZ"
    for path in ("/releases/{}", "/releases/{}/files/csv"):
        a, b = api.get(path.format(foreign.ref)), api.get(path.format(missing))
        assert a.status_code == b.status_code == 404 and a.json() == b.json() == {"detail": "Not found"}
    for path in ("/releases/{}/check", "/releases/{}/publish"):
        a, b = api.post(path.format(foreign.ref)), api.post(path.format(missing))
        assert a.status_code == b.status_code == 404 and a.json() == b.json()
    assert api.get("/releases").json() == []
    assert StatRelease.objects.get(pk=foreign.pk).state == ReleaseState.PUBLISHED
    assert AuditEvent.objects.filter(action="release.read", outcome="not_found", object_ref=foreign.ref).exists()


def test_no_person_level_data_in_any_release_response(api, caseworker, data):
    ref = api.post("/releases", {"title": "Q", "spec": SPEC}).json()["ref"]
    bodies = [api.post(f"/releases/{ref}/check").content, api.post(f"/releases/{ref}/publish").content,
              api.get(f"/releases/{ref}").content, api.get("/releases").content]
    bodies += [api.get(f"/releases/{ref}/files/{fmt}").content for fmt in ("csv", "json")]
    text = b"\n".join(bodies).decode()
    for secret in [*data["names"], *data["subjects"], *data["assessments"]]:
        assert secret not in text


def test_openapi_schema_lists_the_release_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert set(paths["/api/v1/releases"]) == {"get", "post"}
    assert "get" in paths["/api/v1/releases/{ref}"]
    assert "post" in paths["/api/v1/releases/{ref}/check"] and "post" in paths["/api/v1/releases/{ref}/publish"]
    assert "get" in paths["/api/v1/releases/{ref}/files/{fmt}"]
    assert paths["/api/v1/releases/{ref}"]["get"]["tags"] == ["releases"]
    assert paths["/api/v1/sources/national"]["get"]["tags"] == ["sources"]
