"""Second-factor enforcement for sessions (``LANTERN_TOTP_ROLES``)."""

from __future__ import annotations

from django.shortcuts import redirect
from django.urls import reverse

from lantern.platform.accounts.services import totp_required

# what a signed-in user who still has to enrol may reach: the enrolment page, sign-out, the language
# switch and static files. The API authenticates with tokens only, never with the session (docs/security.md).
_OPEN_PREFIXES = ("/accounts/totp/enrol/", "/accounts/logout/", "/i18n/", "/static/", "/healthz", "/api/")


class TotpEnrolmentMiddleware:
    """A signed-in user whose role requires a second factor and who has none (the requirement or the role
    changed during the session, or an operator reset the factor) reaches nothing but the enrolment page.

    Sign-in itself opens no session for such a user (``web.views.LoginView``); this covers sessions that
    already exist."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and not request.path.startswith(_OPEN_PREFIXES)
                and not user.has_totp and totp_required(user)):
            target = reverse("totp-enrol")
            if request.headers.get("HX-Request"):
                from django.http import HttpResponse

                response = HttpResponse(status=204)
                response["HX-Redirect"] = target
                return response
            return redirect(target)
        return self.get_response(request)
