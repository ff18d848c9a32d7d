"""Views: the intervention plan of a subject (HTMX partial updates, plain forms without JavaScript) and the
public toolkit (no sign-in): interactive page and PDF."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from lantern.errors import LanternError
from lantern.platform import vocab
from lantern.platform.cases import selectors as case_selectors
from lantern.platform.interventions import selectors, services
from lantern.platform.interventions.catalogue import (
    LEVEL_LABELS,
    LEVELS,
    catalogue,
    explain,
    lang_of,
)
from lantern.platform.interventions.forms import PlanItemAddForm, PlanItemUpdateForm
from lantern.platform.roles import has_capability

# -- the plan ------------------------------------------------------------------------------------------------


def _item_rows(request, subject, items, bound: dict | None = None):
    lang = lang_of(request.LANGUAGE_CODE)
    today = timezone.localdate()
    rows = []
    for item in items:
        cat = catalogue(item.standard_version)
        try:
            intervention = cat.get(item.intervention)
            label, strand = intervention.label(lang), cat.strand_label(intervention.strand, lang)
        except Exception:  # retired from a later catalogue: show the id
            label, strand = item.intervention, ""
        editable = has_capability(request.user, "case.write") and item.agency_id == request.user.agency_id
        form = (bound or {}).get(item.pk) or (PlanItemUpdateForm(
            initial={"status": item.status, "due_date": item.due_date, "provider": item.provider, "note": item.note},
            auto_id=f"id_item{item.pk}_%s") if editable else None)
        rows.append({"item": item, "label": label, "strand": strand, "overdue": item.is_overdue(today),
                     "provider": vocab.code_label("agency_type", item.provider) if item.provider else "",
                     "editable": editable, "form": form})
    return rows


def _plan_context(request, subject, *, add_form=None, bound=None):
    items = list(selectors.plan_for_subject(user=request.user, subject=subject))
    can_write = has_capability(request.user, "case.write")
    rows = _item_rows(request, subject, items, bound)
    if add_form is None and can_write:
        add_form = PlanItemAddForm(lang=request.LANGUAGE_CODE, initial={
            "due_date": timezone.localdate() + dt.timedelta(days=7), "status": "planned"})
    return {"subject": subject, "rows": rows, "can_write": can_write, "add_form": add_form,
            "overdue": sum(r["overdue"] for r in rows)}


def _plan_response(request, subject, *, status=200, **kwargs):
    ctx = _plan_context(request, subject, **kwargs)
    if request.htmx:
        return render(request, "interventions/_plan.html", ctx, status=status if status != 422 else 200)
    ctx.update(_page_extras(request, subject))
    return render(request, "interventions/plan.html", ctx, status=status)


def _page_extras(request, subject):
    """The latest interview's screening and suggestions, for the full plan page."""
    latest = (case_selectors.assessment_list_for_subject(user=request.user, subject=subject)
              .select_related("subject", "agency").first())
    explanation = None
    if latest is not None:
        try:
            explanation = explain(latest, lang=lang_of(request.LANGUAGE_CODE))
        except LanternError:  # an interview the screening refuses: the plan still works
            explanation = None
    return {"latest": latest, "explanation": explanation, "today": timezone.localdate()}


@login_required
def plan(request, ref):
    subject = case_selectors.subject_get_for_user(user=request.user, ref=ref)
    ctx = _plan_context(request, subject)
    ctx.update(_page_extras(request, subject))
    return render(request, "interventions/plan.html", ctx)


@login_required
@require_POST
def plan_item_add(request, ref):
    subject = case_selectors.subject_get_for_user(user=request.user, ref=ref, capability="case.write")
    form = PlanItemAddForm(request.POST, lang=request.LANGUAGE_CODE)
    if form.is_valid():
        try:
            services.plan_item_add(user=request.user, subject=subject, data={
                k: v for k, v in form.cleaned_data.items() if k != "source_assessment" or v})
            if not request.htmx:
                messages.success(request, _("Added to the plan."))
                return redirect("plan", ref=subject.ref)
            return _plan_response(request, subject)
        except LanternError as exc:
            form.add_problems(exc.problems)
    return _plan_response(request, subject, add_form=form, status=422)


@login_required
@require_POST
def plan_item_update(request, ref, item_id):
    subject = case_selectors.subject_get_for_user(user=request.user, ref=ref, capability="case.write")
    item = selectors.plan_item_get_for_user(user=request.user, subject=subject, item_id=item_id, for_write=True)
    form = PlanItemUpdateForm(request.POST, auto_id=f"id_item{item.pk}_%s")
    if form.is_valid():
        try:
            services.plan_item_update(user=request.user, item=item, data=form.cleaned_data)
            if not request.htmx:
                messages.success(request, _("Plan item saved."))
                return redirect("plan", ref=subject.ref)
            return _plan_response(request, subject)
        except LanternError as exc:
            form.add_problems(exc.problems)
    return _plan_response(request, subject, bound={item.pk: form}, status=422)


@login_required
@require_POST
def plan_item_delete(request, ref, item_id):
    subject = case_selectors.subject_get_for_user(user=request.user, ref=ref, capability="case.write")
    item = selectors.plan_item_get_for_user(user=request.user, subject=subject, item_id=item_id, for_write=True)
    services.plan_item_remove(user=request.user, item=item)
    if not request.htmx:
        messages.success(request, _("Removed from the plan."))
        return redirect("plan", ref=subject.ref)
    return _plan_response(request, subject)


# -- the public toolkit --------------------------------------------------------------------------------------


@require_GET
def toolkit(request):
    """Pick vulnerability types and levels, see the matching interventions. A plain GET form; with HTMX the
    results are swapped in place as the choices change."""
    lang = lang_of(request.LANGUAGE_CODE)
    cat = catalogue()
    types = [t for t in request.GET.getlist("type") if t]
    levels = [lv for lv in request.GET.getlist("level") if lv]
    error, ctx, status = "", None, 200
    try:
        from lantern.toolkit import toolkit_context

        ctx = toolkit_context(lang=lang, catalogue=cat, types=types or None, levels=levels or None)
    except LanternError as exc:
        error = "; ".join(p.reason for p in exc.problems)
        status = 422
    for section in (ctx or {}).get("sections", []):
        for block in section["levels"]:
            block["level_label"] = LEVEL_LABELS[block["level"]]
    data = {"ctx": ctx, "error": error, "chosen_types": set(types), "chosen_levels": set(levels),
            "all_types": [(t.id, t.label(lang)) for t in cat.types],
            "levels": [(lv, LEVEL_LABELS[lv]) for lv in LEVELS], "version": cat.version, "lang": lang}
    if request.htmx:
        return render(request, "interventions/_toolkit_results.html", data, status=200)
    return render(request, "interventions/toolkit.html", data, status=status)


_PDF_LOCK = threading.Lock()


def _catalogue_digest(version: str) -> str:
    doc = vocab.standard_for(version).documents["interventions"]
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()[:12]


def toolkit_pdf_path(lang: str) -> Path:
    """Where the PDF of this language, standard version and catalogue content is cached."""
    version = vocab.current_version()
    folder = Path(getattr(settings, "LANTERN_TOOLKIT_CACHE_DIR", settings.VAR_DIR / "cache" / "toolkit"))
    return folder / f"toolkit-{version}-{_catalogue_digest(version)}-{lang}.pdf"


@require_GET
def toolkit_pdf(request, lang):
    """The toolkit PDF (WeasyPrint, a few seconds to render): rendered once per language and catalogue, then
    served from the cache folder (``LANTERN_TOOLKIT_CACHE_DIR``, default ``var/cache/toolkit``)."""
    if lang not in ("en", "ro"):
        raise Http404("No such language")
    path = toolkit_pdf_path(lang)
    if not path.exists():
        with _PDF_LOCK:  # one rendering at a time; the others wait and then read the file
            if not path.exists():
                from lantern.toolkit import toolkit_pdf as render_pdf

                path.parent.mkdir(parents=True, exist_ok=True)
                render_pdf(lang=lang, catalogue=catalogue(), out=path)  # written atomically
    response = FileResponse(path.open("rb"), content_type="application/pdf", as_attachment=True,
                            filename=f"lantern-toolkit-{lang}.pdf")
    response["Cache-Control"] = "public, max-age=3600"
    return response
