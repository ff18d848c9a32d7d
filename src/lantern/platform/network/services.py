"""Audited writes of the network tools. Each service checks ``network.edit`` before its transaction (so the
audit row of a refusal survives), validates everything (all problems at once, nothing saved on a problem),
writes, and appends an audit row naming the object and the changed field names — never a value.

Coordinators edit the directory and the responsibility matrix of their own agency's country, and the action
plans their agency owns or takes part in (``selectors.can_edit_plan``; any other plan answers 404)."""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from lantern.errors import Problem, ValidationError
from lantern.platform import vocab
from lantern.platform.audit.models import Outcome
from lantern.platform.audit.services import audit_record
from lantern.platform.cases.selectors import require
from lantern.platform.network import kpis
from lantern.platform.network.models import (
    ActionPlan,
    ActionStatus,
    BriefingNote,
    Claimed,
    Kpi,
    KpiValue,
    Organisation,
    PlanAction,
    Responsibility,
    Visibility,
)
from lantern.platform.network.selectors import can_edit_plan

#: areas of responsibility of the matrix (recommendations 3.3, 3.4)
AREAS = ("identification", "assistance_shelter", "reflection_period", "residence_permit", "labour_inspection",
         "criminal_investigation", "child_protection", "return", "coordination")
#: the recommendations of the mission report a plan may cite
RECOMMENDATIONS = tuple(f"{t}.{n}" for t in range(1, 5) for n in range(1, 5))
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{1,58}[a-z0-9]$")
LANGUAGES_MAX = 30
TEXT_MAX = 300
NOTE_MAX = 20000


def _edit(action: str, object_type: str):
    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            user = kwargs["user"]
            require(user, "network.edit", action=action, object_type=object_type)
            plan = kwargs.get("plan")
            if plan is not None and not can_edit_plan(user, plan):
                audit_record(actor=user, action=action, object_type="plan", object_ref=plan.ref,
                             outcome=Outcome.NOT_FOUND)
                raise Http404("No such plan")
            try:
                with transaction.atomic():
                    return fn(*args, **kwargs)
            except ValidationError as exc:
                audit_record(actor=user, action=action, object_type=object_type,
                             object_ref=plan.ref if plan is not None else "", outcome=Outcome.INVALID,
                             detail="fields=" + ",".join(sorted({p.field or "" for p in exc.problems})))
                raise
            except PermissionDenied:  # another country's entry: audited after the rollback, so the row stays
                audit_record(actor=user, action=action, object_type=object_type, outcome=Outcome.DENIED,
                             detail="other country")
                raise

        return wrapper

    return deco


def _text(data: dict, name: str, problems: list[Problem], *, required: bool = False, limit: int = TEXT_MAX) -> str:
    text = str(data.get(name) or "").strip()
    if required and not text:
        problems.append(Problem("is required", field=name))
    elif len(text) > limit:
        problems.append(Problem(f"is longer than {limit} characters", field=name))
    return text


def _date(data: dict, name: str, problems: list[Problem], *, required: bool = True) -> dt.date | None:
    value = data.get(name)
    if isinstance(value, dt.date):
        return value
    if not value:
        if required:
            problems.append(Problem("is required", field=name))
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        problems.append(Problem("must be a date (YYYY-MM-DD)", field=name))
        return None


def _decimal(data: dict, name: str, problems: list[Problem]) -> Decimal | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    try:
        d = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        problems.append(Problem("must be a number", field=name))
        return None
    if not d.is_finite() or abs(d) >= Decimal("1e10"):
        problems.append(Problem("must be a number below 10,000,000,000", field=name))
        return None
    return d.quantize(Decimal("0.01"))


def _list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = re.split(r"[,\s]+", value)
    return [str(v).strip() for v in value if str(v).strip()]


def _same_country(user, country: str, action: str, object_type: str) -> None:
    """Coordinators edit their own country's directory and matrix (403 otherwise, audited by ``_edit``)."""
    if user.agency.country != country:
        raise PermissionDenied


# -- directory ----------------------------------------------------------------------------------------------

def _organisation_fields(data: dict, problems: list[Problem], *, std) -> dict[str, Any]:
    from lantern.platform.interventions.catalogue import catalogue

    out: dict[str, Any] = {"name": _text(data, "name", problems, required=True, limit=200),
                           "region": _text(data, "region", problems, limit=120),
                           "contact_role": _text(data, "contact_role", problems, limit=120)}
    type_ = str(data.get("type") or "")
    if not vocab.in_code_list("agency_type", type_, std=std):
        problems.append(Problem("must be a type of the standard's agency_type list", field="type"))
    out["type"] = type_
    country = str(data.get("country") or "").upper()
    if not vocab.is_country(country, std=std):
        problems.append(Problem("must be an ISO 3166-1 alpha-2 country code", field="country"))
    out["country"] = country
    ids = {i.id for i in catalogue(std.version).interventions}
    interventions = _list(data.get("interventions"))
    bad = [i for i in interventions if i not in ids]
    if bad:
        problems.append(Problem(f"not in the interventions catalogue: {', '.join(bad[:5])}", field="interventions"))
    out["interventions"] = sorted(set(interventions))
    languages = [x.lower() for x in _list(data.get("languages"))]
    bad = [x for x in languages if x not in std.languages]
    if bad:
        problems.append(Problem(f"not an ISO 639 language of the standard: {', '.join(bad[:5])}", field="languages"))
    if len(languages) > LANGUAGES_MAX:
        problems.append(Problem(f"at most {LANGUAGES_MAX} languages", field="languages"))
    out["languages"] = list(dict.fromkeys(languages))
    email = _text(data, "contact_email", problems, limit=254)
    if email:
        try:
            EmailValidator()(email)
        except DjangoValidationError:
            problems.append(Problem("must be an e-mail address (a role mailbox)", field="contact_email"))
    out["contact_email"] = email
    website = _text(data, "website", problems, limit=200)
    if website:
        try:
            URLValidator(schemes=["http", "https"])(website)
        except DjangoValidationError:
            problems.append(Problem("must be an http(s) address", field="website"))
    out["website"] = website
    out["standard_version"] = std.version
    return out


@_edit("organisation.create", "organisation")
def organisation_create(*, user, data: dict, agency=None) -> Organisation:
    """A directory entry (``agency``: the platform agency it is, if any). ``data``: key, name, type, country,
    region, interventions, languages, contact_role, contact_email, website."""
    std = vocab.current()
    problems: list[Problem] = []
    key = str(data.get("key") or "").strip().lower()
    if not _KEY.match(key):
        problems.append(Problem("3 to 60 lower-case letters, digits and dashes", field="key"))
    elif Organisation.objects.filter(key=key).exists():
        problems.append(Problem("is taken by another organisation", field="key"))
    fields = _organisation_fields(data, problems, std=std)
    if agency is not None and Organisation.objects.filter(agency=agency).exists():
        problems.append(Problem("this platform agency is already in the directory", field="agency"))
    if problems:
        raise ValidationError(problems)
    _same_country(user, fields["country"], "organisation.create", "organisation")
    org = Organisation.objects.create(key=key, agency=agency, updated_by=user, **fields)
    audit_record(actor=user, action="organisation.create", object_type="organisation", object_ref=org.key)
    return org


@_edit("organisation.update", "organisation")
def organisation_update(*, user, organisation: Organisation, data: dict) -> Organisation:
    std = vocab.current()
    _same_country(user, organisation.country, "organisation.update", "organisation")
    problems: list[Problem] = []
    fields = _organisation_fields(data, problems, std=std)
    if problems:
        raise ValidationError(problems)
    _same_country(user, fields["country"], "organisation.update", "organisation")
    changed = sorted(k for k, v in fields.items() if getattr(organisation, k) != v and k != "standard_version")
    for k, v in fields.items():
        setattr(organisation, k, v)
    organisation.updated_at, organisation.updated_by = timezone.now(), user
    organisation.save()
    audit_record(actor=user, action="organisation.update", object_type="organisation", object_ref=organisation.key,
                 detail="fields=" + ",".join(changed))
    return organisation


# -- responsibility matrix ----------------------------------------------------------------------------------

def _responsibility_fields(data: dict, problems: list[Problem]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    area = str(data.get("area") or "")
    if area not in AREAS:
        problems.append(Problem(f"must be one of {', '.join(AREAS)}", field="area"))
    out["area"] = area
    type_ = str(data.get("agency_type") or "")
    if type_ and not vocab.in_code_list("agency_type", type_):
        problems.append(Problem("must be a type of the standard's agency_type list", field="agency_type"))
    out["agency_type"] = type_
    org = data.get("organisation") or None
    if org is not None and not isinstance(org, Organisation):
        org = Organisation.objects.filter(key=str(org)).first()
        if org is None:
            problems.append(Problem("no such organisation in the directory", field="organisation"))
    out["organisation"] = org
    if not type_ and org is None:
        problems.append(Problem("name an organisation type or an organisation", field="agency_type"))
    out["legal_basis"] = _text(data, "legal_basis", problems, required=True, limit=2000)
    out["notes"] = _text(data, "notes", problems, limit=2000)
    out["verified"] = str(data.get("verified", "")).lower() in ("1", "true", "on", "yes")
    return out


@_edit("responsibility.create", "responsibility")
def responsibility_create(*, user, data: dict) -> Responsibility:
    """A row of the matrix in the user's agency's country."""
    problems: list[Problem] = []
    fields = _responsibility_fields(data, problems)
    if problems:
        raise ValidationError(problems)
    row = Responsibility.objects.create(country=user.agency.country, updated_by=user, **fields)
    audit_record(actor=user, action="responsibility.create", object_type="responsibility", object_ref=str(row.pk),
                 detail=f"area={row.area} verified={int(row.verified)}")
    return row


@_edit("responsibility.update", "responsibility")
def responsibility_update(*, user, responsibility: Responsibility, data: dict) -> Responsibility:
    _same_country(user, responsibility.country, "responsibility.update", "responsibility")
    problems: list[Problem] = []
    fields = _responsibility_fields(data, problems)
    if problems:
        raise ValidationError(problems)
    changed = sorted(k for k, v in fields.items() if getattr(responsibility, k) != v)
    for k, v in fields.items():
        setattr(responsibility, k, v)
    responsibility.updated_at, responsibility.updated_by = timezone.now(), user
    responsibility.save()
    audit_record(actor=user, action="responsibility.update", object_type="responsibility",
                 object_ref=str(responsibility.pk), detail="fields=" + ",".join(changed))
    return responsibility


# -- action plans -------------------------------------------------------------------------------------------

def _organisations(keys, problems: list[Problem], field: str) -> list[Organisation]:
    keys = _list(keys)
    orgs = list(Organisation.objects.filter(key__in=keys))
    missing = sorted(set(keys) - {o.key for o in orgs})
    if missing:
        problems.append(Problem(f"not in the directory: {', '.join(missing[:5])}", field=field))
    return orgs


@_edit("plan.create", "plan")
def plan_create(*, user, data: dict) -> ActionPlan:
    """A plan of the user's agency (its country): title, period_start, period_end, recommendations (ids of the
    report), visibility, participants (directory keys)."""
    problems: list[Problem] = []
    title = _text(data, "title", problems, required=True, limit=200)
    start, end = _date(data, "period_start", problems), _date(data, "period_end", problems)
    if start and end and end < start:
        problems.append(Problem("must not be before the start", field="period_end"))
    recs = _list(data.get("recommendations"))
    bad = [r for r in recs if r not in RECOMMENDATIONS]
    if bad:
        problems.append(Problem(f"not a recommendation of the report: {', '.join(bad[:5])}",
                                field="recommendations"))
    visibility = str(data.get("visibility") or Visibility.PARTICIPANTS)
    if visibility not in Visibility.values:
        problems.append(Problem(f"must be one of {', '.join(Visibility.values)}", field="visibility"))
    participants = _organisations(data.get("participants"), problems, "participants")
    if problems:
        raise ValidationError(problems)
    plan = ActionPlan.objects.create(title=title, country=user.agency.country, period_start=start, period_end=end,
                                     recommendations=sorted(set(recs), key=RECOMMENDATIONS.index),
                                     owner=user.agency, visibility=visibility, created_by=user)
    plan.participants.set(participants)
    audit_record(actor=user, action="plan.create", object_type="plan", object_ref=plan.ref,
                 detail=f"participants={len(participants)} visibility={visibility}")
    return plan


@_edit("plan.update", "plan")
def plan_update(*, user, plan: ActionPlan, data: dict) -> ActionPlan:
    """Change a plan's title, period, recommendations, visibility and participants. The organisations
    responsible for its actions stay participants (they must keep reading their tasks)."""
    problems: list[Problem] = []
    title = _text(data, "title", problems, required=True, limit=200)
    start, end = _date(data, "period_start", problems), _date(data, "period_end", problems)
    if start and end and end < start:
        problems.append(Problem("must not be before the start", field="period_end"))
    recs = _list(data.get("recommendations"))
    bad = [r for r in recs if r not in RECOMMENDATIONS]
    if bad:
        problems.append(Problem(f"not a recommendation of the report: {', '.join(bad[:5])}",
                                field="recommendations"))
    visibility = str(data.get("visibility") or "")
    if visibility not in Visibility.values:
        problems.append(Problem(f"must be one of {', '.join(Visibility.values)}", field="visibility"))
    participants = _organisations(data.get("participants"), problems, "participants")
    if problems:
        raise ValidationError(problems)
    responsible = {a.responsible for a in plan.actions.select_related("responsible")}
    new = {"title": title, "period_start": start, "period_end": end,
           "recommendations": sorted(set(recs), key=RECOMMENDATIONS.index), "visibility": visibility}
    changed = sorted(k for k, v in new.items() if getattr(plan, k) != v)
    wanted = set(participants) | responsible
    if wanted != set(plan.participants.all()):
        changed.append("participants")
    for k, v in new.items():
        setattr(plan, k, v)
    plan.updated_at = timezone.now()
    plan.save()
    plan.participants.set(wanted)
    audit_record(actor=user, action="plan.update", object_type="plan", object_ref=plan.ref,
                 detail="fields=" + ",".join(changed))
    return plan


def _touch(plan: ActionPlan) -> None:
    plan.updated_at = timezone.now()
    plan.save(update_fields=["updated_at"])


def _action_fields(data: dict, problems: list[Problem], *, partial: bool = False,
                   action: PlanAction | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not partial or "title" in data:
        out["title"] = _text(data, "title", problems, required=True)
    if not partial or "responsible" in data:
        orgs = _organisations(data.get("responsible"), problems, "responsible")
        if len(orgs) != 1 and not any(p.field == "responsible" for p in problems):
            problems.append(Problem("name one organisation of the directory", field="responsible"))
        out["responsible"] = orgs[0] if len(orgs) == 1 else None
    if not partial or "due_date" in data:
        out["due_date"] = _date(data, "due_date", problems)
    if not partial or "status" in data:
        status = str(data.get("status") or ActionStatus.PLANNED)
        if status not in ActionStatus.values:
            problems.append(Problem(f"must be one of {', '.join(ActionStatus.values)}", field="status"))
        out["status"] = status
    if not partial or "claimed" in data:
        claimed = str(data.get("claimed") or "")
        if claimed and claimed not in Claimed.values:
            problems.append(Problem(f"must be one of {', '.join(Claimed.values)} (or empty)", field="claimed"))
        out["claimed"] = claimed
    return out


@_edit("plan.action_add", "plan")
def plan_action_add(*, user, plan: ActionPlan, data: dict) -> PlanAction:
    """An action of the plan; its responsible organisation becomes a participant (and so sees the plan)."""
    problems: list[Problem] = []
    fields = _action_fields(data, problems)
    if problems:
        raise ValidationError(problems)
    action = PlanAction.objects.create(plan=plan, **fields)
    plan.participants.add(action.responsible)
    _touch(plan)
    audit_record(actor=user, action="plan.action_add", object_type="plan", object_ref=plan.ref,
                 detail=f"action={action.pk} responsible={action.responsible.key}")
    return action


@_edit("plan.action_update", "plan")
def plan_action_update(*, user, plan: ActionPlan, action: PlanAction, data: dict) -> PlanAction:
    """Change some of an action's fields (status, due date, responsible …)."""
    if action.plan_id != plan.pk:
        raise Http404("No such action")
    problems: list[Problem] = []
    fields = _action_fields(data, problems, partial=True)
    if problems:
        raise ValidationError(problems)
    changed = sorted(k for k, v in fields.items() if getattr(action, k) != v)
    for k, v in fields.items():
        setattr(action, k, v)
    action.updated_at = timezone.now()
    action.save()
    plan.participants.add(action.responsible)
    _touch(plan)
    audit_record(actor=user, action="plan.action_update", object_type="plan", object_ref=plan.ref,
                 detail=f"action={action.pk} fields=" + ",".join(changed))
    return action


@_edit("plan.kpi_add", "plan")
def plan_kpi_add(*, user, plan: ActionPlan, data: dict) -> Kpi:
    """A KPI: name, definition, target, baseline, unit, source; ``metric`` (kpis.METRICS) to compute it from the
    platform's disclosure-controlled aggregates instead of entering values by hand."""
    problems: list[Problem] = []
    name = _text(data, "name", problems, required=True, limit=200)
    definition = _text(data, "definition", problems, required=True, limit=2000)
    metric = str(data.get("metric") or "")
    if metric and metric not in kpis.METRICS:
        problems.append(Problem(f"must be one of {', '.join(kpis.METRICS)} (or empty)", field="metric"))
    target, baseline = _decimal(data, "target", problems), _decimal(data, "baseline", problems)
    unit = _text(data, "unit", problems, limit=40)
    source = _text(data, "source", problems)
    if problems:
        raise ValidationError(problems)
    kpi = Kpi.objects.create(plan=plan, name=name, definition=definition, metric=metric, target=target,
                             baseline=baseline, unit=unit,
                             source=source or ("Lantern platform, disclosure-controlled (threshold 11)" if metric
                                               else ""))
    _touch(plan)
    audit_record(actor=user, action="plan.kpi_add", object_type="plan", object_ref=plan.ref,
                 detail=f"kpi={kpi.pk} metric={metric or 'manual'}")
    return kpi


@_edit("plan.kpi_value", "plan")
def kpi_value_record(*, user, plan: ActionPlan, kpi: Kpi, data: dict) -> KpiValue:
    """A measured value entered by hand for one period (replaces that period's value). Computed KPIs refuse."""
    if kpi.plan_id != plan.pk:
        raise Http404("No such indicator")
    problems: list[Problem] = []
    if kpi.metric:
        problems.append(Problem("is computed by the platform: refresh it instead", field="value"))
    period = str(data.get("period") or "").strip().upper()
    try:
        kpis.period_range(period)
    except ValidationError as exc:
        problems.extend(exc.problems)
    value = _decimal(data, "value", problems)
    if value is None and not any(p.field == "value" for p in problems):
        problems.append(Problem("is required", field="value"))
    source = _text(data, "source", problems)
    if problems:
        raise ValidationError(problems)
    row, _created = KpiValue.objects.update_or_create(
        kpi=kpi, period=period, defaults={"value": value, "suppressed": False, "computed": False, "source": source,
                                          "recorded_at": timezone.now(), "recorded_by": user})
    _touch(plan)
    audit_record(actor=user, action="plan.kpi_value", object_type="plan", object_ref=plan.ref,
                 detail=f"kpi={kpi.pk} period={period}")
    return row


@_edit("plan.kpi_refresh", "plan")
def plan_kpis_refresh(*, user, plan: ActionPlan, today: dt.date | None = None) -> int:
    """(Re)compute every computed KPI of the plan for each quarter of its period up to today. Only
    disclosure-controlled aggregates are stored. Returns the number of values written."""
    today = today or timezone.localdate()
    periods = kpis.quarters(plan.period_start, min(plan.period_end, today)) if plan.period_start <= today else []
    n = 0
    for kpi in plan.kpis.exclude(metric=""):
        for period in periods:
            m = kpis.compute(kpi.metric, country=plan.country, period=period)
            KpiValue.objects.update_or_create(
                kpi=kpi, period=period, defaults={"value": m.value, "suppressed": m.suppressed, "computed": True,
                                                  "source": kpi.source, "recorded_at": timezone.now(),
                                                  "recorded_by": user})
            n += 1
    _touch(plan)
    audit_record(actor=user, action="plan.kpi_refresh", object_type="plan", object_ref=plan.ref,
                 detail=f"values={n}")
    return n


@_edit("plan.note_add", "plan")
def briefing_note_add(*, user, plan: ActionPlan, data: dict) -> BriefingNote:
    """A plain-language briefing note (markdown; rendered with raw HTML escaped) in English or Romanian."""
    problems: list[Problem] = []
    title = _text(data, "title", problems, required=True, limit=200)
    body = _text(data, "body", problems, required=True, limit=NOTE_MAX)
    language = str(data.get("language") or "en")
    if language not in ("en", "ro"):
        problems.append(Problem("must be en or ro", field="language"))
    if problems:
        raise ValidationError(problems)
    note = BriefingNote.objects.create(plan=plan, title=title, body=body, language=language, created_by=user)
    _touch(plan)
    audit_record(actor=user, action="plan.note_add", object_type="plan", object_ref=plan.ref,
                 detail=f"note={note.pk} language={language}")
    return note
