"""Web views: validate, call one service or selector, render. Journey editing uses HTMX partials."""

from __future__ import annotations

import datetime as dt
import json
import time

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lantern.errors import LanternError
from lantern.platform import crypto, vocab
from lantern.platform.accounts.models import Agency
from lantern.platform.audit.models import Outcome
from lantern.platform.audit.selectors import audit_list_for_user
from lantern.platform.audit.services import audit_record
from lantern.platform.cases import selectors, services
from lantern.platform.roles import has_capability
from lantern.platform.web.forms import (
    AnswersForm,
    ConsentForm,
    DemographicsForm,
    GrantForm,
    LegForm,
)


def healthz(request):
    """200 when the database answers a query, 503 otherwise (no authentication, no detail)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means unhealthy
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def not_found(request, exception=None):
    return render(request, "web/error.html", {"status": 404, "message": _("Not found.")}, status=404)


def forbidden(request, exception=None):
    return render(request, "web/error.html", {"status": 403, "message": _("Your role does not allow this.")},
                  status=403)


def _throttle_key(username: str) -> str:
    import hashlib

    return "login-failures:" + hashlib.sha256(username.strip().lower().encode()).hexdigest()


def _count_failure(username: str) -> None:
    """One more failed attempt for ``username`` in the window: a wrong password or a wrong second-factor code
    (else a known password would allow unlimited code guesses, 5 per sign-in)."""
    from django.conf import settings
    from django.core.cache import cache

    key = _throttle_key(username)
    cache.add(key, 0, timeout=settings.LANTERN_LOGIN_WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=settings.LANTERN_LOGIN_WINDOW_SECONDS)


def _throttled(username: str) -> bool:
    from django.conf import settings
    from django.core.cache import cache

    return cache.get(_throttle_key(username), 0) >= settings.LANTERN_LOGIN_MAX_FAILURES


class LoginView(auth_views.LoginView):
    """Sign-in, audited, throttled per username (``LANTERN_LOGIN_MAX_FAILURES`` in the window)."""

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if _throttled(request.POST.get("username", "")):
            audit_record(actor=None, action="login", outcome=Outcome.DENIED, channel="web", detail="throttled")
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, _("Too many failed attempts. Try again in 15 minutes."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        user = form.get_user()
        if user.totp_secret:  # password right: now the second factor, before any session is opened
            self.request.session[TOTP_PENDING] = {"uid": user.pk, "at": int(time.time()), "tries": 0,
                                                 "next": self.get_success_url()}
            return redirect("totp")
        from lantern.platform.accounts.services import totp_required

        if totp_required(user):  # the role needs a second factor and the user has none: enrol first, no session
            self.request.session[TOTP_ENROL] = {"uid": user.pk, "at": int(time.time()),
                                               "next": self.get_success_url()}
            return redirect("totp-enrol")
        response = super().form_valid(form)
        _start_session(self.request, user)
        return response

    def form_invalid(self, form):
        _count_failure(self.request.POST.get("username", ""))
        audit_record(actor=None, action="login", outcome=Outcome.DENIED, channel="web")
        return super().form_invalid(form)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["expired"] = self.request.GET.get("expired") == "1"
        return ctx


TOTP_PENDING = "lantern_totp_pending"
# a user whose role requires a second factor, password right, enrolling before any session is opened
TOTP_ENROL = "lantern_totp_enrol"
TOTP_ENROL_SECONDS = 600
# the secret being enrolled (encrypted with the field key, like the intake draft), bound to one user
TOTP_NEW_SECRET = "lantern_totp_new"  # noqa: S105 - a session key, not a secret


def _start_session(request, user) -> None:
    now = int(timezone.now().timestamp())
    request.session["lantern_started"] = now
    request.session["lantern_seen"] = now
    audit_record(actor=user, action="login", channel="web")


def _safe_next(request, target: str | None) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = target or "/"
    return target if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) else "/"


def _no_store(response):
    """Pages showing a secret or recovery codes: never kept by the browser or a proxy."""
    response["Cache-Control"] = "no-store"
    return response


def totp(request):
    """Second sign-in step for users with TOTP: a 6-digit code, single use, or a recovery code (single use);
    5 tries, 5 minutes."""
    from django.contrib.auth import get_user_model, login

    from lantern.platform.accounts.services import (
        recovery_code_use,
        recovery_codes_remaining,
        totp_verify,
    )

    pending = request.session.get(TOTP_PENDING)
    if request.user.is_authenticated:
        return redirect("home")
    if not pending or time.time() - pending["at"] > 300:
        request.session.pop(TOTP_PENDING, None)
        return redirect("login")
    error = ""
    if request.method == "POST":
        user = get_user_model().objects.filter(pk=pending["uid"], is_active=True).first()
        if user is not None and _throttled(user.username):  # failures meanwhile, in this or another sign-in
            request.session.pop(TOTP_PENDING, None)
            audit_record(actor=user, action="login.totp", outcome=Outcome.DENIED, channel="web", detail="throttled")
            return redirect("login")
        code, recovery = request.POST.get("code", "").strip(), request.POST.get("recovery_code", "").strip()
        ok = user is not None and (totp_verify(user=user, code=code) if code
                                   else recovery_code_use(user=user, code=recovery))
        if ok:
            request.session.pop(TOTP_PENDING, None)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            _start_session(request, user)
            if not code:
                left = recovery_codes_remaining(user=user)
                messages.warning(request, _("You signed in with a recovery code. Recovery codes left: %(left)s. "
                                            "Make new ones under Sign-in security.") % {"left": left})
            return redirect(_safe_next(request, pending.get("next")))
        pending["tries"] += 1
        audit_record(actor=user, action="login.totp", outcome=Outcome.DENIED, channel="web",
                     detail="recovery_code" if recovery and not code else "")
        if user is not None:
            _count_failure(user.username)
        if pending["tries"] >= 5 or (user is not None and _throttled(user.username)):
            request.session.pop(TOTP_PENDING, None)
            return redirect("login")
        request.session[TOTP_PENDING] = pending
        error = (_("The code is not right. Use the current code from your authenticator app.") if code or not recovery
                 else _("This recovery code is not right or was used already."))
    return render(request, "web/totp.html", {"error": error, "recovery": bool(request.POST.get("recovery_code"))},
                  status=422 if error else 200)


def _enrolling_user(request):
    """(user, before_sign_in): the signed-in user, or the user who gave the right password and must enrol
    before a session is opened; (None, False) when neither."""
    from django.contrib.auth import get_user_model

    if request.user.is_authenticated:
        return request.user, False
    pending = request.session.get(TOTP_ENROL)
    if not pending or time.time() - pending["at"] > TOTP_ENROL_SECONDS:
        request.session.pop(TOTP_ENROL, None)
        request.session.pop(TOTP_NEW_SECRET, None)
        return None, False
    return get_user_model().objects.filter(pk=pending["uid"], is_active=True).first(), True


def _secret_being_enrolled(request, user) -> str:
    """The secret shown to ``user`` on the enrolment page: the same one until it is confirmed (a reload does
    not invalidate what the app has already scanned), a new one for another user."""
    from lantern.platform.accounts.services import totp_new_secret

    held = request.session.get(TOTP_NEW_SECRET)
    if held and held.get("uid") == user.pk:
        return crypto.decrypt(held["secret"])
    secret = totp_new_secret()
    request.session[TOTP_NEW_SECRET] = {"uid": user.pk, "secret": crypto.encrypt(secret)}
    return secret


def totp_enrol(request):
    """Enrol a second factor: the secret as a QR code (inline SVG, made here) and as text; it takes effect only
    when the user types a current code of it. Then the recovery codes, shown once. Users whose role requires
    a factor come here straight from the password, before any session exists; anyone signed in may enrol."""
    from django.contrib.auth import login

    from lantern.platform.accounts.services import recovery_codes_remaining, totp_qr_svg, totp_uri
    from lantern.platform.accounts.services import totp_enrol as enrol

    user, before_sign_in = _enrolling_user(request)
    if user is None:
        return redirect("login")
    if user.has_totp:  # replacing a factor goes through `lantern totp reset`, then a new enrolment
        if before_sign_in:  # enrolled meanwhile (another tab, an operator): the normal second step applies
            request.session.pop(TOTP_ENROL, None)
            return redirect("login")
        return _no_store(render(request, "web/totp_enrol.html", {
            "enrolled": True, "remaining": recovery_codes_remaining(user=user)}))
    secret = _secret_being_enrolled(request, user)
    error = ""
    if request.method == "POST":
        try:
            codes = enrol(user=user, secret=secret, code=request.POST.get("code", ""))
        except LanternError:  # the one refusal: the code does not match (audited by the service)
            error = _("The code is not right. Use the current code from your authenticator app.")
        else:
            request.session.pop(TOTP_NEW_SECRET, None)
            target = "/"
            if before_sign_in:
                target = _safe_next(request, request.session.pop(TOTP_ENROL, {}).get("next"))
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                _start_session(request, user)
            return _no_store(render(request, "web/totp_codes.html", {"codes": codes, "next": target,
                                                                     "enrolled_now": True}))
    uri = totp_uri(user=user, secret=secret)
    ctx = {"secret": secret, "secret_groups": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
           "uri": uri, "qr": mark_safe(totp_qr_svg(uri, title=_("QR code for your authenticator app"))),  # noqa: S308 - SVG made by segno from our own URI
           "error": error, "required": before_sign_in}
    return _no_store(render(request, "web/totp_enrol.html", ctx, status=422 if error else 200))


@login_required
def totp_recovery_codes(request):
    """New recovery codes (the old ones stop working), with a current code from the authenticator app."""
    from lantern.platform.accounts.services import (
        recovery_codes_regenerate,
        recovery_codes_remaining,
    )

    user = request.user
    error = ""
    if request.method == "POST" and user.has_totp:
        try:
            codes = recovery_codes_regenerate(user=user, code=request.POST.get("code", ""))
        except LanternError:  # the one refusal: the code does not match (audited by the service)
            error = _("The code is not right. Use the current code from your authenticator app.")
        else:
            return _no_store(render(request, "web/totp_codes.html", {"codes": codes, "next": reverse("totp-enrol")}))
    ctx = {"enrolled": user.has_totp, "remaining": recovery_codes_remaining(user=user) if user.has_totp else 0,
           "error": error}
    return _no_store(render(request, "web/totp_recovery_codes.html", ctx, status=422 if error else 200))


@login_required
def home(request):
    if has_capability(request.user, "case.read"):
        return redirect("subject-list")
    if has_capability(request.user, "assessment.analyse"):
        return redirect("analytics-home")
    if has_capability(request.user, "agency.admin"):
        return redirect("agency-users")
    if has_capability(request.user, "audit.read"):
        return redirect("audit-list")
    return render(request, "web/home.html")


@login_required
def subject_list(request):
    name = request.GET.get("name", "").strip()
    ref = request.GET.get("ref", "").strip()
    qs = selectors.subject_list_for_user(user=request.user, name=name, ref=ref)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    # the latest interview of each subject on the page, screened (one query for the whole page)
    latest: dict[int, object] = {}
    for a in selectors.latest_assessments_for_subjects(user=request.user, subjects=list(page)):
        latest.setdefault(a.subject_id, a)
    screening = _screening(list(latest.values()))
    rows = [(s, screening.get(latest[s.pk].ref) if s.pk in latest else None) for s in page]
    return render(request, "web/subject_list.html", {"page": page, "rows": rows, "name": name, "ref": ref})


def _screening(assessments):
    """Screening results per assessment ref (the analytic core); empty when it cannot run."""
    if not assessments:
        return {}
    try:
        import polars as pl

        from lantern.platform.cases.export import assessment_flat_row
        from lantern.screening import screen_batch

        rows = [assessment_flat_row(a) for a in assessments]
        cols = [c.name for c in vocab.current().assessment_columns()]
        df = pl.DataFrame([{c: r.get(c) for c in cols} for r in rows], infer_schema_length=None)
        result = screen_batch(df)
        return {r["assessment_id"]: r for r in result.to_dicts()}
    except Exception:  # screening is an aid on this page, never a reason to fail it
        return {}


@login_required
def subject_detail(request, ref):
    subject = selectors.subject_get_for_user(user=request.user, ref=ref)
    assessments = list(selectors.assessment_list_for_subject(user=request.user, subject=subject))
    screening = _screening(assessments)
    legs = selectors.journey_for_subject(user=request.user, subject=subject)
    can_grant = has_capability(request.user, "grant.manage") and subject.agency_id == request.user.agency_id
    can_erase = has_capability(request.user, "case.erase") and subject.agency_id == request.user.agency_id
    grants = list(selectors.grants_for_subject(user=request.user, subject=subject)) if can_grant else []
    grant_form = GrantForm(agencies=Agency.objects.exclude(pk=subject.agency_id)) if can_grant else None
    return render(request, "web/subject_detail.html", {
        "subject": subject, "assessments": [(a, screening.get(a.ref)) for a in assessments], "legs": legs,
        "consents": subject.consents.all(), "grants": grants, "grant_form": grant_form,
        "can_write": has_capability(request.user, "case.write"), "can_erase": can_erase,
        "owned": subject.agency_id == request.user.agency_id,
    })


@login_required
def subject_identity(request, ref):
    """The decrypted identifiers, loaded on demand (HTMX) so that every disclosure is a separate audited read."""
    subject = selectors.subject_get_for_user(user=request.user, ref=ref, audit=False)
    identity = selectors.identity_get_for_user(user=request.user, subject=subject)
    return render(request, "web/_identity.html", {"subject": subject, "identity": identity})


@login_required
def assessment_detail(request, ref):
    assessment = selectors.assessment_get_for_user(user=request.user, ref=ref)
    std = vocab.standard_for(assessment.standard_version)
    sections = []
    for section in vocab.indicator_sections(std=std) + vocab.factor_sections(std=std):
        answers = {**assessment.indicators, **assessment.factors}
        sections.append((section, [(q, answers.get(q.id, "unknown")) for q in section.questions]))
    core = [(label, vocab.code_label(list_name, getattr(assessment, name), std=std) if list_name
             else getattr(assessment, name)) for name, label, list_name in _core_display()]
    screening = _screening([assessment]).get(assessment.ref)
    history, show_values = selectors.assessment_history_for_user(user=request.user, assessment=assessment)
    return render(request, "web/assessment_detail.html", {
        "a": assessment, "sections": sections, "core": core, "screening": screening,
        "history": _history_display(history, std=std), "show_values": show_values,
        "can_correct": has_capability(request.user, "case.write") and assessment.agency_id == request.user.agency_id,
    })


def _value_display(name: str, value, *, std) -> str:
    """A flat-format value as the assessment page shows it (labels of codes and answers)."""
    if name == "notes":
        return value or "—"
    col = next((c for c in std.assessment_columns() if c.name == name), None)
    if col is not None and (col.kind in ("indicator", "factor") or col.dtype == "flag"):
        return vocab.code_label("answer", {1: "yes", 0: "no"}.get(value, "unknown"), std=std)
    if value is None or value == "":
        return "—"
    if col is not None and col.code_list:
        return vocab.code_label(col.code_list, str(value), std=std)
    return str(value)


def _field_label(name: str, *, std) -> str:
    from lantern.platform.web.forms import CORE_LABELS

    if name == "notes":
        return str(_("Notes"))
    if name in CORE_LABELS:
        return str(CORE_LABELS[name])
    return vocab.item_label(name, std=std)


def _history_display(history: list[dict], *, std) -> list[dict]:
    for item in history:
        item["fields"] = [{
            "name": name, "label": _field_label(name, std=std),
            "old": _value_display(name, item["previous"][name], std=std) if "previous" in item else None,
            "new": _value_display(name, item["new"][name], std=std) if "new" in item else None,
        } for name in item["changed_fields"]]
    return history


@login_required
def assessment_correct(request, ref):
    """Correct a saved interview: the current values pre-filled, the reason required; errors in place (HTMX)."""
    from lantern.platform.web.assessment_forms import CorrectionForm

    assessment = selectors.assessment_get_for_user(user=request.user, ref=ref)
    selectors.require(request.user, "case.write", action="assessment.correct", object_type="assessment",
                      object_ref=assessment.ref)
    if assessment.agency_id != request.user.agency_id:  # shared with this agency, not recorded by it
        raise Http404
    status = 200
    if request.method == "POST":
        form = CorrectionForm(request.POST, assessment=assessment)
        form.is_valid()  # lenient fields: the service checks the whole corrected record
        try:
            services.assessment_correct(user=request.user, assessment=assessment, changes=form.changes(),
                                        reason=form.cleaned_data.get("reason", ""),
                                        expected_revision=form.expected_revision())
        except LanternError as exc:
            form.add_problems(exc.problems)
            status = 200 if request.htmx else 422  # htmx swaps 2xx answers only
        else:
            messages.success(request, _("Interview %(ref)s corrected.") % {"ref": assessment.ref})
            target = reverse("assessment-detail", args=[assessment.ref])
            if request.htmx:
                response = HttpResponse(status=204)
                response["HX-Redirect"] = target
                return response
            return redirect(target)
    elif request.method == "GET":
        form = CorrectionForm(assessment=assessment)
    else:
        return HttpResponseNotAllowed(["GET", "POST"])
    ctx = {"a": assessment, "form": form}
    template = "web/assessment_correct_form.html" if request.htmx else "web/assessment_correct.html"
    return render(request, template, ctx, status=status)


def _core_display():
    from lantern.platform.web.forms import CORE_LABELS

    return [(c.name, CORE_LABELS.get(c.name, c.name), c.code_list) for c in vocab.core_columns()
            if c.name in CORE_LABELS]


# -- journey editor (HTMX) -------------------------------------------------------------------------------

def _journey_context(request, subject, form=None):
    legs = selectors.journey_for_subject(user=request.user, subject=subject)
    return {"subject": subject, "legs": legs, "warnings": services.journey_warnings(legs),
            "form": form or LegForm(), "can_write": has_capability(request.user, "case.write")}


def _journey_response(request, subject, form=None, status=200):
    template = "web/_journey.html" if request.htmx else "web/journey_editor.html"
    return render(request, template, _journey_context(request, subject, form), status=status)


@login_required
def journey_editor(request, ref):
    subject = selectors.subject_get_for_user(user=request.user, ref=ref)
    return render(request, "web/journey_editor.html", _journey_context(request, subject))


@login_required
@require_POST
def journey_leg_add(request, ref):
    subject = selectors.subject_get_for_user(user=request.user, ref=ref, capability="case.write")
    form = LegForm(request.POST)
    if form.is_valid():
        try:
            services.journey_leg_add(user=request.user, subject=subject, data=form.cleaned_data)
            return _journey_response(request, subject)
        except LanternError as exc:
            form.add_problems(exc.problems)
    return _journey_response(request, subject, form, status=422 if not request.htmx else 200)


@login_required
@require_POST
def journey_leg_delete(request, ref, leg_id):
    subject = selectors.subject_get_for_user(user=request.user, ref=ref, capability="case.write")
    leg = selectors.leg_get_for_user(user=request.user, subject=subject, leg_id=leg_id)
    services.journey_leg_remove(user=request.user, subject=subject, leg=leg)
    return _journey_response(request, subject)


@login_required
@require_POST
def journey_leg_move(request, ref, leg_id, direction):
    subject = selectors.subject_get_for_user(user=request.user, ref=ref, capability="case.write")
    leg = selectors.leg_get_for_user(user=request.user, subject=subject, leg_id=leg_id)
    if direction not in ("up", "down"):
        raise Http404
    services.journey_leg_move(user=request.user, subject=subject, leg=leg, direction=direction)
    return _journey_response(request, subject)


@login_required
@require_POST
def grant_create(request, ref):
    subject = selectors.subject_get_for_user(user=request.user, ref=ref, capability="grant.manage")
    if subject.agency_id != request.user.agency_id:
        raise Http404
    form = GrantForm(request.POST, agencies=Agency.objects.exclude(pk=subject.agency_id))
    if form.is_valid():
        agency = Agency.objects.get(key=form.cleaned_data["agency"])
        try:
            services.access_grant_create(user=request.user, subject=subject, agency=agency,
                                         reason=form.cleaned_data["reason"], days=form.cleaned_data["days"])
            messages.success(request, _("Access granted."))
        except LanternError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, _("The grant was not saved: ") + "; ".join(
            f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
    return redirect("subject-detail", ref=subject.ref)


@login_required
@require_POST
def consent_withdraw(request, ref, consent_id):
    subject = selectors.subject_get_for_user(user=request.user, ref=ref, capability="case.write")
    services.consent_withdraw(user=request.user, subject=subject, consent_id=consent_id)
    messages.success(request, _("Consent withdrawn."))
    return redirect("subject-detail", ref=subject.ref)


@login_required
def audit_list(request):
    qs = audit_list_for_user(user=request.user, action=request.GET.get("action", ""),
                             object_ref=request.GET.get("object_ref", "").strip())
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "web/audit_list.html", {"page": page})


# -- intake wizard -----------------------------------------------------------------------------------------
# The draft lives in the session, encrypted with the field key (it may hold names). Steps come from the
# standard: consent, demographics, one step per ILO–EC dimension, factors, journey, review.

SESSION_KEY = "lantern_intake"


def intake_steps() -> list[tuple[str, str]]:
    steps = [("consent", _("Consent")), ("demographics", _("Person"))]
    steps += [(f"ind-{s.id}", s.title) for s in vocab.indicator_sections()]
    steps += [("factors", _("Vulnerability factors")), ("journey", _("Journey")), ("review", _("Review"))]
    return steps


def _load_draft(request) -> dict | None:
    token = request.session.get(SESSION_KEY)
    if not token:
        return None
    return json.loads(crypto.decrypt(token))


def _save_draft(request, draft: dict) -> None:
    request.session[SESSION_KEY] = crypto.encrypt(json.dumps(draft, default=str))


def _serialisable(data: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in data.items()}


@login_required
def intake_start(request):
    """Start a new intake (or a follow-up interview with ``?subject=REF``)."""
    selectors.require(request.user, "case.write", action="intake.start")
    subject_ref = request.GET.get("subject", "")
    if subject_ref:
        subject_ref = selectors.subject_get_for_user(user=request.user, ref=subject_ref, capability="case.write").ref
    _save_draft(request, {"subject": subject_ref, "version": vocab.current_version(), "steps": {}, "legs": []})
    return redirect("intake-step", step="consent")


def _step_form(step: str, data=None, initial=None, draft=None):
    answers = (draft or {}).get("steps", {}).get("demographics", {})
    if step == "consent":
        return ConsentForm(data, initial=initial)
    if step == "demographics":
        return DemographicsForm(data, initial=initial)
    if step.startswith("ind-"):
        sections = [s for s in vocab.indicator_sections(answers=answers) if f"ind-{s.id}" == step]
        return AnswersForm(data, initial=initial, sections=sections)
    if step == "factors":
        return AnswersForm(data, initial=initial, sections=vocab.factor_sections(answers=answers))
    raise Http404


@login_required
def intake_step(request, step):
    selectors.require(request.user, "case.write", action="intake.step")
    draft = _load_draft(request)
    if draft is None:
        return redirect("intake-start")
    steps = intake_steps()
    keys = [k for k, _label in steps]
    if step not in keys:
        raise Http404
    index = keys.index(step)
    next_url = reverse("intake-step", args=[keys[index + 1]]) if index + 1 < len(keys) else None
    ctx = {"steps": steps, "step": step, "index": index, "draft": draft,
           "prev_url": reverse("intake-step", args=[keys[index - 1]]) if index else None}

    if step == "journey":
        return _intake_journey(request, draft, ctx, next_url)
    if step == "review":
        return _intake_review(request, draft, ctx)

    if request.method == "POST":
        form = _step_form(step, request.POST, draft=draft)
        if form.is_valid():
            draft["steps"][step] = _serialisable(form.cleaned_data)
            _save_draft(request, draft)
            return redirect(next_url)
        status = 422
    elif request.method == "GET":
        form = _step_form(step, initial=draft["steps"].get(step), draft=draft)
        status = 200
    else:
        return HttpResponseNotAllowed(["GET", "POST"])
    ctx["form"] = form
    return render(request, "web/intake_step.html", ctx, status=status)


def _intake_journey(request, draft, ctx, next_url):
    legs = draft.get("legs", [])
    form = LegForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "next")
        if action == "add":
            form = LegForm(request.POST)
            if form.is_valid():
                legs.append(_serialisable(form.cleaned_data))
                form = LegForm()
            else:
                status = 422
        elif action.startswith("remove-"):
            idx = int(action.split("-", 1)[1]) if action.split("-", 1)[1].isdigit() else -1
            if 0 <= idx < len(legs):
                legs.pop(idx)
        elif action.startswith("up-") or action.startswith("down-"):
            kind, _sep, num = action.partition("-")
            i = int(num) if num.isdigit() else -1
            j = i - 1 if kind == "up" else i + 1
            if 0 <= i < len(legs) and 0 <= j < len(legs):
                legs[i], legs[j] = legs[j], legs[i]
        else:
            from lantern.platform.cases import validation

            problems = validation.check_journey_order(
                [{k: (dt.date.fromisoformat(v) if k.endswith("_date") and v else v) for k, v in leg.items()}
                 for leg in legs])
            if not problems:
                draft["legs"] = legs
                _save_draft(request, draft)
                if request.htmx:
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = next_url
                    return response
                return redirect(next_url)
            ctx["journey_problems"] = problems
            status = 422
        draft["legs"] = legs
        _save_draft(request, draft)
    ctx.update({"form": form, "legs": [_leg_display(leg) for leg in legs]})
    template = "web/_intake_journey.html" if request.htmx else "web/intake_journey.html"
    return render(request, template, ctx, status=200 if request.htmx else status)


def _leg_display(leg: dict) -> dict:
    return {**leg, "country_label": vocab.code_label("country", leg.get("country")),
            "mode_label": vocab.code_label("leg_mode", leg.get("mode")),
            "facilitator_label": vocab.code_label("facilitator_type", leg.get("facilitator_type"))}


def _draft_parts(draft):
    steps = draft["steps"]
    given = steps.get("consent", {})
    # the scope of sharing belongs to the referral purpose; every other purpose stays within the agency
    consent = [{"purpose": purpose, "scope": (given.get("scope") if purpose == "referral" else "") or "own_agency",
                "given_by": given.get("given_by"), "given_on": given.get("given_on"),
                **({"agency": given["named_agency"]} if purpose == "referral" and given.get("named_agency") else {})}
               for purpose in given.get("purposes", [])]
    demo = steps.get("demographics", {})
    identity = {k: demo.get(k) for k in ("given_name", "family_name", "date_of_birth", "document_numbers", "phone")}
    assessment = {k: v for k, v in demo.items() if k not in identity}
    assessment["standard_version"] = draft.get("version")
    for key, answers in steps.items():
        if key.startswith("ind-") or key == "factors":
            assessment.update(answers)
    return consent, identity, assessment


def _intake_review(request, draft, ctx):
    steps = intake_steps()
    missing = [(k, label) for k, label in steps if k not in ("journey", "review") and k not in draft["steps"]]
    consent, identity, assessment = _draft_parts(draft)
    ctx.update({"missing": missing, "consent": consent, "identity_given": [k for k, v in identity.items() if v],
                "assessment": assessment, "legs": [_leg_display(leg) for leg in draft.get("legs", [])],
                "answered": sum(1 for k in assessment if "." in k),
                "yes": sum(1 for k, v in assessment.items() if "." in k and v == "yes")})
    if request.method == "POST" and not missing:
        subject = None
        if draft.get("subject"):
            subject = selectors.subject_get_for_user(user=request.user, ref=draft["subject"], capability="case.write")
        try:
            result = services.intake_submit(user=request.user, consent=consent, identity=identity,
                                            assessment=assessment, legs=draft.get("legs", []), subject=subject)
        except LanternError as exc:
            ctx["problems"] = exc.problems
            return render(request, "web/intake_review.html", ctx, status=422)
        request.session.pop(SESSION_KEY, None)
        messages.success(request, _("Interview recorded as %(ref)s.") % {"ref": result.ref})
        return redirect("subject-detail", ref=result.subject.ref)
    return render(request, "web/intake_review.html", ctx, status=422 if request.method == "POST" else 200)




@login_required
def import_assessments(request):
    """Upload a flat-format CSV or an ODK / KoboToolbox export: all rows or none, with a per-row report."""
    from django.conf import settings

    from lantern.platform.cases import imports

    selectors.require(request.user, "case.write", action="assessment.import")
    report = None
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        fmt = request.POST.get("format", "csv")
        if upload is None:
            report = imports.ImportReport(format=fmt)
            report.problems = [imports.Problem(_("Choose a file."), field="file", record="file")]
        elif upload.size > settings.LANTERN_IMPORT_MAX_BYTES:
            report = imports.ImportReport(format=fmt)
            report.problems = [imports.Problem(f"{upload.size:,} bytes; the limit is "
                                               f"{settings.LANTERN_IMPORT_MAX_BYTES:,}", field="file", record="file")]
        else:
            try:
                report = imports.assessments_import(user=request.user, content=upload.read(), fmt=fmt)
            except LanternError as exc:
                report = imports.ImportReport(format=fmt)
                report.problems = exc.problems
        status = 200 if report.ok else 422
    return render(request, "web/import.html", {"report": report,
                                               "rows": list(zip(report.created, report.subjects, strict=True))
                                               if report else []}, status=status)


@login_required
def agency_users(request):
    """Agency admins: the agency's users and their API tokens (revocation)."""
    from lantern.platform.accounts.selectors import tokens_of_my_agency, users_of_my_agency

    users = users_of_my_agency(user=request.user)
    tokens = tokens_of_my_agency(user=request.user)
    return render(request, "web/agency_users.html", {"users": users, "tokens": tokens})


@login_required
@require_POST
def token_revoke(request, token_id):
    from lantern.platform.accounts.selectors import token_get_for_admin
    from lantern.platform.accounts.services import token_revoke as revoke

    token = token_get_for_admin(user=request.user, token_id=token_id)
    revoke(token=token, actor=request.user)
    messages.success(request, _("Token revoked."))
    return redirect("agency-users")


@login_required
@require_POST
def subject_erase(request, ref):
    """Erase the whole case after the supervisor retypes the pseudonym and gives the ground."""
    subject = selectors.subject_get_for_user(user=request.user, ref=ref, capability="case.erase")
    if request.POST.get("confirm", "").strip().upper() != subject.ref:
        messages.error(request, _("Not erased: type the pseudonym exactly to confirm."))
        return redirect("subject-detail", ref=subject.ref)
    try:
        services.subject_erase(user=request.user, subject=subject, reason=request.POST.get("reason", ""))
    except LanternError as exc:
        messages.error(request, str(exc))
        return redirect("subject-detail", ref=subject.ref)
    messages.success(request, _("The case %(ref)s was erased.") % {"ref": ref})
    return redirect("subject-list")
