"""Request id and session timeouts."""

from __future__ import annotations

import contextvars
import re
import time
import uuid

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect

_request = contextvars.ContextVar("lantern_request", default=("", ""))
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> tuple[str, str]:
    """(request id, channel) of the request being served, or ("", "") outside a request."""
    return _request.get()


def set_request_context(request_id: str, channel: str):
    """For non-HTTP callers (CLI): returns a token for ``reset_request_context``."""
    return _request.set((request_id, channel))


def reset_request_context(token) -> None:
    _request.reset(token)


class RequestIdMiddleware:
    """Takes a well-formed ``X-Request-ID`` from the client or makes one; echoes it in the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        channel = "api" if request.path.startswith("/api/") else "web"
        request.request_id = request_id
        token = _request.set((request_id, channel))
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestSizeLimitMiddleware:
    """Refuses a request whose declared body is larger than ``LANTERN_MAX_REQUEST_BYTES`` with 413, before
    Django reads (or spools to disk) any of it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = getattr(settings, "LANTERN_MAX_REQUEST_BYTES", 6 * 1024 * 1024)
        if length > limit:
            from django.http import JsonResponse

            return JsonResponse({"detail": "the request is too large",
                                 "problems": [{"record": "file", "field": "file",
                                               "reason": f"{length:,} bytes; the limit is {limit:,}"}]}, status=413)
        return self.get_response(request)


class SessionTimeoutMiddleware:
    """Signs the user out after ``SESSION_IDLE_SECONDS`` without a request, and ``SESSION_COOKIE_AGE``
    after sign-in whatever the activity (absolute timeout)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            started = request.session.get("lantern_started", now)
            last = request.session.get("lantern_seen", now)
            idle = getattr(settings, "SESSION_IDLE_SECONDS", 900)
            if now - last > idle or now - started > settings.SESSION_COOKIE_AGE:
                logout(request)
                if request.headers.get("HX-Request"):
                    from django.http import HttpResponse

                    resp = HttpResponse(status=204)
                    resp["HX-Redirect"] = "/accounts/login/?expired=1"
                    return resp
                return redirect("/accounts/login/?expired=1")
            request.session["lantern_started"] = started
            if now - last >= 30 or "lantern_seen" not in request.session:  # avoid a session write on every request
                request.session["lantern_seen"] = now
        return self.get_response(request)


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    """Content-Security-Policy (everything from this origin only, no inline scripts) and Permissions-Policy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        return response
