"""Views: refer a subject (form on the subject's page), the inbox and outbox, one referral with its actions
(accept, decline, withdraw, close). Actions answer HTMX requests with the referral's panel swapped in place
and plain form posts with a redirect."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lantern.errors import LanternError
from lantern.platform.cases import selectors as case_selectors
from lantern.platform.interventions.catalogue import catalogue, lang_of
from lantern.platform.referrals import selectors, services
from lantern.platform.referrals.forms import DeclineForm, EndForm, ReferralForm
from lantern.platform.referrals.models import Status
from lantern.platform.roles import has_capability


def _form(request, subject, data=None):
    return ReferralForm(data, agencies=selectors.receiving_agencies(user=request.user),
                        consents=selectors.referral_consents(subject=subject),
                        can_override=has_capability(request.user, "referral.override"),
                        lang=lang_of(request.LANGUAGE_CODE),
                        initial={k: request.GET.get(k, "") for k in ("intervention", "plan_item", "to_agency")})


@login_required
def referral_create(request, ref):
    """The referral form (GET) and sending it (POST), for the agency that owns the subject."""
    subject = case_selectors.subject_get_for_user(user=request.user, ref=ref, capability="referral.send")
    if subject.agency_id != request.user.agency_id:  # a granted agency sees the case but does not refer it
        raise Http404("No such subject")
    status = 200
    if request.method == "POST":
        form = _form(request, subject, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                referral = services.referral_send(
                    user=request.user, subject=subject, to_agency=data["to_agency"], consent=data["consent"] or None,
                    override_reason=data.get("override_reason", ""), intervention=data["intervention"],
                    plan_item=data["plan_item"] or None, note=data["note"])
                messages.success(request, _("Referral sent. The receiving agency sees the case once it accepts."))
                return redirect("referral-detail", ref=referral.ref)
            except LanternError as exc:
                form.add_problems(exc.problems)
        status = 422
    else:
        form = _form(request, subject)
    return render(request, "referrals/referral_form.html", {"subject": subject, "form": form}, status=status)


@login_required
def referral_list(request):
    box = request.GET.get("box", "all")
    box = box if box in selectors.BOXES else "all"
    status = request.GET.get("status", "")
    status = status if status in Status.values else ""  # the page's select offers only these
    referrals = list(selectors.referral_list_for_user(user=request.user, box=box, status=status)[:200])
    rows = [(r, selectors.referral_view(r, user=request.user)) for r in referrals]
    return render(request, "referrals/referral_list.html", {
        "rows": rows, "box": box, "status": status, "statuses": Status.choices,
        "boxes": [("all", _("All")), ("inbox", _("Received")), ("outbox", _("Sent"))]})


def _context(request, referral, *, decline_form=None, end_form=None, error=""):
    user = request.user
    view = selectors.referral_view(referral, user=user)
    mine_to, mine_from = referral.to_agency_id == user.agency_id, referral.from_agency_id == user.agency_id
    label = ""
    if referral.intervention:
        try:
            label = catalogue(referral.standard_version or None).get(referral.intervention).label(
                lang_of(request.LANGUAGE_CODE))
        except Exception:  # retired from a later catalogue: the id
            label = referral.intervention
    return {
        "referral": referral, "view": view, "intervention_label": label,
        "can_answer": mine_to and referral.status == Status.SENT and has_capability(user, "referral.receive"),
        "can_withdraw": mine_from and referral.is_open and has_capability(user, "referral.send"),
        "can_close": referral.status == Status.ACCEPTED and has_capability(user, "referral.receive"),
        "decline_form": decline_form or DeclineForm(), "end_form": end_form or EndForm(),
        "days": services.OVERRIDE_GRANT_DAYS if referral.is_override else services.GRANT_DAYS,
        "error": error,
        "form_errors": [e for f in (decline_form, end_form) if f is not None for e in f.non_field_errors()],
    }


@login_required
def referral_detail(request, ref):
    referral = selectors.referral_get_for_user(user=request.user, ref=ref)
    return render(request, "referrals/referral_detail.html", _context(request, referral))


def _respond(request, referral, *, ok: str, status: int = 200, **forms):
    if request.htmx:
        return render(request, "referrals/_referral.html", _context(request, referral, **forms))
    if status == 200:
        messages.success(request, ok)
        return redirect("referral-detail", ref=referral.ref)
    ctx = _context(request, referral, **forms)
    return render(request, "referrals/referral_detail.html", ctx, status=status)


def _act(request, ref, capability, action, form_class):
    """Validate the action's form, call the service; (referral, bound form, succeeded)."""
    referral = selectors.referral_get_for_user(user=request.user, ref=ref, capability=capability)
    form = form_class(request.POST)
    if not form.is_valid():
        return referral, form, False
    try:
        return action(referral, form.cleaned_data), form, True
    except LanternError as exc:
        form.add_problems(exc.problems)
        return referral, form, False


@login_required
@require_POST
def referral_accept(request, ref):
    referral = selectors.referral_get_for_user(user=request.user, ref=ref, capability="referral.receive")
    try:
        referral = services.referral_accept(user=request.user, referral=referral)
    except LanternError as exc:
        return _respond(request, referral, ok="", status=422, error="; ".join(p.reason for p in exc.problems))
    return _respond(request, referral, ok=_("Referral accepted: the case is open to your agency."))


@login_required
@require_POST
def referral_decline(request, ref):
    referral, form, ok = _act(request, ref, "referral.receive",
                              lambda r, d: services.referral_decline(user=request.user, referral=r, reason=d["reason"]),
                              DeclineForm)
    return _respond(request, referral, ok=_("Referral declined."), status=200 if ok else 422, decline_form=form)


@login_required
@require_POST
def referral_withdraw(request, ref):
    referral, form, ok = _act(request, ref, "referral.send",
                              lambda r, d: services.referral_withdraw(user=request.user, referral=r,
                                                                      reason=d["reason"]), EndForm)
    return _respond(request, referral, ok=_("Referral withdrawn."), status=200 if ok else 422, end_form=form)


@login_required
@require_POST
def referral_close(request, ref):
    referral, form, ok = _act(request, ref, "referral.receive",
                              lambda r, d: services.referral_close(user=request.user, referral=r, reason=d["reason"]),
                              EndForm)
    return _respond(request, referral, ok=_("Referral closed."), status=200 if ok else 422, end_form=form)
