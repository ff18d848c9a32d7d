"""The agency administrator's user pages (create a user, change a role, deactivate / reactivate, give a new
one-time password, reset the second factor) and the page where a user sets their own password (required after
a one-time password).

Every action calls one audited service of ``accounts.services``; another agency's user answers 404 like a
missing one (``accounts.selectors.user_get_for_admin``). The forms post with HTMX and the answer is the whole
page, of which HTMX swaps the panel (``hx-select``): errors appear in place; without JavaScript the same page
comes back (422 on a refusal, a redirect after a change). Pages that show a one-time password are
``Cache-Control: no-store``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lantern.errors import LanternError
from lantern.platform.accounts import selectors, services
from lantern.platform.accounts.forms import PasswordChangeForm, RoleForm, UserCreateForm
from lantern.platform.cases.selectors import require


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


def _problems(exc: LanternError) -> str:
    return " ".join(p.reason for p in exc.problems)


@login_required
def user_create(request):
    """A new user of the admin's agency with a one-time password, shown once."""
    require(request.user, "agency.admin", action="user.create", object_type="user")
    form = UserCreateForm(request.POST or None)
    created = password = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            password = services.one_time_password_new()
            try:
                created = services.user_create(
                    username=form.cleaned_data["username"], password=password, agency=request.user.agency,
                    role=form.cleaned_data["role"], actor=request.user, one_time=True)
            except LanternError as exc:
                form.add_problems(exc.problems)
                password = None
        if created is None:
            status = 200 if request.htmx else 422
    ctx = {"form": form, "created": created, "password": password, "days": services.ONE_TIME_PASSWORD_DAYS}
    return _no_store(render(request, "accounts/user_create.html", ctx, status=status))


def _context(request, target, **extra):
    return {
        "target": target, "is_self": target.pk == request.user.pk,
        "tokens": list(selectors.user_tokens_for_admin(user=request.user, target=target)),
        "role_form": extra.pop("role_form", None) or RoleForm(initial={"role": target.role}),
        "totp_required": services.totp_required(target),
        "days": services.ONE_TIME_PASSWORD_DAYS, **extra,
    }


@login_required
def user_detail(request, user_id: int):
    target = selectors.user_get_for_admin(user=request.user, user_id=user_id)
    return render(request, "accounts/user_detail.html", _context(request, target))


def _respond(request, user_id: int, *, ok: str = "", error: str = "", password: str = "", **extra):
    """After an action: the page again (HTMX swaps its panel; a refusal without HTMX is a 422), or a redirect
    with the message for a plain form post that succeeded. A one-time password is shown on the page, never
    put in a message (messages live in the session)."""
    target = selectors.user_get_for_admin(user=request.user, user_id=user_id)  # fresh: the change is visible
    if not request.htmx and not error and not password:
        messages.success(request, ok)
        return redirect("agency-user-detail", user_id=target.pk)
    ctx = _context(request, target, ok=ok, error=error, password=password, **extra)
    status = 422 if error and not request.htmx else 200
    return _no_store(render(request, "accounts/user_detail.html", ctx, status=status))


@login_required
@require_POST
def user_role_change(request, user_id: int):
    target = selectors.user_get_for_admin(user=request.user, user_id=user_id, action="user.role_change")
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            services.user_role_change(actor=request.user, user=target, role=form.cleaned_data["role"])
        except LanternError as exc:
            form.add_problems(exc.problems)
    if form.errors:
        return _respond(request, user_id, error=_("The role was not changed."), role_form=form)
    return _respond(request, user_id, ok=_("Role changed to %(role)s.") % {"role": target.get_role_display()})


@login_required
@require_POST
def user_deactivate(request, user_id: int):
    target = selectors.user_get_for_admin(user=request.user, user_id=user_id, action="user.deactivate")
    try:
        done = services.user_deactivate(actor=request.user, user=target)
    except LanternError as exc:
        return _respond(request, user_id, error=_problems(exc))
    return _respond(request, user_id, ok=_(
        "%(user)s is deactivated: %(sessions)s session(s) ended, %(tokens)s API token(s) revoked.") % {
        "user": target.username, **done})


@login_required
@require_POST
def user_reactivate(request, user_id: int):
    target = selectors.user_get_for_admin(user=request.user, user_id=user_id, action="user.reactivate")
    services.user_reactivate(actor=request.user, user=target)
    return _respond(request, user_id, ok=_("%(user)s can sign in again.") % {"user": target.username})


@login_required
@require_POST
def user_password_reset(request, user_id: int):
    target = selectors.user_get_for_admin(user=request.user, user_id=user_id, action="user.password_reset")
    try:
        password = services.user_password_reset(actor=request.user, user=target)
    except LanternError as exc:
        return _respond(request, user_id, error=_problems(exc))
    return _respond(request, user_id, password=password,
                    ok=_("New one-time password for %(user)s; their sessions ended.") % {"user": target.username})


@login_required
@require_POST
def user_totp_reset(request, user_id: int):
    target = selectors.user_get_for_admin(user=request.user, user_id=user_id, action="totp.reset")
    try:
        removed = services.user_totp_reset(actor=request.user, user=target)
    except LanternError as exc:
        return _respond(request, user_id, error=_problems(exc))
    return _respond(request, user_id, ok=_(
        "Second factor of %(user)s removed (and %(codes)s unused recovery code(s)); their sessions ended.") % {
        "user": target.username, "codes": removed})


@login_required
def password_change(request):
    """Any signed-in user changes their password; after a one-time password this is the only page they reach
    (``accounts.middleware``) until they have."""
    user = request.user
    form = PasswordChangeForm(user, request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.user_password_change(user=user, password=form.cleaned_data["new_password1"])
            except LanternError as exc:
                form.add_problems(exc.problems)
            else:
                update_session_auth_hash(request, user)  # this session stays; the others end
                messages.success(request, _("Your password is changed."))
                if request.htmx:
                    from django.http import HttpResponse

                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = "/"
                    return response
                return redirect("home")
        status = 200 if request.htmx else 422
    return _no_store(render(request, "accounts/password_change.html",
                            {"form": form, "forced": user.must_change_password}, status=status))
