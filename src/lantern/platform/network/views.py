"""Views of the network tools: the directory, the responsibility matrix, action plans (actions, KPIs, briefing
notes). Each validates a form, calls one service or selector, and renders; the plan's forms answer HTMX
requests with the plan's body swapped in place and plain posts with a redirect (422 with the errors)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lantern.errors import LanternError
from lantern.platform import vocab
from lantern.platform.cases.selectors import require
from lantern.platform.interventions.catalogue import catalogue, lang_of
from lantern.platform.network import kpis, selectors, services
from lantern.platform.network.forms import (
    ActionForm,
    ActionUpdateForm,
    KpiForm,
    KpiValueForm,
    NoteForm,
    OrganisationForm,
    PlanForm,
    ResponsibilityForm,
    area_label,
)
from lantern.platform.network.markdown import render_markdown
from lantern.platform.network.models import Organisation, Responsibility
from lantern.platform.roles import has_capability


def _lang(request) -> str:
    return lang_of(request.LANGUAGE_CODE)


def _call(form, fn):
    """Run the service on a valid form; (result or None). The service's problems go next to the fields."""
    if not form.is_valid():
        return None
    try:
        return fn(form.cleaned_data)
    except LanternError as exc:
        form.add_problems(exc.problems)
        return None


def _org_view(org: Organisation, lang: str) -> dict:
    cat = catalogue()
    by_strand: dict[str, list[str]] = {}
    for ident in org.interventions or []:
        try:
            i = cat.get(ident)
            by_strand.setdefault(cat.strand_label(i.strand, lang), []).append(i.label(lang))
        except LanternError:  # retired from the catalogue
            by_strand.setdefault("", []).append(ident)
    std = vocab.current()
    langs = []
    for code in org.languages or []:
        item = std.languages.get(code)
        langs.append((getattr(item, "name_ro", None) if lang == "ro" else None) or getattr(item, "name", code))
    return {"org": org, "type": vocab.code_label("agency_type", org.type), "country": vocab.code_label("country",
            org.country), "services": sorted(by_strand.items()), "languages": langs}


# -- directory ----------------------------------------------------------------------------------------------

@login_required
def directory(request):
    f = {k: request.GET.get(k, "").strip()[:80] for k in ("country", "type", "strand", "language", "q")}
    orgs = selectors.organisation_list(user=request.user, **f)
    lang = _lang(request)
    cat = catalogue()
    return render(request, "network/directory.html", {
        "rows": [_org_view(o, lang) for o in orgs], "f": f, "types": vocab.code_choices("agency_type"),
        "strands": [(k, cat.strand_label(k, lang)) for k in cat.strands],
        "countries": sorted({o.country for o in Organisation.objects.only("country")}),
        "can_edit": has_capability(request.user, "network.edit")})


def _org_data(form) -> dict:
    return {**form.cleaned_data, "interventions": form.cleaned_data.get("interventions") or []}


@login_required
def organisation_create(request):
    require(request.user, "network.edit", action="organisation.create", object_type="organisation")
    form = OrganisationForm(request.POST or None, lang=_lang(request),
                            initial={"country": request.user.agency.country})
    status = 200
    if request.method == "POST":
        org = _call(form, lambda d: services.organisation_create(user=request.user, data=_org_data(form)))
        if org is not None:
            messages.success(request, _("Organisation added to the directory."))
            return redirect("network-organisation", key=org.key)
        status = 422
    return render(request, "network/organisation_form.html", {"form": form, "org": None}, status=status)


@login_required
def organisation_detail(request, key):
    org = selectors.organisation_get(user=request.user, key=key)
    rows = [(area_label(r.area), r) for r in Responsibility.objects.filter(organisation=org)]
    return render(request, "network/organisation_detail.html", {
        **_org_view(org, _lang(request)), "responsibilities": rows,
        "can_edit": has_capability(request.user, "network.edit") and org.country == request.user.agency.country})


@login_required
def organisation_edit(request, key):
    require(request.user, "network.edit", action="organisation.update", object_type="organisation")
    org = selectors.organisation_get(user=request.user, key=key)
    initial = {k: getattr(org, k) for k in ("name", "type", "country", "region", "interventions", "contact_role",
                                            "contact_email", "website")}
    initial["languages"] = ", ".join(org.languages or [])
    form = OrganisationForm(request.POST or None, lang=_lang(request), editing=True, initial=initial)
    status = 200
    if request.method == "POST":
        done = _call(form, lambda d: services.organisation_update(user=request.user, organisation=org,
                                                                  data=_org_data(form)))
        if done is not None:
            messages.success(request, _("Organisation saved."))
            return redirect("network-organisation", key=org.key)
        status = 422
    return render(request, "network/organisation_form.html", {"form": form, "org": org}, status=status)


# -- responsibility matrix ----------------------------------------------------------------------------------

def _matrix_context(request, *, form=None):
    country = (request.GET.get("country") or request.user.agency.country or "").upper()[:2]
    rows = [{"area": area_label(r.area), "row": r, "type": vocab.code_label("agency_type", r.agency_type)}
            for r in selectors.responsibility_list(user=request.user, country=country)]
    can_edit = has_capability(request.user, "network.edit") and country == request.user.agency.country
    return {"rows": rows, "country": country, "country_label": vocab.code_label("country", country),
            "countries": sorted(set(Responsibility.objects.values_list("country", flat=True)) | {country}),
            "can_edit": can_edit, "form": form or (ResponsibilityForm() if can_edit else None),
            "unverified": sum(not r["row"].verified for r in rows)}


@login_required
def responsibilities(request):
    return render(request, "network/responsibilities.html", _matrix_context(request))


@login_required
@require_POST
def responsibility_create(request):
    require(request.user, "network.edit", action="responsibility.create", object_type="responsibility")
    form = ResponsibilityForm(request.POST)
    if _call(form, lambda d: services.responsibility_create(user=request.user, data=d)) is not None:
        messages.success(request, _("Responsibility added."))
        return redirect("network-responsibilities")
    return render(request, "network/responsibilities.html", _matrix_context(request, form=form), status=422)


@login_required
def responsibility_edit(request, pk):
    require(request.user, "network.edit", action="responsibility.update", object_type="responsibility")
    row = Responsibility.objects.select_related("organisation").filter(pk=pk).first()
    if row is None:
        raise Http404("No such responsibility")
    initial = {"area": row.area, "agency_type": row.agency_type, "legal_basis": row.legal_basis,
               "verified": row.verified, "notes": row.notes,
               "organisation": row.organisation.key if row.organisation_id else ""}
    form = ResponsibilityForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if _call(form, lambda d: services.responsibility_update(user=request.user, responsibility=row,
                                                                data=d)) is not None:
            messages.success(request, _("Responsibility saved."))
            return redirect("network-responsibilities")
        status = 422
    return render(request, "network/responsibility_form.html", {"form": form, "row": row,
                                                                "area": area_label(row.area)}, status=status)


# -- action plans -------------------------------------------------------------------------------------------

@login_required
def plan_list(request):
    plans = list(selectors.plan_list_for_user(user=request.user))
    overdue = selectors.overdue_actions_for_user(user=request.user)
    return render(request, "network/plan_list.html", {
        "plans": plans, "overdue": overdue, "can_edit": has_capability(request.user, "network.edit")})


@login_required
def plan_create(request):
    require(request.user, "network.edit", action="plan.create", object_type="plan")
    form = PlanForm(request.POST or None)
    status = 200
    if request.method == "POST":
        plan = _call(form, lambda d: services.plan_create(user=request.user, data=d))
        if plan is not None:
            messages.success(request, _("Action plan created."))
            return redirect("network-plan", ref=plan.ref)
        status = 422
    return render(request, "network/plan_form.html", {"form": form}, status=status)


@login_required
def plan_edit(request, ref):
    plan = _editable_plan(request, ref)
    initial = {"title": plan.title, "period_start": plan.period_start, "period_end": plan.period_end,
               "recommendations": plan.recommendations, "visibility": plan.visibility,
               "participants": [o.key for o in plan.participants.all()]}
    form = PlanForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if _call(form, lambda d: services.plan_update(user=request.user, plan=plan, data=d)) is not None:
            messages.success(request, _("Action plan saved."))
            return redirect("network-plan", ref=plan.ref)
        status = 422
    return render(request, "network/plan_form.html", {"form": form, "plan": plan}, status=status)


def _plan_context(request, plan, **forms):
    today = timezone.localdate()
    editable = selectors.can_edit_plan(request.user, plan)
    kpi_rows = []
    for kpi in plan.kpis.all():
        values = sorted(kpi.values.all(), key=lambda v: v.period)
        kpi_rows.append({"kpi": kpi, "values": values, "metric": kpis.METRICS.get(kpi.metric, ""),
                         "latest": values[-1] if values else None,
                         "form": (forms.get("value_forms") or {}).get(kpi.pk) or (
                             KpiValueForm(auto_id=f"id_kpi{kpi.pk}_%s") if editable and not kpi.metric else None)})
    actions = []
    for a in plan.actions.all():
        form = (forms.get("action_forms") or {}).get(a.pk) or (ActionUpdateForm(
            initial={"status": a.status, "due_date": a.due_date}, auto_id=f"id_action{a.pk}_%s") if editable else None)
        actions.append({"action": a, "overdue": a.is_overdue(today), "form": form})
    return {
        "plan": plan, "editable": editable, "actions": actions, "kpis": kpi_rows,
        "overdue": sum(r["overdue"] for r in actions),
        "notes": [(n, render_markdown(n.body)) for n in plan.notes.all()],
        "participants": sorted(plan.participants.all(), key=lambda o: o.name),
        "action_form": forms.get("action_form") or (ActionForm(initial={"status": "planned"}) if editable else None),
        "kpi_form": forms.get("kpi_form") or (KpiForm() if editable else None),
        "note_form": forms.get("note_form") or (NoteForm(initial={"language": _lang(request)}) if editable else None),
        "has_computed": any(k.metric for k in plan.kpis.all()),
    }


@login_required
def plan_detail(request, ref):
    plan = selectors.plan_get_for_user(user=request.user, ref=ref)
    return render(request, "network/plan_detail.html", _plan_context(request, plan))


def _plan_response(request, plan, *, ok: bool, message: str, **forms):
    if ok and not request.htmx:
        messages.success(request, message)
        return redirect("network-plan", ref=plan.ref)
    plan = selectors.plan_get_for_user(user=request.user, ref=plan.ref)  # fresh, with what was just written
    ctx = _plan_context(request, plan, **({} if ok else forms))
    if request.htmx:
        return render(request, "network/_plan_body.html", ctx)
    return render(request, "network/plan_detail.html", ctx, status=422)


def _editable_plan(request, ref):
    plan = selectors.plan_get_for_user(user=request.user, ref=ref, capability="network.edit")
    if not selectors.can_edit_plan(request.user, plan):
        raise Http404("No such plan")
    return plan


@login_required
@require_POST
def plan_action_add(request, ref):
    plan = _editable_plan(request, ref)
    form = ActionForm(request.POST)
    done = _call(form, lambda d: services.plan_action_add(user=request.user, plan=plan, data=d))
    return _plan_response(request, plan, ok=done is not None, message=_("Action added."), action_form=form)


@login_required
@require_POST
def plan_action_update(request, ref, action_id):
    plan = _editable_plan(request, ref)
    action = plan.actions.filter(pk=action_id).first()
    if action is None:
        raise Http404("No such action")
    form = ActionUpdateForm(request.POST, auto_id=f"id_action{action.pk}_%s")
    done = _call(form, lambda d: services.plan_action_update(user=request.user, plan=plan, action=action, data=d))
    return _plan_response(request, plan, ok=done is not None, message=_("Action saved."),
                          action_forms={action.pk: form})


@login_required
@require_POST
def plan_kpi_add(request, ref):
    plan = _editable_plan(request, ref)
    form = KpiForm(request.POST)
    done = _call(form, lambda d: services.plan_kpi_add(user=request.user, plan=plan, data=d))
    return _plan_response(request, plan, ok=done is not None, message=_("Indicator added."), kpi_form=form)


@login_required
@require_POST
def kpi_value_record(request, ref, kpi_id):
    plan = _editable_plan(request, ref)
    kpi = plan.kpis.filter(pk=kpi_id).first()
    if kpi is None:
        raise Http404("No such indicator")
    form = KpiValueForm(request.POST, auto_id=f"id_kpi{kpi.pk}_%s")
    done = _call(form, lambda d: services.kpi_value_record(user=request.user, plan=plan, kpi=kpi, data=d))
    return _plan_response(request, plan, ok=done is not None, message=_("Value recorded."),
                          value_forms={kpi.pk: form})


@login_required
@require_POST
def plan_kpis_refresh(request, ref):
    plan = _editable_plan(request, ref)
    services.plan_kpis_refresh(user=request.user, plan=plan)
    return _plan_response(request, plan, ok=True, message=_("Computed indicators refreshed."))


@login_required
@require_POST
def briefing_note_add(request, ref):
    plan = _editable_plan(request, ref)
    form = NoteForm(request.POST)
    done = _call(form, lambda d: services.briefing_note_add(user=request.user, plan=plan, data=d))
    return _plan_response(request, plan, ok=done is not None, message=_("Briefing note added."), note_form=form)
