"""Second-factor enforcement for sessions (``LANTERN_TOTP_ROLES``) and the password change required after a
one-time password."""

from __future__ import annotations

from django.shortcuts import redirect
from django.urls import reverse

from lantern.platform.accounts.services import totp_required

# what a signed-in user who still has to enrol may reach: the enrolment page, sign-out, the language
# switch and static files. The API authenticates with tokens only, never with the session (docs/security.md).
_OPEN_PREFIXES = ("/accounts/totp/enrol/", "/accounts/logout/", "/i18n/", "/static/", "/healthz", "/api/")
# what a user signed in with a one-time password may reach before choosing their own password
_PASSWORD_OPEN_PREFIXES = ("/accounts/password/", "/accounts/logout/", "/i18n/", "/static/", "/healthz", "/api/")


def _redirect(request, target):
    if request.headers.get("HX-Request"):
        from django.http import HttpResponse

        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


class TotpEnrolmentMiddleware:
    """A signed-in user whose role requires a second factor and who has none (the requirement or the role
    changed during the session, or an operator reset the factor) reaches nothing but the enrolment page.

    Sign-in itself opens no session for such a user (``web.views.LoginView``); this covers sessions that
    already exist.

    Then a user who signed in with a one-time password (given by an agency administrator) reaches nothing but
    the password page until they have chosen their own password."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and not request.path.startswith(_OPEN_PREFIXES)
                and not user.has_totp and totp_required(user)):
            return _redirect(request, reverse("totp-enrol"))
        if (user is not None and user.is_authenticated and getattr(user, "must_change_password", False)
                and not request.path.startswith(_PASSWORD_OPEN_PREFIXES)):
            return _redirect(request, reverse("password-change"))
        return self.get_response(request)
