"""Views: the agency administrator's retention policy, the supervisors' list of cases due within 30 days, and
setting or lifting a legal hold (the form is on the subject's page: ``{% legal_hold subject %}``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lantern.errors import LanternError
from lantern.platform.cases import selectors as case_selectors
from lantern.platform.cases.selectors import require
from lantern.platform.retention import services
from lantern.platform.retention.models import DEFAULT_DAYS, MAX_DAYS, MIN_DAYS, RetentionPolicy

DUE_WINDOW_DAYS = 30


@login_required
def policy(request):
    """GET: the agency's period; POST: change it (agency administrators)."""
    require(request.user, "agency.admin", action="retention.policy")
    error, status = "", 200
    if request.method == "POST":
        try:
            services.retention_policy_set(user=request.user, days=request.POST.get("days", ""))
            messages.success(request, _("Retention period saved."))
            return redirect("retention-policy")
        except LanternError as exc:
            error, status = "; ".join(p.reason for p in exc.problems), 422
    current = RetentionPolicy.objects.filter(agency_id=request.user.agency_id).select_related("updated_by").first()
    due = services.retention_due(agency=request.user.agency)
    return render(request, "retention/policy.html", {
        "policy": current, "days": request.POST.get("days") if error else services.policy_days(request.user.agency),
        "default_days": DEFAULT_DAYS, "min_days": MIN_DAYS, "max_days": MAX_DAYS, "error": error,
        "n_due": sum(1 for d in due if not d.blocked), "n_blocked": sum(1 for d in due if d.blocked),
    }, status=status)


@login_required
def due(request):
    """Supervisors: the agency's cases due for erasure within 30 days, held or referred ones marked."""
    rows = services.retention_due_for_user(user=request.user, within_days=DUE_WINDOW_DAYS)
    return render(request, "retention/due.html", {
        "rows": rows, "window": DUE_WINDOW_DAYS, "days": services.policy_days(request.user.agency)})


def _subject(request, ref):
    subject = case_selectors.subject_get_for_user(user=request.user, ref=ref, capability="case.erase", audit=False)
    return subject


@login_required
@require_POST
def hold_set(request, ref):
    subject = _subject(request, ref)
    try:
        services.legal_hold_set(user=request.user, subject=subject, reason=request.POST.get("reason", ""))
        messages.success(request, _("Legal hold set: the case is kept beyond the retention period."))
    except LanternError as exc:
        messages.error(request, "; ".join(f"{p.field}: {p.reason}" for p in exc.problems))
    return redirect("subject-detail", ref=subject.ref)


@login_required
@require_POST
def hold_lift(request, ref):
    subject = _subject(request, ref)
    if services.legal_hold_lift(user=request.user, subject=subject):
        messages.success(request, _("Legal hold lifted."))
    else:
        messages.error(request, _("This case has no legal hold."))
    return redirect("subject-detail", ref=subject.ref)
