"""Demo data of the network tools (no person data): the demo agencies and a few organisations not on the
platform in the directory, the responsibility matrix for Romania, one action plan with actions, KPIs (one
computed from the platform) and briefing notes. Made through the audited services with the demo coordinator
of the anti-trafficking agency; idempotent (nothing is added when the directory has entries)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from lantern.platform.accounts.models import Agency, User
from lantern.platform.audit.services import audit_record
from lantern.platform.network import services
from lantern.platform.network.models import Organisation
from lantern.platform.roles import Role

LANGS = {"ngo": ["ro", "en", "ne", "hi", "bn"], "immigration": ["ro", "en", "fr"], "police": ["ro", "en"],
         "border_police": ["ro", "en", "ru"], "labour_inspection": ["ro", "en"],
         "anti_trafficking_agency": ["ro", "en", "fr"], "social_services": ["ro"], "employer_body": ["ro", "en"]}

# organisations not on the platform (fictional): key, name, type, country, region, interventions, languages
OUTSIDE = [
    ("demo-dgaspc-bucuresti", "Demo Child Protection Directorate Bucharest", "social_services", "RO", "Bucuresti",
     ["protection.child_protection_referral", "protection.emergency_shelter", "protection.psychological_support",
      "integration.childcare_schooling"], ["ro", "en"]),
    ("demo-builders-association", "Demo Construction Employers' Association", "employer_body", "RO", "Cluj",
     ["labour.code_of_conduct", "labour.employer_vetting", "labour.job_placement"], ["ro", "en"]),
    ("demo-return-programme", "Demo Return and Reintegration Programme", "ngo", "RO", "Bucuresti",
     ["protection.safe_return", "protection.family_tracing", "rights.pre_departure_information"],
     ["ro", "en", "ne", "si", "ta"]),
    ("demo-migrant-help-line", "Demo Migrant Workers' Help Line", "ngo", "RO", "Timis",
     ["rights.helpline", "rights.labour_rights_information", "labour.trade_union_contact"],
     ["ro", "en", "ne", "hi", "ur", "vi"]),
]
OUTSIDE_OTHER_COUNTRY = ("demo-ngo-vienna", "Demo NGO Vienna", "ngo", "AT", "Wien",
                         ["protection.emergency_shelter", "rights.victim_rights_information"], ["de", "en", "ro"])

_UNCHECKED = " (article numbering not checked against the consolidated text)"
# Romania: area, agency type, named organisation key (or ""), legal basis, notes — from the mission report and
# the legal bases of the standard's interventions catalogue; none verified (see docs/network.md)
MATRIX_RO = [
    ("identification", "anti_trafficking_agency", "",
     "HG 88/2023 – Mecanismul național de identificare și referire" + _UNCHECKED + "; Directive 2011/36/EU, "
     "art. 11(4) (mechanisms for early identification)", "ANITP coordinates the national referral mechanism."),
    ("identification", "police", "", "HG 88/2023" + _UNCHECKED + "; Legea 678/2001" + _UNCHECKED,
     "First identification also by border police, immigration, labour inspectors and NGOs (HG 88/2023)."),
    ("assistance_shelter", "social_services", "demo-dgaspc-bucuresti",
     "Legea 678/2001 (protecție și asistență a victimelor)" + _UNCHECKED + "; Directive 2011/36/EU, art. 11(5) "
     "(appropriate and safe accommodation)", "With accredited NGOs."),
    ("reflection_period", "immigration", "",
     "Legea 678/2001, perioada de recuperare și reflecție de până la 90 de zile" + _UNCHECKED + "; Directive "
     "2004/81/EC, art. 6", ""),
    ("residence_permit", "immigration", "",
     "OUG 194/2002 privind regimul străinilor" + _UNCHECKED + "; Directive 2004/81/EC, art. 8", ""),
    ("labour_inspection", "labour_inspection", "",
     "Legea 108/1999 pentru înființarea și organizarea Inspecției Muncii" + _UNCHECKED + "; Directive 2009/52/EC, "
     "art. 14 (inspections)", ""),
    ("criminal_investigation", "police", "",
     "Codul penal, art. 210 (traficul de persoane)" + _UNCHECKED + "; Directive 2011/36/EU, art. 9",
     "Prosecutors (DIICOT) lead; the police investigate."),
    ("child_protection", "social_services", "demo-dgaspc-bucuresti",
     "Legea 272/2004 privind protecția și promovarea drepturilor copilului" + _UNCHECKED + "; Directive "
     "2011/36/EU, art. 13–16", ""),
    ("return", "immigration", "demo-return-programme",
     "OUG 194/2002" + _UNCHECKED + "; Council of Europe Convention on Action against Trafficking (2005), art. 16",
     "Voluntary, safe return with the anti-trafficking agency and NGOs."),
    ("coordination", "anti_trafficking_agency", "",
     "Legea 678/2001" + _UNCHECKED + "; mission report, recommendations 3.1 and 3.2",
     "The report finds ANITP mostly monitors; it recommends a proactive secretariat role."),
]

NOTE_EN = """## Who does what when a third-country national may be a victim of trafficking

1. **Anyone** who meets the person (NGO, police, border police, immigration, labour inspector) can start the
   *identification*: screen with the standard questionnaire and, with the person's consent, refer.
2. The **anti-trafficking agency** coordinates the national referral mechanism.
3. **Immigration** decides on the recovery and reflection period and on the residence permit.
4. **Social services** and accredited NGOs provide shelter and assistance; for a child, child protection
   acts first.

*Draft: the legal references in the responsibility matrix are not verified yet.*
"""
NOTE_RO = """## Cine ce face când un resortisant al unei țări terțe poate fi victimă a traficului

1. **Oricine** întâlnește persoana poate începe *identificarea* și, cu acordul ei, o poate referi.
2. **Agenția împotriva traficului de persoane** coordonează mecanismul național de referire.
3. **Imigrările** decid asupra perioadei de recuperare și reflecție și asupra permisului de ședere.
4. **Serviciile sociale** și ONG-urile acreditate oferă adăpost și asistență.

*Ciornă: referințele legale din matrice nu sunt încă verificate.*
"""


def _catalogue_for(type_: str) -> list[str]:
    from lantern.platform.interventions.catalogue import catalogue

    return [i.id for i in catalogue().interventions if type_ in i.providers]


def seed_network(*, coordinator_key: str = "demo-anti-trafficking") -> dict[str, int]:
    """Directory, matrix and one plan for the demo. Returns counts (empty when already seeded or when the
    coordinating agency has no coordinator)."""
    if Organisation.objects.exists():
        return {}
    user = User.objects.filter(agency__key=coordinator_key, role=Role.COORDINATOR).select_related("agency").first()
    if user is None:
        return {}
    orgs = {}
    for agency in Agency.objects.order_by("key"):
        short = agency.key.removeprefix("demo-")
        orgs[agency.key] = services.organisation_create(user=user, agency=agency, data={
            "key": agency.key, "name": agency.name, "type": agency.type, "country": agency.country,
            "region": agency.region, "interventions": _catalogue_for(agency.type),
            "languages": LANGS.get(agency.type, ["ro"]), "contact_role": "Referrals desk",
            "contact_email": f"referrals@{short}.example.org"}) if agency.country == user.agency.country else None
    for key, name, type_, country, region, interventions, languages in OUTSIDE:
        orgs[key] = services.organisation_create(user=user, data={
            "key": key, "name": name, "type": type_, "country": country, "region": region,
            "interventions": interventions, "languages": languages, "contact_role": "Duty officer",
            "contact_email": f"office@{key.removeprefix('demo-')}.example.org"})
    # another country's entry, as its own coordinator would add it (here by the demo seed, audited as such)
    key, name, type_, country, region, interventions, languages = OUTSIDE_OTHER_COUNTRY
    from lantern.platform import vocab

    orgs[key] = Organisation.objects.create(key=key, name=name, type=type_, country=country, region=region,
                                            interventions=interventions, languages=languages,
                                            contact_role="Counselling centre", standard_version=vocab.current_version(),
                                            contact_email="help@ngo-vienna.example.org")
    audit_record(actor=None, action="organisation.create", object_type="organisation", object_ref=key,
                 detail="by=demo.seed", channel="cli")
    for area, type_, org_key, basis, notes in MATRIX_RO:
        services.responsibility_create(user=user, data={"area": area, "agency_type": type_,
                                                        "organisation": org_key or None, "legal_basis": basis,
                                                        "notes": notes, "verified": False})
    today = timezone.localdate()
    plan = services.plan_create(user=user, data={
        "title": "CLAIMED: joining up the referral of vulnerable third-country nationals (Romania)",
        "period_start": dt.date(today.year, 1, 1), "period_end": dt.date(today.year + 1, 12, 31),
        "recommendations": ["2.1", "3.1", "3.2", "3.3", "3.4"], "visibility": "participants",
        "participants": [k for k, o in orgs.items() if o is not None and o.country == "RO"]})
    days = dt.timedelta
    actions = [
        ("Roundtable of ANITP, IGI and NGOs to launch the report and agree who leads what", coordinator_key,
         today - days(60), "done", "clarify"),
        ("Expert group maps the roles, duties and legal responsibilities of each agency", coordinator_key,
         today - days(10), "in_progress", "locate"),
        ("Plain-language briefing notes on TCNs' rights, with the immigration service", "demo-immigration",
         today + days(30), "planned", "inform"),
        ("Joint worksite inspections in construction, with NGO outreach workers", "demo-labour",
         today - days(5), "planned", "direct"),
        ("Train first-line staff on the standard screening questionnaire", "demo-ngo", today + days(60),
         "planned", "empower"),
        ("Referral protocol for children with the child-protection directorate", "demo-dgaspc-bucuresti",
         today + days(90), "planned", "alert"),
    ]
    for title, org_key, due, status, claimed in actions:
        if orgs.get(org_key) is None:
            continue
        services.plan_action_add(user=user, plan=plan, data={"title": title, "responsible": org_key,
                                                             "due_date": due, "status": status, "claimed": claimed})
    services.plan_kpi_add(user=user, plan=plan, data={
        "name": "Referrals accepted", "metric": "referrals_accepted", "target": "40", "unit": "per quarter",
        "definition": "Referrals to an agency of the country accepted in the quarter (declined ones not counted)."})
    signed = services.plan_kpi_add(user=user, plan=plan, data={
        "name": "Members that signed the network's terms of reference", "target": "12", "baseline": "3",
        "definition": "Organisations of the directory that signed the terms of reference (recommendation 2.1).",
        "source": "Network secretariat register"})
    trained = services.plan_kpi_add(user=user, plan=plan, data={
        "name": "Practitioners trained on the screening questionnaire", "target": "200", "baseline": "0",
        "unit": "people", "definition": "Staff of member organisations who completed the training.",
        "source": "Training attendance lists (counts only)"})
    q = (today.month - 1) // 3 + 1
    services.kpi_value_record(user=user, plan=plan, kpi=signed, data={"period": f"{today.year}-Q{q}", "value": "8"})
    services.kpi_value_record(user=user, plan=plan, kpi=trained, data={"period": f"{today.year}-Q{q}", "value": "45"})
    services.plan_kpis_refresh(user=user, plan=plan)
    services.briefing_note_add(user=user, plan=plan, data={"title": "Who does what (draft)", "language": "en",
                                                           "body": NOTE_EN})
    services.briefing_note_add(user=user, plan=plan, data={"title": "Cine ce face (ciornă)", "language": "ro",
                                                           "body": NOTE_RO})
    return {"organisations": len([o for o in orgs.values() if o is not None]), "responsibilities": len(MATRIX_RO),
            "plans": 1, "actions": plan.actions.count(), "kpis": plan.kpis.count()}
