"""Releases (draft → checked → published, refusal, immutability) and the privacy-budget ledger in the database."""

from __future__ import annotations

import csv
import io

import pytest
from test_analytics_data import populate

from lantern.errors import LanternError
from lantern.platform.analytics import services
from lantern.platform.analytics.ledger import DatabaseLedger
from lantern.platform.analytics.models import PrivacyCharge, ReleaseFile, ReleaseState, StatRelease
from lantern.platform.audit.models import AuditEvent
from lantern.platform.roles import Role
from lantern.statistics.dp import BudgetExceeded

SPEC = {"standard_version": "1.0", "title": "TCNs", "tables": [
    {"id": "by_sex", "measure": "persons", "by": ["period", "sex"]},
    {"id": "vulnerable_by_citizenship", "measure": "vulnerable", "by": ["period", "citizenship"]},
]}


@pytest.fixture
def analyst(make_user):
    return make_user(Role.ANALYST)


@pytest.fixture
def data(caseworker):
    return populate(caseworker, n=60)


def test_release_goes_draft_checked_published_with_audit(analyst, data):
    release = services.release_create(user=analyst, title="Q", spec=SPEC, spec_source="test", dp_budget=1.0)
    assert release.state == ReleaseState.DRAFT and release.report is None
    report = services.release_check(user=analyst, release=release)
    release.refresh_from_db()
    assert release.state == ReleaseState.CHECKED and report["ok"] and release.fingerprint
    assert [t["table_id"] for t in release.report["tables"]] == ["by_sex", "vulnerable_by_citizenship"]
    assert sum(t["primary"] for t in release.report["tables"]) > 0  # the data has small cells: they were protected
    services.release_publish(user=analyst, release=release)
    release.refresh_from_db()
    assert release.state == ReleaseState.PUBLISHED and release.published_by == analyst
    files = {f.fmt: bytes(f.content) for f in release.files.all()}
    assert set(files) == {"csv", "xlsx", "json"}
    rows = list(csv.DictReader(io.StringIO(files["csv"].decode())))
    values = [int(r["value"]) for r in rows if r["value"]]
    assert values and not [v for v in values if 0 < v < 11]
    assert {r["display"] for r in rows} & {"<11"}
    assert {r["standard_version"] for r in rows} == {"1.0"}
    actions = list(AuditEvent.objects.filter(object_ref=release.ref).values_list("action", "outcome"))
    assert {("release.create", "ok"), ("release.check", "ok"), ("release.publish", "ok")} <= set(actions)


def test_a_release_failing_disclosure_control_cannot_be_published(analyst, data):
    unsafe = {**SPEC, "sdc": {"enabled": False}}
    release = services.release_create(user=analyst, title="unsafe", spec=unsafe)
    with pytest.raises(LanternError, match="not publishable"):
        services.release_check(user=analyst, release=release)
    release.refresh_from_db()
    assert release.state == ReleaseState.DRAFT
    assert release.report and not release.report["ok"]  # the failing report is kept for the analyst
    with pytest.raises(LanternError, match="only a checked release can be published"):
        services.release_publish(user=analyst, release=release)
    assert not ReleaseFile.objects.exists()
    assert AuditEvent.objects.filter(action="release.publish", outcome="invalid", object_ref=release.ref).exists()


def test_published_release_is_immutable(analyst, data):
    release = services.release_create(user=analyst, title="Q", spec=SPEC, dp_budget=1.0)
    services.release_check(user=analyst, release=release)
    release = services.release_publish(user=analyst, release=release)
    release.title = "changed"
    with pytest.raises(LanternError, match="immutable"):
        release.save()
    with pytest.raises(LanternError, match="immutable"):
        release.delete()
    file = release.files.first()
    with pytest.raises(LanternError, match="immutable"):
        file.delete()
    with pytest.raises(LanternError, match="cannot be checked again"):
        services.release_check(user=analyst, release=release)
    with pytest.raises(LanternError, match="published release is immutable"):
        services.dp_query_run(user=analyst, release=release, epsilon="0.1", by=["sex"], where="persons")
    assert StatRelease.objects.get(pk=release.pk).title == "Q"


def test_eurostat_release_carries_the_crim_thb_file(analyst, data):
    spec = {"tables": [{"id": "thb", "measure": "registered_victims", "population": "all",
                        "by": ["period", "country", "sex"]}]}
    release = services.release_create(user=analyst, title="thb", spec=spec)
    services.release_check(user=analyst, release=release)
    release = services.release_publish(user=analyst, release=release)
    crim = bytes(release.files.get(fmt="crim_thb").content).decode()
    header, *rows = list(csv.reader(io.StringIO(crim)))
    assert header[:4] == ["freq", "unit", "leg_stat", "sex"] and rows
    assert {r[header.index("geo")] for r in rows} == {"RO"}
    values = [int(r[header.index("OBS_VALUE")]) for r in rows if r[header.index("OBS_VALUE")]]
    assert not [v for v in values if 0 < v < 11]


def test_publish_refused_when_the_data_changed_since_the_check(analyst, caseworker, data):
    release = services.release_create(user=analyst, title="Q", spec=SPEC)
    services.release_check(user=analyst, release=release)
    populate(caseworker, n=15, seed=9)  # new interviews after the check
    release.refresh_from_db()
    with pytest.raises(LanternError, match="changed since the disclosure check"):
        services.release_publish(user=analyst, release=release)
    release.refresh_from_db()
    assert release.state == ReleaseState.DRAFT and not release.files.exists()


def test_release_create_refuses_a_bad_spec_and_roles_without_the_capability(analyst, caseworker):
    with pytest.raises(LanternError) as err:
        services.release_create(user=analyst, title="", spec={"tables": [{"id": "x", "measure": "persons",
                                                                         "by": ["shoe_size"]}]}, dp_budget=-1)
    fields = {p.field for p in err.value.problems}
    assert {"title", "dp_budget"} <= fields and any("shoe_size" in str(p) for p in err.value.problems)
    assert not StatRelease.objects.exists()
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.release_create(user=caseworker, title="t", spec=SPEC)


def test_database_ledger_refuses_a_query_past_the_budget(analyst, make_user, agencies):
    release = services.release_create(user=analyst, title="dp", spec=SPEC)
    ledger = DatabaseLedger(analyst.agency_id, analyst)
    with pytest.raises(LanternError, match="no privacy budget"):
        ledger.budget(release.ref)
    ledger.open_release(release.ref, 1.0)
    with pytest.raises(LanternError, match="never raised"):
        ledger.open_release(release.ref, 5.0)
    ledger.charge(release.ref, 0.4, "q1")
    ledger.charge(release.ref, 0.6, "q2")  # exactly the budget
    assert ledger.spent(release.ref) == pytest.approx(1.0)
    with pytest.raises(BudgetExceeded, match="needs ε=0.01 but the release has only ε=0 left"):
        ledger.charge(release.ref, 0.01, "q3")
    assert [c["query"] for c in ledger.charges(release.ref)] == ["q1", "q2"]
    other = DatabaseLedger(agencies[1].pk)  # another agency cannot see or spend this budget
    with pytest.raises(LanternError, match="no such release"):
        other.charge(release.ref, 0.1, "x")
    assert PrivacyCharge.objects.count() == 2


def test_dp_query_shows_accuracy_before_spending_and_refuses_past_the_budget(analyst, data):
    release = services.release_create(user=analyst, title="dp", spec=SPEC, dp_budget=0.5)
    plan = services.dp_query_plan(user=analyst, release=release, epsilon="0.3", by=["sex"], where="vulnerable")
    assert plan["ci_half_width"] > 0 and plan["remaining"] == pytest.approx(0.5) and plan["fits"]
    assert not PrivacyCharge.objects.exists()  # planning spends nothing
    charge = services.dp_query_run(user=analyst, release=release, epsilon="0.3", by=["sex"], where="vulnerable")
    assert charge.epsilon == 0.3 and charge.accuracy == pytest.approx(plan["ci_half_width"])
    assert {r["sex"] for r in charge.result} >= set(services.vocab.current().code_list("sex").active_ids())
    with pytest.raises(BudgetExceeded, match="query refused"):
        services.dp_query_run(user=analyst, release=release, epsilon="0.3", by=[], where="persons")
    assert PrivacyCharge.objects.count() == 1
    assert AuditEvent.objects.filter(action="dp.query", outcome="denied").count() == 1
    with pytest.raises(LanternError) as err:
        services.dp_query_plan(user=analyst, release=release, epsilon="abc", by=["citizenship"], where="x")
    assert {p.field for p in err.value.problems} == {"by", "where", "epsilon"}
    services.release_check(user=analyst, release=release)
    release = services.release_publish(user=analyst, release=release)  # the DP answers are published with it
    dp_rows = list(csv.DictReader(io.StringIO(bytes(release.files.get(fmt="dp").content).decode())))
    assert len(dp_rows) == len(charge.result) and {r["epsilon"] for r in dp_rows} == {"0.3"}


def test_reports_are_stored_as_strict_json():
    safe = services._json_safe({"tables": [{"min_interval_width": float("inf"), "w": float("nan"), "n": 3}]})
    assert safe == {"tables": [{"min_interval_width": None, "w": None, "n": 3}]}


def test_journeys_become_border_crossings_without_pseudonyms(analyst, caseworker, make_subject):
    from lantern.platform.analytics import compute, selectors

    dated = make_subject(caseworker, legs=[
        {"country": "NP", "exit_date": "2025-01-10"},
        {"country": "AE", "entry_date": "2025-01-10", "exit_date": "2025-02-01", "mode": "air"},
        {"country": "RO", "entry_date": "2025-02-01", "mode": "air", "crossing_point": "Otopeni"},
        {"country": "HU", "entry_date": "2025-06-01", "mode": "land_road"}])
    make_subject(caseworker, legs=[{"country": "IN"}, {"country": "RO"}])  # no date anywhere: left out
    legs, undated = selectors.journey_legs(user=analyst)
    assert undated == 1
    assert legs[["from_country", "to_country"]].values.tolist() == [["NP", "AE"], ["AE", "RO"], ["RO", "HU"]]
    assert str(legs["entry_date"].iloc[0]) == "2025-01-10" and legs["intra_eu"].tolist() == [False, False, True]
    assert dated.ref not in legs.astype(str).to_string()
    result = compute.routes(user=analyst)
    (person,) = result.summary.persons.to_dict("records")
    assert (person["origin"], person["transit"], person["entry"], person["onward"]) == ("NP", "AE", "RO", "HU")
    assert person["corridor"] == "NP → AE → RO → HU"
