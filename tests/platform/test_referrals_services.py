"""Referral services: the whole workflow, the consent rules, the supervisor's override, consent withdrawal,
scoping (404 for other agencies) and the audit rows (no field values)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from lantern.errors import ValidationError
from lantern.platform.accounts.models import Agency
from lantern.platform.audit.models import AuditEvent
from lantern.platform.cases import selectors as case_selectors
from lantern.platform.cases import services as case_services
from lantern.platform.cases.models import AccessGrant
from lantern.platform.referrals import selectors, services
from lantern.platform.referrals.models import Referral, Status
from lantern.platform.roles import Role

NOTE = "Needs an inspection of the workplace; speaks Nepali only."


@pytest.fixture
def world(agencies, make_user, make_subject):
    own, police = agencies
    labour = Agency.objects.create(key="labour-c", name="Labour C", type="labour_inspection", country="RO")
    employer = Agency.objects.create(key="employer-d", name="Employers D", type="employer_body", country="RO")
    abroad = Agency.objects.create(key="ngo-bg", name="NGO Sofia", type="ngo", country="BG")
    users = {
        "cw": make_user(Role.CASEWORKER), "sup": make_user(Role.SUPERVISOR), "an": make_user(Role.ANALYST),
        "police": make_user(Role.CASEWORKER, agency=police), "police_sup": make_user(Role.SUPERVISOR, agency=police),
        "labour": make_user(Role.CASEWORKER, agency=labour),
    }
    subject = make_subject(users["cw"], identity={"given_name": "Sita", "family_name": "Gurung",
                                                   "document_numbers": "PA998877", "phone": "+40 712 345 678"})
    return {"@own": own, "@police": police, "@labour": labour, "@employer": employer, "@abroad": abroad,
            "subject": subject, **users}


def consent(w, scope="referral_network", agency=None, purpose="referral", subject=None):
    return case_services.consent_record(user=w["cw"], subject=subject or w["subject"], purpose=purpose, scope=scope,
                                        given_on=dt.date.today().isoformat(), given_by="subject", agency=agency)


def send(w, to="@police", **kw):
    kw.setdefault("user", w["cw"])
    return services.referral_send(subject=w["subject"], to_agency=w[to], **kw)


def problems(exc):
    return {(p.field, p.reason) for p in exc.value.problems}


def fields(exc):
    return {p.field for p in exc.value.problems}


def test_whole_workflow_opens_the_case_and_closing_ends_it(world):
    w = world
    c = consent(w, scope="named_agency", agency=w["@police"])
    r = send(w, consent=c, intervention="justice.police_referral", note=NOTE)
    assert r.status == Status.SENT and r.ref.startswith("R-") and r.from_agency == w["@own"]
    # before acceptance: the receiver sees the referral, not the subject
    got = selectors.referral_get_for_user(user=w["police"], ref=r.ref)
    view = selectors.referral_view(got, user=w["police"])
    assert view["subject"] is None and view["note"] == NOTE and view["from_agency"] == "ngo-a"
    with pytest.raises(Http404):
        case_selectors.subject_get_for_user(user=w["police"], ref=w["subject"].ref)
    assert [x.ref for x in selectors.referral_list_for_user(user=w["police"], box="inbox")] == [r.ref]
    assert [x.ref for x in selectors.referral_list_for_user(user=w["cw"], box="outbox")] == [r.ref]
    assert not selectors.referral_list_for_user(user=w["cw"], box="inbox").exists()

    r = services.referral_accept(user=w["police"], referral=got)
    assert r.status == Status.ACCEPTED and r.responded_by == w["police"] and r.grant is not None
    grant = r.grant
    days = (grant.expires_at - grant.created_at).days
    assert days == services.GRANT_DAYS and grant.agency == w["@police"] and grant.granted_by == w["cw"]
    # after acceptance: the subject opens for them through the ordinary scoped selectors
    assert case_selectors.subject_get_for_user(user=w["police"], ref=w["subject"].ref) == w["subject"]
    identity = case_selectors.identity_get_for_user(user=w["police"], subject=w["subject"])
    assert identity.family_name == "Gurung"
    assert selectors.referral_view(r, user=w["police"])["subject"] == w["subject"].ref
    with pytest.raises(ValidationError) as exc:  # no second answer
        services.referral_decline(user=w["police"], referral=r, reason="no")
    assert fields(exc) == {"status"}

    r = services.referral_close(user=w["police_sup"], referral=r, reason="inspection done")
    grant.refresh_from_db()
    assert r.status == Status.CLOSED and r.ended_by == w["police_sup"] and grant.revoked_at is not None
    with pytest.raises(Http404):
        case_selectors.subject_get_for_user(user=w["police"], ref=w["subject"].ref)
    # a new referral to the same agency may follow once the first one ended
    assert send(w, consent=c).status == Status.SENT


def test_decline_needs_a_reason_and_the_sender_reads_it(world):
    w = world
    r = send(w, to="@labour", consent=consent(w))
    with pytest.raises(ValidationError) as exc:
        services.referral_decline(user=w["labour"], referral=r, reason="  ")
    assert fields(exc) == {"reason"}
    r = services.referral_decline(user=w["labour"], referral=r, reason="not in our county")
    assert r.status == Status.DECLINED and not AccessGrant.objects.exists()
    assert selectors.referral_view(r, user=w["cw"])["decline_reason"] == "not in our county"
    with pytest.raises(ValidationError):
        services.referral_accept(user=w["labour"], referral=r)


def test_withdraw_by_the_sender_revokes_an_accepted_referral(world):
    w = world
    r = send(w, to="@labour", consent=consent(w))
    with pytest.raises(Http404):  # the receiver cannot withdraw, the sender cannot accept
        services.referral_withdraw(user=w["labour"], referral=r)
    with pytest.raises(Http404):
        services.referral_accept(user=w["cw"], referral=r)
    r = services.referral_accept(user=w["labour"], referral=r)
    r = services.referral_withdraw(user=w["sup"], referral=r, reason="the person moved")
    r.grant.refresh_from_db()
    assert r.status == Status.WITHDRAWN and r.ended_by == w["sup"] and r.grant.revoked_at is not None
    with pytest.raises(ValidationError):
        services.referral_withdraw(user=w["cw"], referral=r)


def test_no_consent_is_refused_for_a_caseworker(world):
    w = world
    with pytest.raises(ValidationError) as exc:
        send(w)
    assert fields(exc) == {"consent"} and "supervisor" in next(iter(problems(exc)))[1]
    with pytest.raises(ValidationError) as exc:  # a caseworker cannot override either
        send(w, override_reason="urgent")
    assert "consent" in fields(exc)
    assert not Referral.objects.exists()


@pytest.mark.parametrize("scope,agency_key,to,why", [
    ("own_agency", None, "@police", "own_agency"),
    ("named_agency", "@labour", "@police", "names another organisation"),
    ("named_agency", None, "@police", "names no organisation"),
    ("referral_network", None, "@employer", "national referral mechanism"),
    ("referral_network", None, "@abroad", "another country"),
])
def test_consent_scope_must_cover_the_receiving_agency(world, scope, agency_key, to, why):
    w = world
    c = consent(w, scope=scope, agency=w[agency_key] if agency_key else None)
    with pytest.raises(ValidationError) as exc:
        send(w, to=to, consent=c)
    assert fields(exc) == {"consent"} and why in next(iter(problems(exc)))[1]
    assert not Referral.objects.exists()


def test_consent_of_another_purpose_withdrawn_or_of_another_subject_is_refused(world, make_subject):
    w = world
    assessment_only = consent(w, purpose="assessment", scope="referral_network")
    withdrawn = consent(w)
    case_services.consent_withdraw(user=w["cw"], subject=w["subject"], consent_id=withdrawn.pk)
    elsewhere = consent(w, subject=make_subject(w["cw"]))
    for c, why in ((assessment_only, "purpose"), (withdrawn, "withdrawn"), (elsewhere, "not a consent of this")):
        with pytest.raises(ValidationError) as exc:
            send(w, consent=c)
        assert why in next(iter(problems(exc)))[1]


def test_referral_network_covers_the_mechanism_in_the_country(world):
    w = world
    c = consent(w)
    assert send(w, to="@police", consent=c).status == Status.SENT
    assert send(w, to="@labour", consent=c).status == Status.SENT


def test_consent_record_validates_the_named_agency(world):
    w = world
    with pytest.raises(ValidationError) as exc:
        consent(w, scope="referral_network", agency=w["@police"])
    assert fields(exc) == {"agency"}
    with pytest.raises(ValidationError) as exc:
        consent(w, scope="named_agency", agency=w["@own"])
    assert fields(exc) == {"agency"}
    with pytest.raises(ValidationError) as exc:
        consent(w, scope="named_agency", agency="no-such-agency")
    assert fields(exc) == {"agency"}
    assert consent(w, scope="named_agency", agency="police-b").agency == w["@police"]  # by key too


def test_supervisor_override_gives_a_short_grant(world):
    w = world
    with pytest.raises(ValidationError) as exc:
        send(w, user=w["sup"])
    assert fields(exc) == {"override_reason"}
    r = send(w, user=w["sup"], override_reason="child at risk tonight; guardian unreachable")
    assert r.is_override and r.consent is None
    with pytest.raises(ValidationError) as exc:
        services.referral_accept(user=w["police"], referral=r, days=30)
    assert fields(exc) == {"days"}
    r = services.referral_accept(user=w["police"], referral=r)
    assert (r.grant.expires_at - r.grant.created_at).days == services.OVERRIDE_GRANT_DAYS
    assert AuditEvent.objects.filter(action="referral.send", object_ref=r.ref, detail__contains="basis=override").exists()
    with pytest.raises(ValidationError) as exc:  # a covering consent and an override reason: one or the other
        send(w, user=w["sup"], to="@labour", consent=consent(w), override_reason="x")
    assert fields(exc) == {"override_reason"}


def test_other_rules_all_problems_at_once(world):
    w = world
    with pytest.raises(ValidationError) as exc:
        services.referral_send(user=w["cw"], subject=w["subject"], to_agency="nowhere", consent=consent(w),
                               intervention="no.such", plan_item=999999, note="x" * 501)
    assert fields(exc) == {"to_agency", "intervention", "plan_item", "note"}
    with pytest.raises(ValidationError) as exc:
        services.referral_send(user=w["cw"], subject=w["subject"], to_agency=w["@own"], consent=consent(w))
    assert fields(exc) == {"to_agency"}
    c = consent(w)
    send(w, consent=c)
    with pytest.raises(ValidationError) as exc:
        send(w, consent=c)
    assert "already has an open referral" in next(iter(problems(exc)))[1]


@pytest.mark.parametrize("note", [
    "Sita needs a shelter", "call her on 0712 345 678", "passport PA998877 held by employer",
    "born 12.03.1994", "write to someone@example.org", "GURUNG family"])
def test_a_note_with_identifiers_is_refused(world, note):
    with pytest.raises(ValidationError) as exc:
        send(world, consent=consent(world), note=note)
    assert fields(exc) == {"note"} and "identifiers" in next(iter(problems(exc)))[1]


def test_plan_item_prompts_the_referral(world):
    from lantern.platform.interventions.services import plan_item_add

    w = world
    item = plan_item_add(user=w["cw"], subject=w["subject"], data={
        "intervention": "labour.inspection_referral", "due_date": dt.date.today().isoformat()})
    r = send(w, to="@labour", consent=consent(w), plan_item=item.pk)
    assert r.plan_item == item and r.intervention == "labour.inspection_referral" and r.standard_version


def test_consent_withdrawal_withdraws_referrals_and_revokes_grants(world):
    w = world
    c, other = consent(w), consent(w, scope="named_agency", agency=w["@labour"])
    accepted = services.referral_accept(user=w["police"], referral=send(w, consent=c))
    pending = send(w, to="@labour", consent=other)
    case_services.consent_withdraw(user=w["cw"], subject=w["subject"], consent_id=c.pk)
    accepted.refresh_from_db()
    pending.refresh_from_db()
    assert accepted.status == Status.WITHDRAWN and accepted.ended_by is None
    assert accepted.end_reason == "the consent was withdrawn"
    assert AccessGrant.objects.get(pk=accepted.grant_id).revoked_at is not None
    assert pending.status == Status.SENT  # rests on another consent
    with pytest.raises(Http404):
        case_selectors.subject_get_for_user(user=w["police"], ref=w["subject"].ref)
    assert AuditEvent.objects.filter(action="referral.withdraw", object_ref=accepted.ref, actor=w["cw"].username,
                                     detail__contains="by=consent.withdraw").exists()


def test_other_agencies_get_404_like_a_missing_referral(world):
    w = world
    r = send(w, consent=consent(w))
    for user in (w["labour"],):
        for ref in (r.ref, "R-ZZZZZZZZZZ"):
            with pytest.raises(Http404):
                selectors.referral_get_for_user(user=user, ref=ref)
        assert not selectors.referral_list_for_user(user=user).exists()
        with pytest.raises(Http404):
            services.referral_accept(user=user, referral=r)
        with pytest.raises(Http404):
            services.referral_close(user=user, referral=r)
    assert AuditEvent.objects.filter(action="referral.read", outcome="not_found", object_ref=r.ref).exists()
    with pytest.raises(Http404):  # only the owning agency refers a subject (a granted one does not)
        services.referral_send(user=w["police"], subject=w["subject"], to_agency=w["@labour"])


def test_roles_without_the_capability_are_refused_and_audited(world):
    w = world
    with pytest.raises(PermissionDenied):
        send(w, user=w["an"], consent=consent(w))
    with pytest.raises(PermissionDenied):
        selectors.referral_list_for_user(user=w["an"])
    assert AuditEvent.objects.filter(action="referral.send", outcome="denied", actor=w["an"].username).exists()


def test_audit_rows_name_no_field_value(world):
    w = world
    c = consent(w)
    r = send(w, consent=c, note=NOTE, intervention="justice.police_referral")
    services.referral_accept(user=w["police"], referral=r)
    services.referral_close(user=w["cw"], referral=r, reason="the inspection was done")
    r2 = send(w, to="@labour", user=w["sup"], override_reason="urgent danger tonight")
    services.referral_decline(user=w["labour"], referral=r2, reason="no capacity this week")
    rows = AuditEvent.objects.filter(action__startswith="referral.")
    assert {e.action for e in rows} >= {"referral.send", "referral.accept", "referral.close", "referral.decline",
                                        "referral.read"} - {"referral.read"}
    for e in AuditEvent.objects.all():
        text = e.detail + e.object_ref
        for value in ("Nepali", "inspection was done", "urgent danger", "no capacity", "Sita", "Gurung",
                      "police_referral"):
            assert value not in text, (e.action, e.detail)


def test_demo_seed_has_referrals_in_every_state(db):
    from lantern.platform.seed import seed_demo

    result = seed_demo(people=20, seed=3, password="Demo-Password-123")
    assert result.referrals == 6
    states = {r.status for r in Referral.objects.all()}
    assert states == {Status.SENT, Status.ACCEPTED, Status.DECLINED, Status.CLOSED, Status.WITHDRAWN}
    override = Referral.objects.get(consent__isnull=True)
    assert override.status == Status.SENT and override.override_reason
    accepted = Referral.objects.get(status=Status.ACCEPTED)
    assert accepted.grant.revoked_at is None and accepted.to_agency != accepted.from_agency
    assert accepted.subject.agency == accepted.from_agency
    assert seed_demo(people=20, seed=3, password="Demo-Password-123").skipped
    assert Referral.objects.count() == 6


def test_erasing_the_case_deletes_its_referrals(world):
    w = world
    r = services.referral_accept(user=w["police"], referral=send(w, consent=consent(w)))
    send(w, to="@labour", user=w["sup"], override_reason="urgent")
    case_services.subject_erase(user=w["sup"], subject=w["subject"], reason="erasure request")
    assert not Referral.objects.exists() and not AccessGrant.objects.filter(pk=r.grant_id).exists()


@pytest.mark.parametrize("reason", ["Sita is in danger tonight", "her phone 0712 345 678 is off",
                                    "passport PA998877 taken"])
def test_an_override_reason_with_identifiers_is_refused(world, reason):
    # the receiving agency reads the override reason before it may open the case, like the note
    with pytest.raises(ValidationError) as exc:
        send(world, user=world["sup"], override_reason=reason)
    assert fields(exc) == {"override_reason"} and "identifiers" in next(iter(problems(exc)))[1]
    assert not Referral.objects.exists()


def test_a_withdrawal_reason_with_identifiers_is_refused(world):
    # the receiving agency reads it, and after a withdrawal before acceptance it never had the case
    w = world
    r = send(w, consent=consent(w))
    with pytest.raises(ValidationError) as exc:
        services.referral_withdraw(user=w["cw"], referral=r, reason="Gurung moved to Cluj")
    assert fields(exc) == {"reason"}
    r.refresh_from_db()
    assert r.status == Status.SENT


@pytest.mark.parametrize("kw,field", [({"box": "inbx"}, "box"), ({"status": "acepted"}, "status")])
def test_an_unknown_list_filter_is_refused_not_ignored(world, kw, field):
    with pytest.raises(ValidationError) as exc:
        selectors.referral_list_for_user(user=world["cw"], **kw)
    assert fields(exc) == {field}


def test_an_expired_access_hides_the_subject_and_a_new_referral_needs_the_old_one_closed(world):
    from django.utils import timezone

    w = world
    c = consent(w)
    r = services.referral_accept(user=w["police"], referral=send(w, consent=c))
    AccessGrant.objects.filter(pk=r.grant_id).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    r = selectors.referral_get_for_user(user=w["police"], ref=r.ref)
    view = selectors.referral_view(r, user=w["police"])
    assert r.status == Status.ACCEPTED and view["subject"] is None and view["access_until"] is None
    with pytest.raises(Http404):
        case_selectors.subject_get_for_user(user=w["police"], ref=w["subject"].ref)
    with pytest.raises(ValidationError) as exc:  # still open: the one-open-referral rule holds
        send(w, consent=c)
    assert "already has an open referral" in next(iter(problems(exc)))[1]
    services.referral_close(user=w["cw"], referral=r, reason="access ended")
    assert send(w, consent=c).status == Status.SENT
