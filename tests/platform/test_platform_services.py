import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from lantern.errors import ValidationError
from lantern.platform.audit.models import AuditEvent
from lantern.platform.cases import selectors, services
from lantern.platform.cases.models import Assessment, JourneyLeg, Subject
from lantern.platform.roles import Role


def test_subject_refs_are_random_and_opaque(caseworker):
    refs = [services.subject_create(user=caseworker).ref for _ in range(20)]
    assert len(set(refs)) == 20
    assert all(r.startswith("S-") and len(r) == 12 for r in refs)
    assert sorted(refs) != refs or sorted(refs, reverse=True) != refs  # not sequential


def test_assessment_create_stores_answers_and_audits(caseworker, make_subject, flat_row, std):
    subject = make_subject(caseworker, assessment=False)
    ind = next(c.name for c in std.assessment_columns() if c.kind == "indicator")
    a = services.assessment_create(user=caseworker, subject=subject, data=flat_row(**{ind: 1}, notes="met at shelter"))
    a.refresh_from_db()
    assert a.indicators[ind] == "yes" and a.standard_version == std.version
    assert a.notes == "met at shelter"
    ev = AuditEvent.objects.filter(action="assessment.create", object_ref=a.ref).get()
    assert ev.actor == caseworker.username and ev.agency == "ngo-a" and ev.outcome == "ok"


def test_invalid_assessment_saves_nothing(caseworker, make_subject, flat_row):
    subject = make_subject(caseworker, assessment=False)
    with pytest.raises(ValidationError):
        services.assessment_create(user=caseworker, subject=subject, data=flat_row(sex="?"))
    assert not Assessment.objects.exists()


def test_roles_without_write_capability_are_refused(make_user, caseworker, make_subject, flat_row):
    subject = make_subject(caseworker)
    for role in (Role.ANALYST, Role.AUDITOR, Role.COORDINATOR, Role.AGENCY_ADMIN):
        user = make_user(role)
        with pytest.raises(PermissionDenied):
            services.assessment_create(user=user, subject=subject, data=flat_row())
    assert AuditEvent.objects.filter(action="assessment.create", outcome="denied").count() == 4


def test_journey_editing_keeps_order_and_flags_intra_eu(caseworker, make_subject):
    subject = make_subject(caseworker, legs=[
        {"country": "NP", "exit_date": "2023-01-10"},
        {"country": "HU", "entry_date": "2023-01-11", "exit_date": "2023-02-01", "mode": "air"},
        {"country": "RO", "entry_date": "2023-02-02", "mode": "land_road"},
    ])
    legs = list(subject.legs.order_by("order"))
    assert [(x.order, x.country, x.intra_eu) for x in legs] == [(1, "NP", False), (2, "HU", False), (3, "RO", True)]
    services.journey_leg_move(user=caseworker, subject=subject, leg=legs[2], direction="up")
    assert [x.country for x in subject.legs.order_by("order")] == ["NP", "RO", "HU"]
    assert [x.intra_eu for x in subject.legs.order_by("order")] == [False, False, True]
    services.journey_leg_remove(user=caseworker, subject=subject, leg=subject.legs.get(country="NP"))
    assert [(x.order, x.country) for x in subject.legs.order_by("order")] == [(1, "RO"), (2, "HU")]
    leg = services.journey_leg_add(user=caseworker, subject=subject, data={"country": "AT"}, position=1)
    assert leg.order == 1 and subject.legs.count() == 3


def test_journey_out_of_order_is_refused_and_rolled_back(caseworker, make_subject):
    subject = make_subject(caseworker, legs=[{"country": "NP", "entry_date": "2023-01-01", "exit_date": "2023-03-01"}])
    with pytest.raises(ValidationError) as exc:
        services.journey_leg_add(user=caseworker, subject=subject, data={"country": "RO", "entry_date": "2023-02-01"})
    assert exc.value.problems[0].field == "entry_date"
    assert list(subject.legs.values_list("country", flat=True)) == ["NP"]


def test_intake_submit_is_all_or_nothing(caseworker, flat_row):
    consent = [{"purpose": p, "scope": "own_agency", "given_on": dt.date.today().isoformat(), "given_by": "subject"}
               for p in ("assessment", "statistics")]
    with pytest.raises(ValidationError) as exc:
        services.intake_submit(user=caseworker, consent=consent, identity={"given_name": "A"},
                               assessment=flat_row(), legs=[{"country": "ZZ"}])
    assert exc.value.problems[0].record == "leg 1"
    assert not Subject.objects.exists() and not JourneyLeg.objects.exists()
    a = services.intake_submit(user=caseworker, consent=consent, identity={"given_name": "A"},
                               assessment=flat_row(), legs=[{"country": "NP"}, {"country": "RO"}])
    assert a.subject.consents.count() == 2 and a.subject.legs.count() == 2 and a.subject.identity.given_name == "A"


def test_grants_give_one_agency_one_subject_until_expiry_or_revocation(make_user, agencies, caseworker, make_subject,
                                                                       other_caseworker):
    supervisor = make_user(Role.SUPERVISOR)
    shared, private = make_subject(caseworker), make_subject(caseworker)
    with pytest.raises(Http404):
        selectors.subject_get_for_user(user=other_caseworker, ref=shared.ref)
    grant = services.access_grant_create(user=supervisor, subject=shared, agency=agencies[1], reason="referral", days=30)
    assert selectors.subject_get_for_user(user=other_caseworker, ref=shared.ref) == shared
    assert [s.ref for s in selectors.subject_list_for_user(user=other_caseworker)] == [shared.ref]
    with pytest.raises(Http404):
        selectors.subject_get_for_user(user=other_caseworker, ref=private.ref)
    grant.expires_at = timezone.now() - dt.timedelta(seconds=1)
    grant.save()
    with pytest.raises(Http404):
        selectors.subject_get_for_user(user=other_caseworker, ref=shared.ref)
    grant.expires_at = timezone.now() + dt.timedelta(days=1)
    grant.save()
    services.access_grant_revoke(user=supervisor, grant=grant)
    assert selectors.subject_count_for_user(user=other_caseworker) == 0
    with pytest.raises(PermissionDenied):
        services.access_grant_create(user=caseworker, subject=shared, agency=agencies[1], reason="x")


def test_other_agency_record_looks_missing(caseworker, other_caseworker, make_subject):
    subject = make_subject(caseworker)
    assessment = subject.assessments.get()
    for fn, kw in ((selectors.subject_get_for_user, {"ref": subject.ref}),
                   (selectors.assessment_get_for_user, {"ref": assessment.ref})):
        with pytest.raises(Http404) as other:
            fn(user=other_caseworker, **kw)
        with pytest.raises(Http404) as missing:
            fn(user=other_caseworker, ref="S-NOPE000000")
        assert str(other.value) in (str(missing.value), "No such assessment")
    assert selectors.subject_count_for_user(user=other_caseworker) == 0
    assert list(selectors.subject_list_for_user(user=other_caseworker)) == []


def test_name_search_uses_blind_index_and_is_scoped(caseworker, other_caseworker, make_subject):
    mine = make_subject(caseworker, identity={"given_name": "Sita", "family_name": "Rai"})
    make_subject(other_caseworker, identity={"given_name": "Sita", "family_name": "Rai"})
    assert [s.ref for s in selectors.subject_list_for_user(user=caseworker, name="SITA  rai")] == [mine.ref]
    assert list(selectors.subject_list_for_user(user=caseworker, name="Sita Ray")) == []
    ev = AuditEvent.objects.filter(action="subject.search").first()
    assert "Sita" not in ev.detail and "rai" not in ev.detail.lower().replace("by=name", "")


def test_consent_codes_come_from_the_standard(caseworker, make_subject):
    subject = make_subject(caseworker)
    with pytest.raises(ValidationError) as exc:
        services.consent_record(user=caseworker, subject=subject, purpose="marketing", scope="own_agency",
                                given_on="2024-01-01", given_by="subject")
    assert exc.value.problems[0].field == "purpose"
    c = services.consent_record(user=caseworker, subject=subject, purpose="referral", scope="named_agency",
                                given_on="2024-01-01", given_by="guardian")
    services.consent_withdraw(user=caseworker, subject=subject, consent_id=c.pk)
    c.refresh_from_db()
    assert c.withdrawn_at is not None


def test_roles_match_the_standard(std):
    assert sorted(Role.values) == sorted(std.code_list("user_role").ids())


def test_erasure_deletes_the_case_and_keeps_pseudonymous_audit(make_user, caseworker, make_subject, agencies,
                                                              other_caseworker):
    from lantern.platform.cases.models import AccessGrant, Consent, SubjectIdentity

    supervisor = make_user(Role.SUPERVISOR)
    subject = make_subject(caseworker, identity={"given_name": "Erased", "family_name": "Person"},
                           legs=[{"country": "NP"}, {"country": "RO"}])
    services.consent_record(user=caseworker, subject=subject, purpose="assessment", scope="own_agency",
                            given_on="2024-01-01", given_by="subject")
    services.access_grant_create(user=supervisor, subject=subject, agency=agencies[1], reason="referral")
    ref = subject.ref
    with pytest.raises(PermissionDenied):
        services.subject_erase(user=caseworker, subject=subject, reason="request")
    with pytest.raises(ValidationError):
        services.subject_erase(user=supervisor, subject=subject, reason=" ")
    other_supervisor = make_user(Role.SUPERVISOR, agency=agencies[1])
    with pytest.raises(Http404):  # a granted agency cannot erase the owner's case
        services.subject_erase(user=other_supervisor, subject=subject, reason="request")
    counts = services.subject_erase(user=supervisor, subject=subject, reason="erasure request of 2026-12-01")
    assert counts == {"assessments": 1, "legs": 2, "consents": 1}
    for model in (Subject, Assessment, JourneyLeg, SubjectIdentity, Consent, AccessGrant):
        assert not model.objects.exists()
    assert AuditEvent.objects.filter(action="subject.erase", object_ref=ref).exists()
    assert AuditEvent.objects.filter(object_ref=ref).count() >= 3  # its history stays, pseudonymous
