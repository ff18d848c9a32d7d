"""Synthetic demo data: agencies of different types, a user of every role in each, and a few hundred
pseudonymous subjects with assessments and journeys.

The people come from the simulator (``lantern.simulate.simulate(scenario="romania", …)``) when it is
available; otherwise from a small generator here that draws answers for the standard's own indicators and
factors. Nothing is real personal data. Seeding is idempotent: a second run adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count

from lantern.platform import crypto, vocab
from lantern.platform.accounts.models import Agency, User
from lantern.platform.audit.services import audit_record
from lantern.platform.cases.models import (
    Assessment,
    JourneyLeg,
    Subject,
    SubjectIdentity,
    new_subject_ref,
)
from lantern.platform.roles import Role

# Demo agencies (key, name, type in the standard's agency_type list, region)
DEMO_AGENCIES = [
    ("demo-ngo", "Demo NGO Bucharest", "ngo", "Bucuresti"),
    ("demo-ngo-b", "Demo NGO Timisoara", "ngo", "Timis"),
    ("demo-police", "Demo Police", "police", "Bucuresti"),
    ("demo-border", "Demo Border Police", "border_police", "Iasi"),
    ("demo-immigration", "Demo Immigration Office", "immigration", "Bucuresti"),
    ("demo-labour", "Demo Labour Inspectorate", "labour_inspection", "Cluj"),
    ("demo-anti-trafficking", "Demo Anti-trafficking Agency", "anti_trafficking_agency", "Bucuresti"),
]
# The simulator's lists (agencies) and the demo agency that holds their interviews.
SIMULATOR_AGENCY = {"ngo_a": "demo-ngo", "ngo_b": "demo-ngo-b", "police": "demo-police",
                    "labour_inspection": "demo-labour", "border_police": "demo-border",
                    "immigration": "demo-immigration", "anti_trafficking_agency": "demo-anti-trafficking"}
# Synthetic origin countries and their demo weights (the simulator's Romania scenario has its own).
_ORIGINS = {"NP": 40, "LK": 14, "IN": 8, "BD": 6, "EG": 5, "PK": 5, "MA": 4, "TR": 4, "ET": 3, "PH": 3,
            "UA": 6, "MD": 2}
_GIVEN = ["Asha", "Ravi", "Sita", "Kamal", "Nimal", "Priya", "Omar", "Fatima", "Yusuf", "Aylin", "Olena",
          "Ivan", "Maria", "Jose", "Tesfaye", "Hana", "Rahul", "Anil", "Leila", "Samir"]
_FAMILY = ["Sharma", "Thapa", "Perera", "Silva", "Khan", "Hossain", "Hassan", "Yilmaz", "Kovalenko", "Santos",
           "Bekele", "Gurung", "Fernando", "Rahman", "Aziz", "Demir", "Shevchenko", "Reyes", "Tadesse", "Rai"]


@dataclass
class SeedResult:
    agencies: int = 0
    users: list[tuple[str, str, str]] = field(default_factory=list)  # (username, role, agency)
    subjects: int = 0
    assessments: int = 0
    legs: int = 0
    source: str = ""
    skipped: bool = False
    referrals: int = 0


def seed_accounts(*, password: str) -> tuple[list[Agency], list[tuple[str, str, str]]]:
    agencies = []
    for key, name, type_, region in DEMO_AGENCIES:
        agency, _ = Agency.objects.get_or_create(key=key, defaults={"name": name, "type": type_, "country": "RO",
                                                                    "region": region})
        agencies.append(agency)
    users = []
    for agency in agencies:
        short = agency.key.removeprefix("demo-")
        for role in Role.values:
            username = f"{short}-{role}".replace("_", "-")
            user = User.objects.filter(username=username).first()
            if user is None:  # (hashing is slow on purpose: only for new users)
                user = User(username=username, agency=agency, role=role, first_name=role.replace("_", " ").title())
                user.set_password(password)
                user.save()
            users.append((username, role, agency.name))
    return agencies, users


def _simulated(people: int, seed: int):
    """(assessment rows, legs by person, identities by person) from the simulator, or None when it is not
    available. About one person in twelve of the simulated population is interviewed, so the population is
    drawn larger and the first ``people`` interviewed persons are kept."""
    try:
        from lantern.simulate import simulate
    except ImportError:
        return None
    try:
        world = simulate(scenario="romania", people=max(1000, people * 16), seed=seed)
        assessments = world.assessments.to_dicts()
        journeys = world.journeys.to_dicts()
        people_rows = world.people.to_dicts()
    except Exception:  # the simulator is optional for the demo; fall back to the local generator
        return None
    keep: list[str] = []
    for row in assessments:
        ref = str(row.get("subject_ref"))
        if ref not in keep:
            keep.append(ref)
        if len(keep) >= people:
            break
    wanted = set(keep)
    rows = [r for r in assessments if str(r.get("subject_ref")) in wanted]
    for r in rows:
        r["agency"] = SIMULATOR_AGENCY.get(str(r.get("agency")), str(r.get("agency")))
    legs: dict[str, list[dict]] = {}
    for leg in sorted(journeys, key=lambda r: (str(r.get("person_id")), r.get("leg_no") or 0)):
        pid = str(leg.get("person_id"))
        if pid not in wanted:
            continue
        plan = legs.setdefault(pid, [])
        if not plan:  # the country of origin: a stay with no entry date
            plan.append({"to_country": leg.get("from_country"), "exit_date": leg.get("entry_date")})
        plan.append(leg)
    identities = {str(r["person_id"]): {k: r.get(k) for k in ("given_name", "family_name", "date_of_birth")}
                  for r in people_rows if str(r.get("person_id")) in wanted}
    return rows, legs, identities


def _generated(people: int, seed: int):
    std = vocab.current()
    rng = random.Random(seed)
    today = dt.date.today()
    cols = std.assessment_columns()
    rows, legs, identities = [], {}, {}
    origins, weights = list(_ORIGINS), list(_ORIGINS.values())
    code = {name: std.code_list(name).active_ids() for name in ("sex", "legal_status", "education", "sector",
                                                                 "exploitation_form", "leg_mode", "facilitator_type")}
    for i in range(people):
        pid = f"P{i:05d}"
        interview = today - dt.timedelta(days=rng.randint(1, 700))
        age = rng.randint(17, 58)
        risk = rng.random()
        row = {"assessment_id": f"demo-{pid}", "subject_ref": pid, "standard_version": std.version,
               "agency": rng.choices([a[0] for a in DEMO_AGENCIES], [30, 20, 10, 10, 10, 10, 10])[0],
               "interview_date": interview.isoformat(), "sex": rng.choice(code["sex"][:2]), "age": age,
               "citizenship": rng.choices(origins, weights)[0], "country_of_interview": "RO", "region": "",
               "legal_status": rng.choice(code["legal_status"]), "education": rng.choice(code["education"]),
               "sector": rng.choice(code["sector"]),
               "exploitation_form": rng.choice(code["exploitation_form"]) if risk > 0.6 else ""}
        for c in cols:
            if c.kind in ("indicator", "factor"):
                p_yes = 0.05 + 0.35 * risk if c.kind == "indicator" else 0.25
                u = rng.random()
                row[c.name] = None if u < 0.08 else (1 if u < 0.08 + p_yes else 0)
        rows.append(row)
        start = interview - dt.timedelta(days=rng.randint(60, 900))
        route = [row["citizenship"]] + (["MD"] if row["citizenship"] == "UA" else rng.choice([[], ["AE"], ["TR"], ["HU"]])) + ["RO"]
        plan, day = [], start
        for k, country in enumerate(route):
            stay = rng.randint(2, 40) if 0 < k < len(route) - 1 else rng.randint(5, 60)
            plan.append({"person_id": pid, "leg_no": k + 1, "to_country": country,
                         "entry_date": None if k == 0 else day, "exit_date": None if k == len(route) - 1 else day + dt.timedelta(days=stay),
                         "mode": "" if k == 0 else rng.choice(code["leg_mode"][:3]),
                         "facilitator_type": "" if k == 0 else rng.choice(code["facilitator_type"])})
            day = day + dt.timedelta(days=stay + 1)
        legs[pid] = plan
        dob = interview - dt.timedelta(days=age * 365 + rng.randint(0, 360))
        identities[pid] = {"given_name": rng.choice(_GIVEN), "family_name": rng.choice(_FAMILY),
                           "date_of_birth": dob.isoformat()}
    return rows, legs, identities


def _flag(value) -> str:
    if value is None or value == "":
        return "unknown"
    return "yes" if int(value) == 1 else "no"


def _date(value):
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


@transaction.atomic
def seed_demo(*, people: int = 300, seed: int = 20261204, password: str) -> SeedResult:
    result = SeedResult()
    agencies, result.users = seed_accounts(password=password)
    result.agencies = len(agencies)
    if Assessment.objects.filter(source="demo").exists():
        result.skipped = True
        return result
    data = _simulated(people, seed)
    result.source = "simulator" if data else "generator"
    rows, legs_by_person, identities = data or _generated(people, seed)
    std = vocab.current()
    caseworkers = {u.agency_id: u for u in User.objects.filter(role=Role.CASEWORKER, agency__in=agencies)}
    sim_agencies = sorted({str(r.get("agency") or "") for r in rows})
    by_type = {a.type: a for a in agencies}
    agency_for = {}
    by_key = {a.key: a for a in agencies}
    for i, key in enumerate(sim_agencies):
        agency_for[key] = by_key.get(key) or next((a for t, a in by_type.items() if t in key or key in t), agencies[i % len(agencies)])
    subjects: dict[str, Subject] = {}
    indicator_ids = set(vocab.indicator_ids(std=std))
    factor_ids = set(vocab.factor_ids(std=std))
    assessments = []
    for row in rows:
        # each agency holds its own pseudonymous record of a person (records are not shared by default)
        agency = agency_for.get(str(row.get("agency") or ""), agencies[0])
        key = (str(row.get("subject_ref")), agency.key)
        if key not in subjects:
            subjects[key] = Subject(ref=new_subject_ref(), agency=agency, created_by=caseworkers[agency.pk])
        interview = _date(row.get("interview_date")) or dt.date.today()
        assessments.append(Assessment(
            subject=subjects[key], agency=agency, created_by=caseworkers[agency.pk],
            standard_version=std.version, interview_date=interview, sex=row.get("sex") or "",
            age=row.get("age"), citizenship=row.get("citizenship") or "",
            country_of_interview=row.get("country_of_interview") or "", region=row.get("region") or "",
            legal_status=row.get("legal_status") or "", education=row.get("education") or "",
            sector=row.get("sector") or "", exploitation_form=row.get("exploitation_form") or "",
            identified_victim=_flag(row.get("identified_victim")),
            indicators={k: _flag(row.get(k)) for k in indicator_ids}, factors={k: _flag(row.get(k)) for k in factor_ids},
            source="demo", external_id=str(row.get("assessment_id") or "")[:100],
        ))
    Subject.objects.bulk_create(subjects.values())
    for a in assessments:
        a.subject_id = a.subject.pk
    Assessment.objects.bulk_create(assessments, batch_size=500)
    idents, legs = [], []
    for (pid, _agency), subject in subjects.items():
        ident = identities.get(pid)
        if ident:
            dob = _date(ident.get("date_of_birth"))
            idents.append(SubjectIdentity(subject=subject, given_name=ident.get("given_name") or "",
                                          family_name=ident.get("family_name") or "",
                                          date_of_birth=dob.isoformat() if dob else "",
                                          name_index=crypto.blind_index(ident.get("given_name"), ident.get("family_name"))))
        previous = None
        k = 0
        for leg in legs_by_person.get(pid, []):
            country = str(leg.get("to_country") or leg.get("country") or "")
            if not vocab.is_country(country, std=std):
                continue
            k += 1
            legs.append(JourneyLeg(
                subject=subject, order=k, country=country, entry_date=_date(leg.get("entry_date")),
                exit_date=_date(leg.get("exit_date")), mode=leg.get("mode") or "",
                crossing_point=str(leg.get("crossing_point") or "")[:120], facilitator_type=leg.get("facilitator_type") or "",
                intra_eu=bool(previous and previous != country and vocab.is_eu(previous, std=std) and vocab.is_eu(country, std=std)),
            ))
            previous = country
    SubjectIdentity.objects.bulk_create(idents, batch_size=500)
    JourneyLeg.objects.bulk_create(legs, batch_size=1000)
    result.subjects, result.assessments, result.legs = len(subjects), len(assessments), len(legs)
    result.referrals = seed_referrals()
    from lantern.platform.network.seed import seed_network

    seed_network()  # directory, responsibility matrix, one action plan (no person data)
    audit_record(actor=None, action="demo.seed", detail=f"subjects={result.subjects} assessments={result.assessments}",
                 channel="cli")
    return result


def share_demo_registers(*, recipient_key: str = "demo-anti-trafficking") -> list[str]:
    """In the demo, every other agency's administrator agrees to contribute its register to the national
    anti-trafficking agency's cross-source report (through the audited service, as an admin would on
    ``/analytics/sharing/``), so that its analyst's page has something to link. Returns the contributors."""
    from lantern.platform.analytics.services import sharing_enable

    if not Agency.objects.filter(key=recipient_key).exists():
        return []
    shared = []
    admins = User.objects.filter(role=Role.AGENCY_ADMIN).exclude(agency__key=recipient_key).select_related("agency")
    for admin in admins.order_by("agency__key"):
        sharing_enable(user=admin, recipient_key=recipient_key)
        shared.append(admin.agency.key)
    return shared


# Demo referrals: (sending agency, receiving agency, consent scope — "override" for a supervisor's referral
# without consent —, intervention, note, what happens next)
_DEMO_REFERRALS = [
    ("demo-ngo", "demo-labour", "referral_network", "labour.inspection_referral",
     "Unpaid wages for four months on a construction site; asks for an inspection.", "accept"),
    ("demo-ngo", "demo-police", "named_agency", "justice.police_referral",
     "Reports threats by the recruiter; willing to talk to an investigator with an interpreter.", ""),
    ("demo-ngo", "demo-anti-trafficking", "referral_network", "protection.identification_referral",
     "Several strong indicators of labour exploitation; needs formal identification.", "decline"),
    ("demo-ngo", "demo-immigration", "referral_network", "rights.residence_permit_counselling",
     "Permit tied to the employer expires soon; needs advice on a change of employer.", "close"),
    ("demo-ngo", "demo-police", "referral_network", "justice.recruiter_investigation",
     "Recruitment fee paid abroad; documents kept by the employer.", "withdraw"),
    ("demo-ngo-b", "demo-ngo", "override", "protection.emergency_shelter",
     "Needs a shelter place tonight.", ""),
]


def seed_referrals() -> int:
    """A few referrals between the demo agencies in every state (sent, accepted, declined, closed, withdrawn;
    one a supervisor's override), made through the audited services with the demo users. Returns how many;
    a referral the rules refuse is skipped (the demo never fails on it)."""
    from lantern.errors import LanternError
    from lantern.platform.cases.services import consent_record
    from lantern.platform.referrals import services as referrals

    agencies = {a.key: a for a in Agency.objects.all()}
    users = {(u.agency.key, u.role): u for u in User.objects.select_related("agency").filter(
        role__in=[Role.CASEWORKER, Role.SUPERVISOR])}
    used: set[int] = set()
    made = 0
    for sender, receiver, scope, intervention, note, then in _DEMO_REFERRALS:
        if sender not in agencies or receiver not in agencies:
            continue
        free = Subject.objects.exclude(pk__in=used)
        if not free.filter(agency=agencies[sender]).exists():  # a small demo: refer from the busiest agency
            busiest = (free.values("agency__key").annotate(n=Count("id")).order_by("-n", "agency__key").first())
            if busiest is None:
                break
            sender, receiver = busiest["agency__key"], (sender if busiest["agency__key"] == receiver else receiver)
        subject = free.filter(agency=agencies[sender]).order_by("id").first()
        cw, sup = users.get((sender, Role.CASEWORKER)), users.get((sender, Role.SUPERVISOR))
        their_cw = users.get((receiver, Role.CASEWORKER))
        if subject is None or cw is None or sup is None or their_cw is None:
            continue
        used.add(subject.pk)
        try:
            if scope == "override":
                referral = referrals.referral_send(user=sup, subject=subject, to_agency=agencies[receiver],
                                                   intervention=intervention, note=note,
                                                   override_reason="Immediate danger; the person could not be "
                                                                   "asked before the move.")
            else:
                consent = consent_record(user=cw, subject=subject, purpose="referral", scope=scope,
                                         agency=agencies[receiver] if scope == "named_agency" else None,
                                         given_on=dt.date.today().isoformat(), given_by="subject")
                referral = referrals.referral_send(user=cw, subject=subject, to_agency=agencies[receiver],
                                                   consent=consent, intervention=intervention, note=note)
            if then in ("accept", "close"):
                referrals.referral_accept(user=their_cw, referral=referral)
            if then == "close":
                referrals.referral_close(user=their_cw, referral=referral, reason="Advice given.")
            elif then == "decline":
                referrals.referral_decline(user=their_cw, referral=referral,
                                           reason="Already assisted under another referral.")
            elif then == "withdraw":
                referrals.referral_withdraw(user=cw, referral=referral, reason="The person moved to another city.")
        except LanternError:
            continue
        made += 1
    return made
