"""The permission matrix: every URL pattern × every role × own / other agency (plus anonymous).

Expected outcome, derived from the role's capabilities (``lantern.platform.roles``):
* anonymous: web pages redirect to sign-in (302), the API answers 401 — except the public pages;
* a role without the capability: 403 (the role is not a secret);
* with the capability: the success status on the own agency's object, and 404 on another agency's
  object, exactly like a missing one.

``test_every_url_is_in_the_matrix`` fails when a URL pattern is added without an entry here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLResolver, get_resolver

from lantern.platform.accounts.services import token_create
from lantern.platform.cases import services
from lantern.platform.cases.models import Subject
from lantern.platform.roles import CAPABILITIES, Role

ROLES = list(Role.values)


def url_patterns(patterns=None, prefix=""):
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            yield from url_patterns(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p.name


class World:
    """Objects of the own agency (``own``) and another agency (``other``), made on demand."""

    def __init__(self, agencies, make_user, make_subject, flat_row):
        self.agencies = agencies
        self.users = {role: make_user(role) for role in ROLES}
        self.owners = {"own": self.users[Role.CASEWORKER],
                       "other": make_user(Role.CASEWORKER, agency=agencies[1], username="other-cw")}
        self.make_subject = make_subject
        self.flat_row = flat_row
        self.subjects = {side: make_subject(self.owners[side]) for side in ("own", "other")}
        self.tokens = {role: token_create(user=u)[1] for role, u in self.users.items()}

    def ref(self, side):
        return self.subjects[side].ref

    def assessment(self, side):
        return self.subjects[side].assessments.first().ref

    def new_leg(self, side):
        return services.journey_leg_add(user=self.owners[side], subject=self.subjects[side], data={"country": "RO"})

    def new_consent(self, side):
        return services.consent_record(user=self.owners[side], subject=self.subjects[side], purpose="assessment",
                                       scope="own_agency", given_on=dt.date.today().isoformat(), given_by="subject")

    def new_subject(self, side):
        subject = self.make_subject(self.owners[side])
        self.last_ref = subject.ref
        return subject

    def new_token(self, side):
        return token_create(user=self.owners[side])[0].pk

    def csv(self, side):
        row = self.flat_row(subject_ref=self.ref(side))
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(row))
        w.writeheader()
        w.writerow(row)
        return buf.getvalue().encode()


@dataclass
class Case:
    method: str
    path: Callable[[World, str], str]
    capability: str | None  # None: any signed-in user (or public)
    ok: int | Callable[[str], int]  # status on success (or per role)
    scoped: bool = False  # the URL names an object of one agency
    public: bool = False  # no sign-in needed
    api: bool = False
    data: Callable[[World, str], Any] | None = None
    other: int | None = None  # status with the capability on the other agency's object (default 404)


def _home_status(role):
    caps = {c for c, roles in CAPABILITIES.items() if role in roles}
    return 302 if caps & {"case.read", "assessment.analyse", "audit.read", "agency.admin"} else 200


def _json(body):
    return lambda w, side: body if not callable(body) else body(w, side)


# -- interventions app: a plan item of the given side's subject, and a valid new item's fields
def _plan_item(w, side) -> int:
    from lantern.platform.interventions.services import plan_item_add

    return plan_item_add(user=w.owners[side], subject=w.subjects[side], data=_plan_fields(w, side)).pk


def _plan_fields(w, side) -> dict:
    return {"intervention": "integration.language_course", "status": "planned",
            "due_date": (dt.date.today() + dt.timedelta(days=7)).isoformat()}


# -- analytics app: a release of the given side's agency (published ones carry a CSV file)
def _release(w, side, state="draft") -> str:
    from lantern.platform.analytics.models import ReleaseFile, StatRelease

    owner = w.owners[side]
    release = StatRelease.objects.create(agency_id=owner.agency_id, title="t", standard_version="1.0", state=state,
                                         spec={"tables": [{"id": "t", "measure": "persons", "by": ["period"]}]},
                                         dp_budget=1.0, created_by=owner)
    if state == "published":
        ReleaseFile.objects.create(release=release, fmt="csv", name="t.csv", content=b"table_id\n", sha256="0" * 64)
    return release.ref


# -- referrals app: a referral of the given side ("own": sent by the own agency, or received by it with
# ``incoming``; "other": between the other agency and a third one, so the own agency is neither end)
def _referable(w, side) -> str:
    """A new subject of the side's agency with a consent to a referral (the referral mechanism)."""
    subject = w.new_subject(side)
    w.last_consent = services.consent_record(user=w.owners[side], subject=subject, purpose="referral",
                                             scope="referral_network", given_on=dt.date.today().isoformat(),
                                             given_by="subject").pk
    return subject.ref


def _referral(w, side, *, incoming=False, accepted=False) -> str:
    from lantern.platform.accounts.models import Agency
    from lantern.platform.referrals.services import referral_accept, referral_send

    third, _ = Agency.objects.get_or_create(key="third-c", defaults={"name": "Third", "type": "ngo", "country": "RO"})
    sender = "other" if side == "other" or incoming else "own"
    receiver = third if side == "other" else w.agencies[0] if incoming else w.agencies[1]
    ref = _referable(w, sender)
    referral = referral_send(user=w.owners[sender], subject=Subject.objects.get(ref=ref), to_agency=receiver,
                             consent=w.last_consent)
    if accepted:
        from lantern.platform.accounts.models import User

        accepter = User.objects.filter(agency=receiver, role=Role.SUPERVISOR).first() or w.owners["own"]
        if receiver != w.agencies[0]:
            accepter = User.objects.create_user(username=f"acc-{referral.ref}", agency=receiver,
                                                role=Role.CASEWORKER)
        referral_accept(user=accepter, referral=referral)
    return referral.ref


def _referral_fields(w, side) -> dict:
    return {"to_agency": w.agencies[1].key if side == "own" else w.agencies[0].key, "consent": w.last_consent,
            "note": "needs an inspection of the workplace"}


# -- accounts app: a new user of the given side's agency (optionally with a second factor), so the actions on
# it (role change, deactivation, ...) never touch the matrix's own users
def _member(w, side, *, totp=False) -> int:
    from lantern.platform.accounts.models import User
    from lantern.platform.accounts.services import totp_enable

    w.members = getattr(w, "members", 0) + 1
    user = User.objects.create_user(username=f"member-{side}-{w.members}", role=Role.CASEWORKER,
                                    agency=w.agencies[0 if side == "own" else 1])
    if totp:
        totp_enable(user=user)
    return user.pk


# -- network app: a directory entry, a matrix row, and a private plan of the given side's agency (another agency's
# plan, in which the own agency takes no part, answers 404 like a missing one)
def _net_org(w, side="own") -> str:
    from lantern.platform.network.models import Organisation

    return Organisation.objects.get_or_create(key="net-org", defaults={"name": "Net org", "type": "ngo",
                                                                       "country": "RO"})[0].key


def _net_row(w, side) -> int:
    from lantern.platform.network.models import Responsibility

    return Responsibility.objects.create(country="RO", area="identification", agency_type="police",
                                         legal_basis="HG 88/2023").pk


def _net_plan(w, side, *, kpi=False) -> str:
    from lantern.platform.network.models import ActionPlan, Kpi

    owner = w.agencies[0 if side == "own" else 1]
    plan = ActionPlan.objects.create(title="p", country="RO", period_start=dt.date(2026, 1, 1),
                                     period_end=dt.date(2026, 12, 31), owner=owner, created_by=w.owners[side])
    plan.actions.create(title="a", responsible_id=_net_org_pk(w), due_date=dt.date(2026, 6, 1))
    w.net_action, w.net_kpi = plan.actions.get().pk, Kpi.objects.create(plan=plan, name="k", definition="d").pk
    return plan.ref


def _net_org_pk(w) -> int:
    from lantern.platform.network.models import Organisation

    _net_org(w)
    return Organisation.objects.get(key="net-org").pk


def _net_path(w, side, tail) -> str:
    ref = _net_plan(w, side)
    return f"/network/plans/{ref}/" + tail.format(action=w.net_action, kpi=w.net_kpi)


S = "/subjects/{}"
MATRIX: dict[tuple[str, str], Case] = {
    ("healthz", "healthz"): Case("GET", lambda w, s: "/healthz", None, 200, public=True),
    ("api/v1/openapi.json", "openapi-json"): Case("GET", lambda w, s: "/api/v1/openapi.json", None, 200, public=True),
    ("api/v1/docs", "openapi-view"): Case("GET", lambda w, s: "/api/v1/docs", None, 200, public=True),
    ("api/v1/", "api-root"): Case("GET", lambda w, s: "/api/v1/", None, 404, public=True),
    ("api/v1/subjects", "subject_list"): Case("GET", lambda w, s: f"/api/v1/subjects?ref={w.ref(s)}", "case.read", 200,
                                              api=True),
    ("api/v1/subjects", "subject_create"): Case("POST", lambda w, s: "/api/v1/subjects", "case.write", 201, api=True,
                                                data=_json({})),
    ("api/v1/subjects/<ref>", "subject_detail"): Case("GET", lambda w, s: f"/api/v1/subjects/{w.ref(s)}", "case.read",
                                                      200, scoped=True, api=True),
    ("api/v1/subjects/<ref>", "subject_erase"): Case(
        "DELETE", lambda w, s: f"/api/v1/subjects/{w.new_subject(s).ref}", "case.erase", 204, scoped=True, api=True,
        data=_json({"reason": "erasure request of 2026-12-01"})),
    ("api/v1/subjects/<ref>/identity", "subject_identity_update"): Case(
        "PUT", lambda w, s: f"/api/v1/subjects/{w.ref(s)}/identity", "case.write", 200, scoped=True, api=True,
        data=_json({"given_name": "X"})),
    ("api/v1/subjects/<ref>/assessments", "subject_assessments"): Case(
        "GET", lambda w, s: f"/api/v1/subjects/{w.ref(s)}/assessments", "case.read", 200, scoped=True, api=True),
    ("api/v1/subjects/<ref>/assessments", "assessment_create"): Case(
        "POST", lambda w, s: f"/api/v1/subjects/{w.ref(s)}/assessments", "case.write", 201, scoped=True, api=True,
        data=lambda w, s: w.flat_row()),
    ("api/v1/assessments/export.csv", "assessments_export"): Case(
        "GET", lambda w, s: "/api/v1/assessments/export.csv", "assessment.analyse", 200, api=True),
    ("api/v1/assessments/<ref>", "assessment_detail"): Case(
        "GET", lambda w, s: f"/api/v1/assessments/{w.assessment(s)}", "case.read", 200, scoped=True, api=True),
    # a correction of a fresh interview each time (a second identical correction would change nothing: 422)
    ("api/v1/assessments/<ref>", "assessment_correct"): Case(
        "PATCH", lambda w, s: f"/api/v1/assessments/{w.new_subject(s).assessments.get().ref}", "case.write", 200,
        scoped=True, api=True, data=_json({"changes": {"age": 30}, "reason": "typed 29 for 30"})),
    ("api/v1/assessments/<ref>/revisions", "assessment_revisions"): Case(
        "GET", lambda w, s: f"/api/v1/assessments/{w.assessment(s)}/revisions", "case.read", 200, scoped=True,
        api=True),
    ("api/v1/subjects/<ref>/journey", "journey_get"): Case(
        "GET", lambda w, s: f"/api/v1/subjects/{w.ref(s)}/journey", "case.read", 200, scoped=True, api=True),
    ("api/v1/subjects/<ref>/journey", "journey_put"): Case(
        "PUT", lambda w, s: f"/api/v1/subjects/{w.ref(s)}/journey", "case.write", 200, scoped=True, api=True,
        data=_json([{"country": "NP"}, {"country": "RO"}])),
    # an import row naming another agency's subject is treated like a missing pseudonym: a new subject
    ("api/v1/imports/assessments", "assessments_import"): Case(
        "UPLOAD", lambda w, s: "/api/v1/imports/assessments", "case.write", 200, scoped=True, api=True,
        data=lambda w, s: w.csv(s), other=200),
    ("i18n/setlang/", "set_language"): Case("POST", lambda w, s: "/i18n/setlang/", None, 302, public=True,
                                            data=lambda w, s: {"language": "ro"}),
    ("", "home"): Case("GET", lambda w, s: "/", None, _home_status),
    ("accounts/login/", "login"): Case("GET", lambda w, s: "/accounts/login/", None, 302, public=True),
    ("accounts/totp/", "totp"): Case("GET", lambda w, s: "/accounts/totp/", None, 302, public=True),
    # signed-in users of any role may enrol a second factor (anonymous: to sign-in, unless mid-sign-in)
    ("accounts/totp/enrol/", "totp-enrol"): Case("GET", lambda w, s: "/accounts/totp/enrol/", None, 200),
    ("accounts/totp/recovery-codes/", "totp-recovery-codes"): Case(
        "GET", lambda w, s: "/accounts/totp/recovery-codes/", None, 200),
    ("accounts/logout/", "logout"): Case("POST", lambda w, s: "/accounts/logout/", None, 302, public=True),
    ("subjects/", "subject-list"): Case("GET", lambda w, s: f"/subjects/?ref={w.ref(s)}", "case.read", 200),
    ("subjects/<str:ref>/", "subject-detail"): Case("GET", lambda w, s: f"/subjects/{w.ref(s)}/", "case.read", 200,
                                                    scoped=True),
    ("subjects/<str:ref>/identity/", "subject-identity"): Case(
        "GET", lambda w, s: f"/subjects/{w.ref(s)}/identity/", "identity.read", 200, scoped=True),
    ("subjects/<str:ref>/journey/", "journey-editor"): Case(
        "GET", lambda w, s: f"/subjects/{w.ref(s)}/journey/", "case.read", 200, scoped=True),
    ("subjects/<str:ref>/journey/legs/", "journey-leg-add"): Case(
        "POST", lambda w, s: f"/subjects/{w.ref(s)}/journey/legs/", "case.write", 200, scoped=True,
        data=lambda w, s: {"country": "RO"}),
    ("subjects/<str:ref>/journey/legs/<int:leg_id>/delete/", "journey-leg-delete"): Case(
        "POST", lambda w, s: f"/subjects/{w.ref(s)}/journey/legs/{w.new_leg(s).pk}/delete/", "case.write", 200,
        scoped=True),
    ("subjects/<str:ref>/journey/legs/<int:leg_id>/move/<str:direction>/", "journey-leg-move"): Case(
        "POST", lambda w, s: f"/subjects/{w.ref(s)}/journey/legs/{w.new_leg(s).pk}/move/up/", "case.write", 200,
        scoped=True),
    ("subjects/<str:ref>/grants/", "grant-create"): Case(
        "POST", lambda w, s: f"/subjects/{w.ref(s)}/grants/", "grant.manage", 302, scoped=True,
        data=lambda w, s: {"agency": w.agencies[1].key, "reason": "referral with consent", "days": "10"}),
    ("subjects/<str:ref>/erase/", "subject-erase"): Case(
        "POST", lambda w, s: f"/subjects/{w.new_subject(s).ref}/erase/", "case.erase", 302, scoped=True,
        data=lambda w, s: {"reason": "erasure request", "confirm": w.last_ref}),
    # retention app: the agency's period (admins), the cases due within 30 days and legal holds (supervisors)
    ("agency/retention/", "retention-policy"): Case("GET", lambda w, s: "/agency/retention/", "agency.admin", 200),
    ("agency/retention/due/", "retention-due"): Case("GET", lambda w, s: "/agency/retention/due/", "case.erase", 200),
    ("subjects/<str:ref>/legal-hold/", "legal-hold-set"): Case(
        "POST", lambda w, s: f"/subjects/{w.ref(s)}/legal-hold/", "case.erase", 302, scoped=True,
        data=lambda w, s: {"reason": "criminal proceedings"}),
    ("subjects/<str:ref>/legal-hold/lift/", "legal-hold-lift"): Case(
        "POST", lambda w, s: f"/subjects/{w.ref(s)}/legal-hold/lift/", "case.erase", 302, scoped=True),
    ("subjects/<str:ref>/consents/<int:consent_id>/withdraw/", "consent-withdraw"): Case(
        "POST", lambda w, s: f"/subjects/{w.ref(s)}/consents/{w.new_consent(s).pk}/withdraw/", "case.write", 302,
        scoped=True),
    ("assessments/<str:ref>/", "assessment-detail"): Case(
        "GET", lambda w, s: f"/assessments/{w.assessment(s)}/", "case.read", 200, scoped=True),
    ("assessments/<str:ref>/correct/", "assessment-correct"): Case(
        "GET", lambda w, s: f"/assessments/{w.assessment(s)}/correct/", "case.write", 200, scoped=True),
    ("intake/", "intake-start"): Case("GET", lambda w, s: f"/intake/?subject={w.ref(s)}", "case.write", 302,
                                      scoped=True),
    ("intake/<str:step>/", "intake-step"): Case("GET", lambda w, s: "/intake/consent/", "case.write", 302),
    ("imports/", "import-assessments"): Case("GET", lambda w, s: "/imports/", "case.write", 200),
    ("agency/users/", "agency-users"): Case("GET", lambda w, s: "/agency/users/", "agency.admin", 200),
    ("agency/tokens/<int:token_id>/revoke/", "token-revoke"): Case(
        "POST", lambda w, s: f"/agency/tokens/{w.new_token(s)}/revoke/", "agency.admin", 302, scoped=True),
    ("audit/", "audit-list"): Case("GET", lambda w, s: "/audit/", "audit.read", 200),
    # -- interventions app (plans, screening explanation, public toolkit) --
    ("subjects/<str:ref>/plan/", "plan"): Case("GET", lambda w, s: f"/subjects/{w.ref(s)}/plan/", "case.read", 200,
                                               scoped=True),
    ("subjects/<str:ref>/plan/items/", "plan-item-add"): Case(
        "POST", lambda w, s: f"/subjects/{w.ref(s)}/plan/items/", "case.write", 302, scoped=True, data=_plan_fields),
    ("subjects/<str:ref>/plan/items/<int:item_id>/", "plan-item-update"): Case(
        "POST", lambda w, s: f"/subjects/{w.ref(s)}/plan/items/{_plan_item(w, s)}/", "case.write", 302, scoped=True,
        data=lambda w, s: {**_plan_fields(w, s), "status": "in_progress"}),
    ("subjects/<str:ref>/plan/items/<int:item_id>/delete/", "plan-item-delete"): Case(
        "POST", lambda w, s: f"/subjects/{w.ref(s)}/plan/items/{_plan_item(w, s)}/delete/", "case.write", 302,
        scoped=True),
    ("toolkit/", "toolkit"): Case("GET", lambda w, s: "/toolkit/?type=legal_status_documents&level=high", None, 200,
                                  public=True),
    ("toolkit/lantern-toolkit-<str:lang>.pdf", "toolkit-pdf"): Case(
        "GET", lambda w, s: "/toolkit/lantern-toolkit-en.pdf", None, 200, public=True),
    ("api/v1/subjects/<ref>/plan", "plan_get"): Case(
        "GET", lambda w, s: f"/api/v1/subjects/{w.ref(s)}/plan", "case.read", 200, scoped=True, api=True),
    ("api/v1/subjects/<ref>/plan", "plan_item_create"): Case(
        "POST", lambda w, s: f"/api/v1/subjects/{w.ref(s)}/plan", "case.write", 201, scoped=True, api=True,
        data=_plan_fields),
    ("api/v1/subjects/<ref>/plan/<item_id>", "plan_item_patch"): Case(
        "PATCH", lambda w, s: f"/api/v1/subjects/{w.ref(s)}/plan/{_plan_item(w, s)}", "case.write", 200, scoped=True,
        api=True, data=_json({"status": "done"})),
    ("api/v1/subjects/<ref>/plan/<item_id>", "plan_item_delete"): Case(
        "DELETE", lambda w, s: f"/api/v1/subjects/{w.ref(s)}/plan/{_plan_item(w, s)}", "case.write", 204,
        scoped=True, api=True),
    ("api/v1/assessments/<ref>/screening", "assessment_screening"): Case(
        "GET", lambda w, s: f"/api/v1/assessments/{w.assessment(s)}/screening?lang=ro", "case.read", 200, scoped=True,
        api=True),
    # -- end of interventions app --
    # -- analytics app (counts, rates, routes, sources, releases, DP queries) --
    ("analytics/", "analytics-home"): Case("GET", lambda w, s: "/analytics/", "assessment.analyse", 200),
    ("analytics/counts/", "analytics-counts"): Case(
        "GET", lambda w, s: "/analytics/counts/?measure=persons&by1=period", "assessment.analyse", 200),
    ("analytics/rates/", "analytics-rates"): Case("GET", lambda w, s: "/analytics/rates/", "assessment.analyse", 200),
    ("analytics/routes/", "analytics-routes"): Case("GET", lambda w, s: "/analytics/routes/", "assessment.analyse", 200),
    ("analytics/routes/<str:figure>/<str:fmt>/", "analytics-route-figure"): Case(
        "GET", lambda w, s: "/analytics/routes/sankey/svg/", "assessment.analyse", 200),
    ("analytics/sources/", "analytics-sources"): Case("GET", lambda w, s: "/analytics/sources/", "assessment.analyse",
                                                      200),
    ("analytics/combine/", "analytics-combine"): Case("GET", lambda w, s: "/analytics/combine/", "assessment.analyse",
                                                      200),
    ("analytics/ctdc/", "analytics-ctdc"): Case("GET", lambda w, s: "/analytics/ctdc/", "assessment.analyse", 200),
    ("analytics/releases/", "analytics-releases"): Case("GET", lambda w, s: "/analytics/releases/",
                                                        "assessment.analyse", 200),
    ("analytics/releases/new/", "analytics-release-create"): Case(
        "POST", lambda w, s: "/analytics/releases/new/", "assessment.analyse", 302,
        data=lambda w, s: {"title": "t", "measure": "persons", "by1": "period", "dp_budget": "1"}),
    ("analytics/releases/<str:ref>/", "analytics-release-detail"): Case(
        "GET", lambda w, s: f"/analytics/releases/{_release(w, s)}/", "assessment.analyse", 200, scoped=True),
    ("analytics/releases/<str:ref>/check/", "analytics-release-check"): Case(
        "POST", lambda w, s: f"/analytics/releases/{_release(w, s)}/check/", "assessment.analyse", 302, scoped=True),
    ("analytics/releases/<str:ref>/publish/", "analytics-release-publish"): Case(
        "POST", lambda w, s: f"/analytics/releases/{_release(w, s)}/publish/", "assessment.analyse", 302, scoped=True),
    ("analytics/releases/<str:ref>/files/<str:fmt>/", "analytics-release-download"): Case(
        "GET", lambda w, s: f"/analytics/releases/{_release(w, s, 'published')}/files/csv/", "assessment.analyse", 200,
        scoped=True),
    ("analytics/releases/<str:ref>/dp/", "analytics-release-dp"): Case(
        "POST", lambda w, s: f"/analytics/releases/{_release(w, s)}/dp/", "assessment.analyse", 422, scoped=True,
        data=lambda w, s: {"epsilon": "0", "by1": "sex", "action": "plan"}),  # refused ε: no OpenDP run (slow)
    # releases API (analytics app); publishing a draft is refused (422) for the roles that may publish
    ("api/v1/releases", "release_list"): Case("GET", lambda w, s: "/api/v1/releases", "assessment.analyse", 200,
                                              api=True),
    ("api/v1/releases", "release_create"): Case(
        "POST", lambda w, s: "/api/v1/releases", "assessment.analyse", 201, api=True,
        data=_json({"title": "t", "measure": "persons", "by": ["period"]})),
    ("api/v1/releases/<ref>", "release_detail"): Case(
        "GET", lambda w, s: f"/api/v1/releases/{_release(w, s)}", "assessment.analyse", 200, scoped=True, api=True),
    ("api/v1/releases/<ref>/check", "release_check"): Case(
        "POST", lambda w, s: f"/api/v1/releases/{_release(w, s)}/check", "assessment.analyse", 200, scoped=True,
        api=True),
    ("api/v1/releases/<ref>/publish", "release_publish"): Case(
        "POST", lambda w, s: f"/api/v1/releases/{_release(w, s)}/publish", "assessment.analyse", 422, scoped=True,
        api=True),
    ("api/v1/releases/<ref>/files/<fmt>", "release_file"): Case(
        "GET", lambda w, s: f"/api/v1/releases/{_release(w, s, 'published')}/files/csv", "assessment.analyse", 200,
        scoped=True, api=True),
    # cross-agency sources: the matrix's agencies are an NGO and the police, not a national anti-trafficking
    # agency, so even the analyst (who holds sources.national) is refused; the success path is in
    # test_analytics_sources.py
    ("analytics/sources/national/", "analytics-sources-national"): Case(
        "GET", lambda w, s: "/analytics/sources/national/", "sources.national", 403),
    ("api/v1/sources/national", "sources_national"): Case(
        "GET", lambda w, s: "/api/v1/sources/national", "sources.national", 403, api=True),
    ("analytics/sharing/", "analytics-sharing"): Case("GET", lambda w, s: "/analytics/sharing/", "agency.admin", 200),
    # -- end of analytics app --
    # -- referrals app (consented referrals between agencies) --
    ("subjects/<str:ref>/refer/", "referral-create"): Case(
        "POST", lambda w, s: f"/subjects/{_referable(w, s)}/refer/", "referral.send", 302, scoped=True,
        data=_referral_fields),
    ("referrals/", "referral-list"): Case("GET", lambda w, s: "/referrals/?box=inbox", "referral.receive", 200),
    ("referrals/<str:ref>/", "referral-detail"): Case(
        "GET", lambda w, s: f"/referrals/{_referral(w, s)}/", "referral.receive", 200, scoped=True),
    ("referrals/<str:ref>/accept/", "referral-accept"): Case(
        "POST", lambda w, s: f"/referrals/{_referral(w, s, incoming=True)}/accept/", "referral.receive", 302,
        scoped=True),
    ("referrals/<str:ref>/decline/", "referral-decline"): Case(
        "POST", lambda w, s: f"/referrals/{_referral(w, s, incoming=True)}/decline/", "referral.receive", 302,
        scoped=True, data=lambda w, s: {"reason": "no capacity"}),
    ("referrals/<str:ref>/withdraw/", "referral-withdraw"): Case(
        "POST", lambda w, s: f"/referrals/{_referral(w, s)}/withdraw/", "referral.send", 302, scoped=True),
    ("referrals/<str:ref>/close/", "referral-close"): Case(
        "POST", lambda w, s: f"/referrals/{_referral(w, s, incoming=True, accepted=True)}/close/",
        "referral.receive", 302, scoped=True),
    ("api/v1/referrals", "referral_list"): Case("GET", lambda w, s: "/api/v1/referrals", "referral.receive", 200,
                                                api=True),
    ("api/v1/referrals", "referral_send"): Case(
        "POST", lambda w, s: "/api/v1/referrals", "referral.send", 201, scoped=True, api=True,
        data=lambda w, s: {"subject": _referable(w, s), **_referral_fields(w, s)}),
    ("api/v1/referrals/<ref>", "referral_read"): Case(
        "GET", lambda w, s: f"/api/v1/referrals/{_referral(w, s)}", "referral.receive", 200, scoped=True, api=True),
    ("api/v1/referrals/<ref>/accept", "referral_accept"): Case(
        "POST", lambda w, s: f"/api/v1/referrals/{_referral(w, s, incoming=True)}/accept", "referral.receive", 200,
        scoped=True, api=True, data=_json({})),
    ("api/v1/referrals/<ref>/decline", "referral_decline"): Case(
        "POST", lambda w, s: f"/api/v1/referrals/{_referral(w, s, incoming=True)}/decline", "referral.receive", 200,
        scoped=True, api=True, data=_json({"reason": "no capacity"})),
    ("api/v1/referrals/<ref>/withdraw", "referral_withdraw"): Case(
        "POST", lambda w, s: f"/api/v1/referrals/{_referral(w, s)}/withdraw", "referral.send", 200, scoped=True,
        api=True, data=_json({})),
    ("api/v1/referrals/<ref>/close", "referral_close"): Case(
        "POST", lambda w, s: f"/api/v1/referrals/{_referral(w, s, incoming=True, accepted=True)}/close",
        "referral.receive", 200, scoped=True, api=True, data=_json({})),
    # -- end of referrals app --
    # -- accounts app (agency administrators manage their users; everyone changes their password) --
    ("accounts/password/", "password-change"): Case("GET", lambda w, s: "/accounts/password/", None, 200),
    ("agency/users/new/", "agency-user-create"): Case("GET", lambda w, s: "/agency/users/new/", "agency.admin", 200),
    ("agency/users/<int:user_id>/", "agency-user-detail"): Case(
        "GET", lambda w, s: f"/agency/users/{_member(w, s)}/", "agency.admin", 200, scoped=True),
    ("agency/users/<int:user_id>/role/", "agency-user-role"): Case(
        "POST", lambda w, s: f"/agency/users/{_member(w, s)}/role/", "agency.admin", 302, scoped=True,
        data=lambda w, s: {"role": Role.SUPERVISOR}),
    ("agency/users/<int:user_id>/deactivate/", "agency-user-deactivate"): Case(
        "POST", lambda w, s: f"/agency/users/{_member(w, s)}/deactivate/", "agency.admin", 302, scoped=True),
    ("agency/users/<int:user_id>/reactivate/", "agency-user-reactivate"): Case(
        "POST", lambda w, s: f"/agency/users/{_member(w, s)}/reactivate/", "agency.admin", 302, scoped=True),
    ("agency/users/<int:user_id>/password-reset/", "agency-user-password-reset"): Case(  # shows the password: 200
        "POST", lambda w, s: f"/agency/users/{_member(w, s)}/password-reset/", "agency.admin", 200, scoped=True),
    ("agency/users/<int:user_id>/totp-reset/", "agency-user-totp-reset"): Case(
        "POST", lambda w, s: f"/agency/users/{_member(w, s, totp=True)}/totp-reset/", "agency.admin", 302,
        scoped=True),
    # -- end of accounts app --
    # -- network app (directory, responsibility matrix, action plans; no person data) --
    ("network/", "network-directory"): Case("GET", lambda w, s: "/network/?type=ngo", "network.read", 200),
    ("network/organisations/new/", "network-organisation-create"): Case(
        "GET", lambda w, s: "/network/organisations/new/", "network.edit", 200),
    ("network/organisations/<slug:key>/", "network-organisation"): Case(
        "GET", lambda w, s: f"/network/organisations/{_net_org(w)}/", "network.read", 200),
    ("network/organisations/<slug:key>/edit/", "network-organisation-edit"): Case(
        "GET", lambda w, s: f"/network/organisations/{_net_org(w)}/edit/", "network.edit", 200),
    ("network/responsibilities/", "network-responsibilities"): Case(
        "GET", lambda w, s: "/network/responsibilities/", "network.read", 200),
    ("network/responsibilities/new/", "network-responsibility-create"): Case(
        "POST", lambda w, s: "/network/responsibilities/new/", "network.edit", 302,
        data=lambda w, s: {"area": "return", "agency_type": "immigration",
                           "legal_basis": "OUG 194/2002"}),
    ("network/responsibilities/<int:pk>/edit/", "network-responsibility-edit"): Case(
        "GET", lambda w, s: f"/network/responsibilities/{_net_row(w, s)}/edit/", "network.edit", 200),
    ("network/plans/", "network-plans"): Case("GET", lambda w, s: "/network/plans/", "network.read", 200),
    ("network/plans/new/", "network-plan-create"): Case("GET", lambda w, s: "/network/plans/new/", "network.edit",
                                                        200),
    ("network/plans/<str:ref>/", "network-plan"): Case(
        "GET", lambda w, s: _net_path(w, s, ""), "network.read", 200, scoped=True),
    ("network/plans/<str:ref>/edit/", "network-plan-edit"): Case(
        "GET", lambda w, s: _net_path(w, s, "edit/"), "network.edit", 200, scoped=True),
    ("network/plans/<str:ref>/actions/", "network-plan-action-add"): Case(
        "POST", lambda w, s: _net_path(w, s, "actions/"), "network.edit", 302, scoped=True,
        data=lambda w, s: {"title": "t", "responsible": _net_org(w), "due_date": "2026-09-30", "status": "planned"}),
    ("network/plans/<str:ref>/actions/<int:action_id>/", "network-plan-action-update"): Case(
        "POST", lambda w, s: _net_path(w, s, "actions/{action}/"), "network.edit", 302, scoped=True,
        data=lambda w, s: {"status": "done", "due_date": "2026-06-01"}),
    ("network/plans/<str:ref>/kpis/", "network-plan-kpi-add"): Case(
        "POST", lambda w, s: _net_path(w, s, "kpis/"), "network.edit", 302, scoped=True,
        data=lambda w, s: {"name": "n", "definition": "d", "metric": "persons_screened"}),
    ("network/plans/<str:ref>/kpis/refresh/", "network-plan-kpis-refresh"): Case(
        "POST", lambda w, s: _net_path(w, s, "kpis/refresh/"), "network.edit", 302, scoped=True),
    ("network/plans/<str:ref>/kpis/<int:kpi_id>/values/", "network-kpi-value"): Case(
        "POST", lambda w, s: _net_path(w, s, "kpis/{kpi}/values/"), "network.edit", 302, scoped=True,
        data=lambda w, s: {"period": "2026-Q2", "value": "12"}),
    ("network/plans/<str:ref>/notes/", "network-plan-note-add"): Case(
        "POST", lambda w, s: _net_path(w, s, "notes/"), "network.edit", 302, scoped=True,
        data=lambda w, s: {"title": "t", "language": "en", "body": "# Note"}),
    ("api/v1/network/organisations", "organisation_list"): Case(
        "GET", lambda w, s: "/api/v1/network/organisations?country=RO", "network.read", 200, api=True),
    ("api/v1/network/responsibilities", "responsibility_list"): Case(
        "GET", lambda w, s: "/api/v1/network/responsibilities?country=RO", "network.read", 200, api=True),
    ("api/v1/network/plans", "plan_list"): Case("GET", lambda w, s: "/api/v1/network/plans", "network.read", 200,
                                                api=True),
    ("api/v1/network/plans/<ref>", "plan_read"): Case(
        "GET", lambda w, s: f"/api/v1/network/plans/{_net_plan(w, s)}", "network.read", 200, scoped=True, api=True),
    # -- end of network app --
}


def test_every_url_is_in_the_matrix():
    patterns = set(url_patterns())
    missing = patterns - set(MATRIX)
    stale = set(MATRIX) - patterns
    assert not missing, f"URL patterns without a permission-matrix entry: {sorted(missing)}"
    assert not stale, f"matrix entries for URLs that no longer exist: {sorted(stale)}"


def _request(client, case: Case, world: World, side: str, role: str | None):
    path = case.path(world, side)
    headers = {}
    if case.api and role is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {world.tokens[role]}"
    data = case.data(world, side) if case.data else None
    if case.method == "GET":
        return client.get(path, **headers)
    if case.method == "UPLOAD":
        from django.core.files.uploadedfile import SimpleUploadedFile

        return client.post(path, {"file": SimpleUploadedFile("a.csv", data, "text/csv"), "format": "csv"}, **headers)
    if case.api:
        return client.generic(case.method, path, json.dumps(data), content_type="application/json", **headers)
    return client.generic(case.method, path, _urlencode(data or {}),
                          content_type="application/x-www-form-urlencoded", **headers)


def _urlencode(data):
    from urllib.parse import urlencode

    return urlencode(data)


def _expected(case: Case, role: str | None, side: str) -> int:
    if role is None:
        if case.public:
            return case.ok if isinstance(case.ok, int) else 200
        return 401 if case.api else 302
    if case.capability and role not in CAPABILITIES[case.capability]:
        return 403
    if case.scoped and side == "other":
        return case.other or 404
    return case.ok(role) if callable(case.ok) else case.ok


@pytest.mark.parametrize("key", sorted(MATRIX), ids=lambda k: f"{MATRIX[k].method} {k[0] or '/'} [{k[1]}]")
def test_permission_matrix(key, client, agencies, make_user, make_subject, flat_row):
    case = MATRIX[key]
    world = World(agencies, make_user, make_subject, flat_row)
    failures = []
    for role in [None, *ROLES]:
        for side in ("own", "other"):
            client.logout()
            if role is not None and not case.api:
                client.force_login(world.users[role])
            expected = _expected(case, role, side)
            if key == ("accounts/login/", "login") and role is None:
                expected = 200
            response = _request(client, case, world, side, role)
            if response.status_code != expected:
                failures.append(f"{role or 'anonymous'}/{side}: {response.status_code} (expected {expected})")
    assert not failures, "; ".join(failures)


def _strip(html: bytes) -> bytes:
    import re

    html = re.sub(rb'"X-CSRFToken": "[^"]+"', b"", html)
    html = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", html)
    return re.sub(rb'name="next" type="hidden" value="[^"]+"', b"", html)  # the requested path itself


def test_other_agency_answers_like_missing(client, agencies, make_user, make_subject, flat_row):
    """Same status and same body for another agency's pseudonym and for one that does not exist."""
    world = World(agencies, make_user, make_subject, flat_row)
    client.force_login(world.users[Role.CASEWORKER])
    fake = "S-" + "Z" * 10
    assert not Subject.objects.filter(ref=fake).exists()
    for template in ("/subjects/{}/", "/subjects/{}/journey/", "/subjects/{}/identity/"):
        a, b = client.get(template.format(world.ref("other"))), client.get(template.format(fake))
        assert (a.status_code, _strip(a.content)) == (b.status_code, _strip(b.content))
        assert a.status_code == 404
    headers = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens[Role.CASEWORKER]}"}
    a = client.get(f"/api/v1/subjects/{world.ref('other')}", **headers)
    b = client.get(f"/api/v1/subjects/{fake}", **headers)
    assert (a.status_code, a.json()) == (b.status_code, b.json())
