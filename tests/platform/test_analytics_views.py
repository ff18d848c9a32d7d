"""The analyst's pages: what they show, how many queries they make, and that no name or pseudonym leaks."""

from __future__ import annotations

import re

import pytest
from test_analytics_data import populate

from lantern.platform.analytics import services
from lantern.platform.analytics.models import ReleaseState, StatRelease
from lantern.platform.roles import Role


@pytest.fixture
def analyst(make_user):
    return make_user(Role.ANALYST)


@pytest.fixture
def data(caseworker):
    return populate(caseworker, n=60)


@pytest.fixture
def signed_in(client, analyst):
    client.force_login(analyst)
    return client


PAGES = ["/analytics/", "/analytics/counts/?example=tcn_counts", "/analytics/counts/?measure=vulnerable&by1=period&by2=sex",
         "/analytics/routes/", "/analytics/sources/", "/analytics/releases/", "/analytics/combine/",
         "/analytics/ctdc/", "/analytics/ctdc/?format=csv", "/analytics/routes/?group_by=sex"]


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx), response


COUNTED = ["/analytics/counts/?measure=persons&by1=period&by2=citizenship", "/analytics/routes/",
           "/analytics/sources/", "/analytics/releases/"]


def test_pages_make_a_number_of_queries_independent_of_the_data(signed_in, caseworker, data):
    # session, user, agency, one read of the agency's rows, the audit row, the session's idle-timeout update
    first = {url: _queries(signed_in, url)[0] for url in COUNTED}
    assert max(first.values()) <= 10, first
    populate(caseworker, n=40, seed=5)
    again = {url: _queries(signed_in, url)[0] for url in COUNTED}
    assert again == first


def test_counts_page_shows_protected_values_only(signed_in, data):
    _n, r = _queries(signed_in, "/analytics/counts/?measure=persons&by1=period&by2=citizenship")
    html = r.content.decode()
    assert "&lt;11" in html and "Computed under version 1.0 of the data standard" in html
    cells = re.findall(r"<td>([^<]*)</td></tr>", html)  # the last column: what a reader sees
    assert "x" in cells or "&lt;11" in cells
    numbers = [int(c) for c in cells if c.isdigit()]
    assert numbers and all(v == 0 or (v >= 11 and v % 5 == 0) for v in numbers)


def test_release_pages_make_a_fixed_number_of_queries(signed_in, analyst, data):
    spec = {"tables": [{"id": "t", "measure": "persons", "by": ["period"]}]}
    release = services.release_create(user=analyst, title="r", spec=spec, dp_budget=1.0)
    detail = f"/analytics/releases/{release.ref}/"
    first = (_queries(signed_in, "/analytics/releases/")[0], _queries(signed_in, detail)[0])
    for i in range(4):
        services.release_create(user=analyst, title=f"r{i}", spec=spec, dp_budget=1.0)
    from lantern.platform.analytics.ledger import DatabaseLedger

    for i in range(3):
        DatabaseLedger(analyst.agency_id).charge(release.ref, 0.1, f"q{i}")
    assert (_queries(signed_in, "/analytics/releases/")[0], _queries(signed_in, detail)[0]) == first
    assert max(first) <= 9


def test_release_workflow_through_the_web(signed_in, data):
    r = signed_in.post("/analytics/releases/new/", {"title": "Counts 2025", "measure": "vulnerable", "by1": "period",
                                                    "by2": "sex", "dp_budget": "0.5"})
    assert r.status_code == 302
    url = r.headers["Location"]
    release = StatRelease.objects.get()
    r = signed_in.post(url + "publish/", follow=True)  # not checked yet
    assert "only a checked release can be published" in r.content.decode()
    signed_in.post(url + "check/")
    release.refresh_from_db()
    assert release.state == ReleaseState.CHECKED
    page = signed_in.get(url).content.decode()
    assert "Disclosure report" in page and "Passed." in page
    r = signed_in.post(url + "dp/", {"epsilon": "0.4", "by1": "sex", "where": "vulnerable", "action": "plan"},
                       HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "with 95% probability" in r.content.decode()
    assert "<html" not in r.content.decode()  # the HTMX partial only
    from lantern.platform.analytics.ledger import DatabaseLedger

    DatabaseLedger(release.agency_id).charge(release.ref, 0.4, "spent elsewhere")  # (running is tested in services)
    r = signed_in.post(url + "dp/", {"epsilon": "0.2", "where": "persons", "action": "run"})
    assert r.status_code == 409 and "query refused" in r.content.decode() and release.charges.count() == 1
    signed_in.post(url + "publish/")
    release.refresh_from_db()
    assert release.state == ReleaseState.PUBLISHED
    page = signed_in.get(url).content.decode()
    assert "<h2>composed</h2>" in page and "&lt;11" in page  # the published table on the release page
    csv = signed_in.get(url + "files/csv/")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    xlsx = signed_in.get(url + "files/xlsx/")
    assert xlsx.content[:2] == b"PK"
    assert signed_in.get(url + "files/parquet/").status_code == 404


def test_no_name_or_pseudonym_in_any_analyst_page_or_export(signed_in, analyst, data):
    release = services.release_create(user=analyst, title="r", spec={"tables": [
        {"id": "t", "measure": "vulnerable", "by": ["period", "sex"]}]}, dp_budget=1.0)
    services.release_check(user=analyst, release=release)
    services.release_publish(user=analyst, release=release)
    base = f"/analytics/releases/{release.ref}/"
    bodies = [signed_in.get(p).content for p in PAGES]
    bodies += [signed_in.get(base).content, signed_in.get("/analytics/sources/?format=html").content]
    bodies += [signed_in.get(base + f"files/{fmt}/").content for fmt in ("csv", "json")]
    bodies += [signed_in.get(f"/analytics/routes/{f}/svg/").content for f in ("sankey", "flowmap")]
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(signed_in.get(base + "files/xlsx/").content))
    bodies.append(" ".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row).encode())
    text = b"\n".join(bodies).decode("utf-8", "replace")
    for name in data["names"]:
        assert name not in text
    refs = set(re.findall(r"\b[SA]-[0-9A-Z]{10}\b", text))
    assert not refs & (set(data["subjects"]) | set(data["assessments"]))
    assert "1990-05-17" not in text  # no date of birth


def test_rates_with_a_denominator_file_and_a_bad_file_in_place(signed_in, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    good = b"geo,citizen,time,value\nRO,TOTAL,2025,20000\nRO,TOTAL,2026,25000\n"
    r = signed_in.post("/analytics/rates/", {"measure": "persons", "dimension": "", "period": "year",
                                             "denominators": SimpleUploadedFile("den.csv", good, "text/csv")})
    assert r.status_code == 200
    rows = re.findall(r"<tr><td>(20\d\d|Total|TOTAL)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>",
                      r.content.decode())
    by_year = {y: (count, den, rate) for y, count, den, rate in rows}
    count, den, rate = by_year["2025"]
    assert den == "20,000" and float(rate) == pytest.approx(int(count) / 20000 * 1000, abs=5e-4)
    bad = b"geo,citizen,time\nRO,XX,2025\n"
    r = signed_in.post("/analytics/rates/", {"measure": "persons", "period": "year",
                                             "denominators": SimpleUploadedFile("bad.csv", bad, "text/csv")})
    assert r.status_code == 422 and "required column missing" in r.content.decode()
    codes = b"geo,citizen,time,value\nRO,QQ,2025,10\n"
    r = signed_in.post("/analytics/rates/", {"measure": "persons", "period": "year",
                                             "denominators": SimpleUploadedFile("codes.csv", codes, "text/csv")})
    assert r.status_code == 422 and "codes.csv line 2" in r.content.decode() and "QQ" in r.content.decode()


def test_route_figures_are_served_offline_in_three_formats(signed_in, data):
    page = signed_in.get("/analytics/routes/").content.decode()
    assert "AE" in page and "reached the EU" in page
    assert not re.search(r"(src|href)=\"https?://", page)  # nothing from a CDN or a tile server
    assert signed_in.get("/analytics/routes/sankey/png/").content[:8] == b"\x89PNG\r\n\x1a\n"
    assert signed_in.get("/analytics/routes/flowmap/pdf/").content[:5] == b"%PDF-"
    svg = signed_in.get("/analytics/routes/flowmap/svg/?download=1")
    assert b"<svg" in svg.content and svg["Content-Disposition"].startswith("attachment")
    assert signed_in.get("/analytics/routes/globe/png/").status_code == 404
    grouped = signed_in.get("/analytics/routes/?group_by=citizenship").content.decode()
    assert '<th scope="col">citizenship</th>' in grouped and "<td>NP</td>" in grouped


def test_a_page_without_data_says_so(signed_in):
    r = signed_in.get("/analytics/counts/?measure=persons&by1=period")
    assert r.status_code == 422 and "no assessments yet" in r.content.decode()


def test_pages_in_romanian(signed_in, data):
    signed_in.cookies["django_language"] = "ro"
    page = signed_in.get("/analytics/counts/?measure=persons&by1=period").content.decode()
    assert "Numărători" in page and "Calculat după versiunea 1.0 a standardului de date" in page


def test_pages_of_an_agency_without_data(signed_in):
    assert signed_in.get("/analytics/routes/").status_code == 200
    assert signed_in.get("/analytics/routes/flowmap/png/").content[:4] == b"\x89PNG"
    r = signed_in.get("/analytics/sources/")
    assert r.status_code == 422 and "no subjects yet" in r.content.decode()


def test_eu_table_from_published_national_tables(signed_in, analyst, data):
    import csv
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile

    release = services.release_create(user=analyst, title="r", spec={"tables": [
        {"id": "t", "measure": "persons", "by": ["period", "sex"]}]})
    services.release_check(user=analyst, release=release)
    release = services.release_publish(user=analyst, release=release)
    mine = bytes(release.files.get(fmt="csv").content)
    other = SimpleUploadedFile("bg.csv", mine, "text/csv")  # another country's table of the same spec
    r = signed_in.post("/analytics/combine/", {"release": release.ref, "tables": [other], "format": "csv"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    eu = list(csv.DictReader(io.StringIO(r.content.decode())))
    national = {(x["period"], x["sex"]): x for x in csv.DictReader(io.StringIO(mine.decode()))}
    for row in eu:
        src = national[(row["period"], row["sex"])]
        if src["status"] == "published":
            assert row["status"] == "complete" and int(float(row["value"])) == 2 * int(src["value"])
        else:
            assert row["status"] == "partial" and row["value"] == ""
    bad = SimpleUploadedFile("ro.csv", b"a,b\n1,2\n", "text/csv")
    r = signed_in.post("/analytics/combine/", {"release": release.ref, "tables": [bad]})
    assert r.status_code == 422 and "not a published Lantern table" in r.content.decode()


def test_ctdc_microdata_is_k_anonymous(signed_in, data):
    import io

    import pandas as pd

    page = signed_in.get("/analytics/ctdc/")
    assert page.status_code == 200 and "k = 11" in page.content.decode()
    released = int(re.search(r"\d+ records in, (\d+) released", page.content.decode()).group(1))
    frame = pd.read_csv(io.BytesIO(signed_in.get("/analytics/ctdc/?format=csv").content), dtype=str)
    assert len(frame) == released > 0  # the test data has victims; some survive anonymisation
    assert frame.groupby(list(frame.columns), dropna=False).size().min() >= 11
    text = frame.to_csv()
    assert not any(name in text for name in data["names"])


def test_another_agencys_release_answers_like_a_missing_one(signed_in, make_user, agencies):
    other = make_user(Role.ANALYST, agency=agencies[1], username="other-analyst")
    theirs = services.release_create(user=other, title="theirs", spec={"tables": [
        {"id": "t", "measure": "persons", "by": ["period"]}]}, dp_budget=1.0)

    def body(r):
        html = re.sub(rb'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', b"", r.content)
        return r.status_code, re.sub(rb'name="next" type="hidden" value="[^"]+"', b"", html)  # the path itself

    for suffix in ("", "files/csv/"):
        a = signed_in.get(f"/analytics/releases/{theirs.ref}/{suffix}")
        b = signed_in.get(f"/analytics/releases/R-ZZZZZZZZZZ/{suffix}")
        assert body(a) == body(b) and a.status_code == 404
    r = signed_in.post(f"/analytics/releases/{theirs.ref}/dp/", {"epsilon": "0.5", "action": "run"})
    assert r.status_code == 404 and not theirs.charges.exists()
