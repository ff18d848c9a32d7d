"""Data-source suitability across agencies: sharing records, the national analyst's report on Bloom-filter
encodings, its disclosure control, and its figures against the analytic core run on the same (seeded,
synthetic) data."""

from __future__ import annotations

import json
import re
import time

import pandas as pd
import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from lantern.errors import LanternError
from lantern.platform.accounts.models import Agency, User
from lantern.platform.accounts.services import token_create
from lantern.platform.analytics import compute, selectors, services
from lantern.platform.analytics.models import SourceSharing
from lantern.platform.audit.models import AuditEvent
from lantern.platform.cases.models import Subject
from lantern.platform.seed import seed_demo

NATIONAL = "demo-anti-trafficking"
SHARING = ("demo-labour", "demo-ngo", "demo-ngo-b")  # demo-police has a register but does not share it


def user(agency: str, role: str) -> User:
    return User.objects.get(agency__key=agency, role=role)


@pytest.fixture
def world(db):
    seed_demo(people=200, seed=7, password="Demo-Password-123")
    for key in SHARING:
        services.sharing_enable(user=user(key, "agency_admin"), recipient_key=NATIONAL)
    return user(NATIONAL, "analyst")


def test_the_agency_admin_enables_and_withdraws_sharing_audited(client, db):
    seed_demo(people=20, seed=7, password="Demo-Password-123")
    admin = user("demo-police", "agency_admin")
    record = services.sharing_enable(user=admin, recipient_key=NATIONAL)
    assert record.active and record.contributor.key == "demo-police" and record.recipient.key == NATIONAL
    assert services.sharing_enable(user=admin, recipient_key=NATIONAL).pk == record.pk  # idempotent
    assert AuditEvent.objects.filter(action="sharing.enable", object_ref=NATIONAL, agency="demo-police").count() == 1
    with pytest.raises(LanternError, match="not a national anti-trafficking agency"):
        services.sharing_enable(user=admin, recipient_key="demo-ngo")
    with pytest.raises(PermissionDenied):
        services.sharing_enable(user=user("demo-police", "analyst"), recipient_key=NATIONAL)
    assert services.sharing_disable(user=admin, recipient_key=NATIONAL) == 1
    record.refresh_from_db()
    assert not record.active and record.disabled_by == admin
    assert AuditEvent.objects.filter(action="sharing.disable", detail="ended=1").exists()
    # the web page of the administrator
    client.force_login(user("demo-ngo", "agency_admin"))
    page = client.get("/analytics/sharing/")
    assert page.status_code == 200 and b"Demo Anti-trafficking Agency" in page.content
    assert client.post("/analytics/sharing/", {"action": "enable", "agency": NATIONAL}).status_code == 302
    assert SourceSharing.objects.filter(contributor__key="demo-ngo", disabled_at__isnull=True).count() == 1
    bad = client.post("/analytics/sharing/", {"action": "enable", "agency": "demo-police"})
    assert bad.status_code == 422
    client.force_login(user("demo-ngo", "analyst"))
    assert client.get("/analytics/sharing/").status_code == 403


def test_only_a_national_agencys_analyst_and_only_shared_registers(client, world):
    assert [a.key for a in selectors.contributing_agencies(user=world)] == [NATIONAL, *sorted(SHARING)]
    police = Agency.objects.get(key="demo-police")
    with pytest.raises(Http404):  # a register that is not shared answers like a missing one
        selectors.contributed_register(user=world, agency=police, secret=b"x" * 32)
    assert AuditEvent.objects.filter(action="sources.contribute", object_ref="demo-police",
                                     outcome="not_found").exists()
    for who in (user(NATIONAL, "supervisor"), user(NATIONAL, "caseworker"), user("demo-ngo", "analyst")):
        with pytest.raises(PermissionDenied):
            selectors.contributing_agencies(user=who)
    assert AuditEvent.objects.filter(action="sources.national", outcome="denied", agency="demo-ngo").exists()
    services.sharing_disable(user=user("demo-ngo", "agency_admin"), recipient_key=NATIONAL)
    assert "demo-ngo" not in [a.key for a in selectors.contributing_agencies(user=world)]
    client.force_login(user("demo-ngo", "analyst"))
    assert client.get("/analytics/sources/national/").status_code == 403
    client.force_login(world)
    page = client.get("/analytics/sources/national/")  # without ?run: the list of registers, nothing computed
    assert page.status_code == 200 and b"Demo Labour Inspectorate" in page.content
    assert b"Demo Police" not in page.content


def _plain_lists(agencies, folder):
    """The test's own plaintext copy of the registers (what the core would get if names could travel)."""
    from lantern.platform.cases.models import Assessment

    (folder / "lists").mkdir()
    for key in agencies:
        rows = []
        subjects = Subject.objects.filter(agency__key=key).select_related("identity").order_by("id")
        for i, s in enumerate(subjects, start=1):
            first = Assessment.objects.filter(subject=s).order_by("interview_date", "id").first()
            rows.append({"record_id": f"r{i}", "list": key, "given_name": s.identity.given_name or None,
                         "family_name": s.identity.family_name or None,
                         "date_of_birth": s.identity.date_of_birth or None, "sex": first.sex or None,
                         "citizenship": first.citizenship or None, "record_date": s.created_at.date().isoformat()})
        if rows:
            pd.DataFrame(rows).to_parquet(folder / "lists" / f"{key}.parquet", index=False)
    return [s for s in Subject.objects.filter(agency__key__in=agencies).select_related("identity")]


def test_figures_match_the_core_and_only_protected_aggregates_leave(client, world, tmp_path, monkeypatch):
    import lantern.linkage
    from lantern.estimation import MSE
    from lantern.statistics.sources import assess_sources

    seen = {}
    real_link = lantern.linkage.link_lists

    def spy(paths, **kw):  # what the linker receives: the encoded files only, never the secret
        seen["frames"] = [pd.read_parquet(p) for p in paths]
        seen["kw"] = kw
        return real_link(paths, **kw)

    monkeypatch.setattr(lantern.linkage, "link_lists", spy)
    t0 = time.perf_counter()
    run = compute.national_sources_run(user=world)
    seconds = time.perf_counter() - t0
    monkeypatch.undo()
    names = [s.name for s in run.base.sources]
    # the first row of docs/analytics-platform.md's table (`pytest -s` prints it)
    print(f"national run: {Subject.objects.filter(agency__key__in=names).count()} subjects, {run.linked_records} "
          f"linked records, {seconds:.1f} s, estimate {run.estimate['estimate']:.0f} {run.estimate.get('interval')}")
    assert seen["kw"]["encoded"] is True and seen["kw"].get("secret") is None
    assert sorted(names) == sorted(SHARING)  # the national agency's own register is empty: left out, with a note
    assert any(n.startswith(f"{NATIONAL}: no register") for n in run.notes)
    # the core on plaintext copies of the same registers, linked in plaintext
    subjects = _plain_lists(names, tmp_path)
    core = assess_sources(tmp_path, link=True, use_truth=False)
    for mine, theirs in zip(run.base.sources, core.sources, strict=True):
        assert mine.name == theirs.name and mine.records == theirs.records
        pd.testing.assert_frame_equal(mine.fields, theirs.fields)  # names tokenised: same completeness, validity
        assert mine.duplicates == theirs.duplicates
        # Bloom-filter linkage finds exactly the persons and overlaps the plaintext linkage finds here
        assert mine.coverage["persons"] == theirs.coverage["persons"] and mine.overlap == theirs.overlap
        assert mine.coverage["estimated"] == pytest.approx(theirs.coverage["estimated"], rel=1e-9)
    # the estimate is the core's stepwise MSE on the linked histories; coverage = persons / estimate
    mse = MSE("stepwise", seed=0).fit(run.histories)
    assert run.estimate["estimate"] == pytest.approx(float(mse.estimate_))
    assert run.estimate["estimate"] == pytest.approx(core.estimate["estimate"], rel=1e-9)
    assert run.estimate["observed"] == core.estimate["observed"]
    for sq in run.base.sources:
        assert sq.coverage["estimated"] == pytest.approx(sq.coverage["persons"] / run.estimate["estimate"])
    plain = {v.lower() for s in subjects for v in (s.identity.given_name, s.identity.family_name,
                                                   s.identity.date_of_birth) if v}
    for frame in seen["frames"]:
        assert not {"given_name", "family_name", "date_of_birth"} & set(frame.columns)
        text_cells = {str(v).lower() for c in frame.columns if frame[c].dtype == object for v in frame[c].dropna()}
        assert not text_cells & plain
    # the same persons as the seed's identities (exact per simulated person) say
    keys = {}
    for s in subjects:
        keys.setdefault((s.identity.given_name, s.identity.family_name, s.identity.date_of_birth), set()).add(
            s.agency.key)
    assert int(run.histories["count"].sum()) == pytest.approx(len(keys), abs=3)

    # what leaves: through the API (one more run), aggregates under disclosure control
    token = token_create(user=world)[1]
    response = client.get("/api/v1/sources/national", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    view = response.json()
    assert [s["agency"] for s in view["sources"]] == names
    raw = {s.name: s for s in run.base.sources}
    for s in view["sources"]:
        cells = [s["records"], s["persons"], s["duplicates"], *s["overlap"].values()]
        for cell in cells:
            assert cell["value"] is None or cell["value"] == 0 or (cell["value"] >= 11 and cell["value"] % 5 == 0)
            assert cell["display"] in ("<11", "0") or cell["display"].replace(",", "").isdigit()
        n = raw[s["agency"]].coverage["persons"]
        assert (s["persons"]["value"] is None) == (0 < n < 11)
        if n >= 11:
            assert abs(s["persons"]["value"] - n) <= 4 or s["persons"]["value"] == 15
            assert s["coverage"]["estimated"] == round(100 * n / run.estimate["estimate"])
        else:
            assert s["coverage"]["estimated"] is None
    assert view["estimate"]["estimate"] % 5 == 0
    assert abs(view["estimate"]["estimate"] - run.estimate["estimate"]) <= 2.5
    text = json.dumps(view)
    for s in subjects:
        for value in (s.identity.given_name, s.identity.family_name, s.identity.date_of_birth, s.ref):
            if value:
                assert not re.search(rf"\b{re.escape(value)}\b", text), value
    assert not re.search(r"\bt[0-9a-f]{16}\b", text)  # no name token
    assert AuditEvent.objects.filter(action="sources.national", agency=NATIONAL, outcome="ok").exists()
    assert set(AuditEvent.objects.filter(action="sources.contribute", outcome="ok").values_list(
        "object_ref", flat=True)) == {NATIONAL, *SHARING}


def test_the_web_page_computes_and_shows_no_identifier(client, world):
    client.force_login(world)
    page = client.get("/analytics/sources/national/?run=1")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Overlap between registers" in html and "Estimated coverage" in html and "&lt;11" in html
    for s in Subject.objects.filter(agency__key__in=SHARING).select_related("identity"):
        for value in (s.identity.family_name, s.identity.date_of_birth, s.ref):
            assert not value or not re.search(rf"\b{re.escape(value)}\b", html), value


def test_the_json_download_is_the_released_view(client, world, monkeypatch):
    released = {"reference_date": "2026-12-01", "sources": [], "estimate": {"available": False}, "notes": ["n"]}
    monkeypatch.setattr(compute, "national_sources", lambda *, user: released if user == world else None)
    client.force_login(world)
    response = client.get("/analytics/sources/national/?run=1&format=json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert json.loads(response.content) == released
    assert 'filename="sources-national-demo-anti-trafficking.json"' in response["Content-Disposition"]


def test_the_admin_finds_the_sharing_page_in_the_menu_in_romanian(client, db):
    seed_demo(people=20, seed=3, password="Demo-Password-123")
    client.force_login(user("demo-ngo", "agency_admin"))
    client.cookies["django_language"] = "ro"
    page = client.get("/analytics/sharing/").content.decode()
    assert 'href="/analytics/sharing/"' in page  # the menu link
    assert "Partajarea registrului pentru statistica națională" in page and "Partajează registrul meu" in page
    client.force_login(user("demo-ngo", "caseworker"))
    home = client.get("/", follow=True)
    assert home.status_code == 200 and "Lantern" in home.content.decode()
    assert 'href="/analytics/sharing/"' not in home.content.decode()


def test_the_demo_shares_every_other_register_with_the_national_agency(db):
    from lantern.platform.seed import share_demo_registers

    seed_demo(people=20, seed=3, password="Demo-Password-123")
    shared = share_demo_registers()
    others = set(Agency.objects.exclude(key=NATIONAL).values_list("key", flat=True))
    assert set(shared) == others and len(others) >= 5
    assert set(SourceSharing.objects.filter(disabled_at__isnull=True).values_list("contributor__key", flat=True)) == others
    assert AuditEvent.objects.filter(action="sharing.enable").count() == len(others)
    assert share_demo_registers() == shared  # idempotent: no second record
    assert SourceSharing.objects.count() == len(others)


def test_a_concurrent_enable_returns_the_record_the_other_request_made(db, monkeypatch):
    # two administrators press "Share my register" at once: both find no active record, the second insert
    # hits the one-active-record constraint; it must answer with that record, not a server error
    seed_demo(people=20, seed=7, password="Demo-Password-123")
    admin = user("demo-police", "agency_admin")
    first = services.sharing_enable(user=admin, recipient_key=NATIONAL)  # the other request, committed
    # this request's lookup ran before that commit: it saw nothing
    monkeypatch.setattr(SourceSharing.objects, "select_for_update", lambda: SourceSharing.objects.none())
    record = services.sharing_enable(user=admin, recipient_key=NATIONAL)
    active = SourceSharing.objects.filter(contributor__key="demo-police", disabled_at__isnull=True)
    assert record.pk == first.pk and [r.pk for r in active] == [first.pk]
    assert AuditEvent.objects.filter(action="sharing.enable", agency="demo-police").count() == 1


def test_released_recommendations_carry_whole_percents_only():
    # 4 invalid values in 130 records read as "3.1%": with the rounded record count that pins a small count
    # the rest of the view protects; the view promises whole percents (and a coverage it hides, of fewer
    # than 11 linked persons, stays hidden in the recommendations too)
    from lantern.statistics.sources import SourceQuality, SourcesReport, recommendations

    fields_ = pd.DataFrame([{"field": "sex", "standard": True, "completeness": 1.0, "validity": 126 / 130,
                             "rule": "code list"}])
    big = SourceQuality("a", 130, fields_, {"days_since_last": 3, "share_last_90_days": 0.5},
                        {"exact_key_duplicates": 13, "exact_key_share": 13 / 130},
                        coverage={"persons": 9, "estimated": 9 / 400})
    big.recommendations = recommendations(big)
    assert any("3.1%" in r for r in big.recommendations) and any("about 2%" in r for r in big.recommendations)
    run = compute.NationalSources(agencies=[], base=SourcesReport([big], "2026-12-01", "x", {}), histories=None,
                                  estimate={"available": False})
    recs = compute.national_sources_view(run)["sources"][0]["recommendations"]
    text = " ".join(recs)
    assert recs and not re.search(r"\d\.\d+%", text), recs
    assert "3% of 'sex' values" in text and "10% of records repeat" in text
    assert "estimated population" not in text  # coverage of fewer than 11 linked persons is not released


def test_a_refused_recipient_key_is_not_copied_into_the_audit_trail(db):
    # the audit trail holds no field values: what an administrator typed where an agency key goes could be
    # anything (a person's name); only a well-formed key is kept
    seed_demo(people=20, seed=7, password="Demo-Password-123")
    typed = "Maria Popescu 1990-01-02"
    with pytest.raises(LanternError):
        services.sharing_enable(user=user("demo-police", "agency_admin"), recipient_key=typed)
    with pytest.raises(PermissionDenied):
        services.sharing_disable(user=user("demo-police", "analyst"), recipient_key=typed)
    rows = AuditEvent.objects.filter(action__startswith="sharing.")
    assert rows.count() == 2 and {r.object_ref for r in rows} == {"(malformed)"}
    assert not AuditEvent.objects.filter(object_ref__contains="Popescu").exists()
