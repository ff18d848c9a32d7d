"""Roles and what each may do.

A role is a set of capabilities. Lacking a capability answers 403 (a role is not a secret); a record of
another agency answers 404 exactly like a missing one (see ``cases.selectors``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("Caseworker")
    SUPERVISOR = "supervisor", _("Supervisor")
    ANALYST = "analyst", _("Analyst")
    COORDINATOR = "coordinator", _("Coordinator")
    AGENCY_ADMIN = "agency_admin", _("Agency administrator")
    AUDITOR = "auditor", _("Auditor")


# capability -> roles holding it
CAPABILITIES: dict[str, frozenset[str]] = {
    # open a subject's case file (pseudonym, assessments, journey)
    "case.read": frozenset({Role.CASEWORKER, Role.SUPERVISOR}),
    # see the direct identifiers (names, date of birth, documents, phone) — decrypted, audited
    "identity.read": frozenset({Role.CASEWORKER, Role.SUPERVISOR}),
    # create subjects, assessments, consents, journey legs; import
    "case.write": frozenset({Role.CASEWORKER, Role.SUPERVISOR}),
    # grant or revoke another agency's access to one subject
    "grant.manage": frozenset({Role.SUPERVISOR}),
    # erase a subject's whole case (GDPR erasure): hard delete, pseudonymous audit rows stay
    "case.erase": frozenset({Role.SUPERVISOR}),
    # pseudonymous assessment rows (no identifiers) for analysis
    "assessment.analyse": frozenset({Role.SUPERVISOR, Role.ANALYST}),
    # cross-agency data-source suitability (overlap, coverage) over registers shared with a national
    # anti-trafficking agency; also needs the agency type (analytics.selectors.require_national)
    "sources.national": frozenset({Role.ANALYST}),
    # refer one of the agency's subjects to another agency (with the person's consent) and withdraw it
    "referral.send": frozenset({Role.CASEWORKER, Role.SUPERVISOR}),
    # see referrals sent to the agency; accept (opens the case file for the agency), decline, close
    "referral.receive": frozenset({Role.CASEWORKER, Role.SUPERVISOR}),
    # refer without a consent that covers the receiving agency, stating why (audited, short access grant)
    "referral.override": frozenset({Role.SUPERVISOR}),
    # read the agency's audit trail
    "audit.read": frozenset({Role.AUDITOR, Role.AGENCY_ADMIN}),
    # manage the agency's users and API tokens
    "agency.admin": frozenset({Role.AGENCY_ADMIN}),
    # the network tools: directory of organisations, responsibility matrix, action plans visible to the agency
    "network.read": frozenset(Role.values),
    # edit the directory, the responsibility matrix and action plans (KPIs, briefing notes)
    "network.edit": frozenset({Role.COORDINATOR}),
}


def has_capability(user, capability: str) -> bool:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "agency_id", None):
        return False
    return user.role in CAPABILITIES[capability]
