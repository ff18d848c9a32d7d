"""Django settings for the Lantern platform.

Embedded by default (SQLite under ``var/``); ``DATABASE_URL`` moves it to PostgreSQL.
Secrets come from the environment; ``lantern demo`` writes a local ``var/demo.env`` for the demo.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("LANTERN_VAR_DIR", Path.cwd() / "var"))

DEBUG = os.environ.get("LANTERN_DEBUG", "") == "1"
SECRET_KEY = os.environ.get("LANTERN_SECRET_KEY", "")
if not SECRET_KEY:
    if os.environ.get("LANTERN_ENV", "dev") == "production":
        raise RuntimeError("LANTERN_SECRET_KEY must be set in production")
    SECRET_KEY = "dev-only-insecure-key-change-me"  # noqa: S105 — never used in production
ALLOWED_HOSTS = os.environ.get("LANTERN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # so ninja's docs page uses its bundled Swagger UI assets, never a CDN
    "lantern.platform.accounts",
    "lantern.platform.audit",
    "lantern.platform.cases",
    "lantern.platform.web",
    "lantern.platform.interventions",
    "lantern.platform.analytics",
    "lantern.platform.referrals",
    "lantern.platform.retention",
    "lantern.platform.network",
]

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"  # home sends each role to its first page (analysts to the statistics)
LOGOUT_REDIRECT_URL = "login"

MIDDLEWARE = [
    "lantern.platform.middleware.RequestIdMiddleware",
    "lantern.platform.middleware.RequestSizeLimitMiddleware",
    "lantern.platform.middleware.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "lantern.platform.middleware.SessionTimeoutMiddleware",
    "lantern.platform.accounts.middleware.TotpEnrolmentMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "lantern.platform.urls"
WSGI_APPLICATION = "lantern.platform.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "lantern.platform.web.context.navigation",
            ]
        },
    }
]

_default_db = f"sqlite:///{VAR_DIR / 'lantern.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL") or _default_db, conn_max_age=60)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ro", "Română")]
# .po files ship in the package; `lantern` and the tests compile them to var/locale with Babel
LOCALE_PATHS = [VAR_DIR / "locale", BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Bucharest"

STATIC_URL = "/static/"
STATIC_ROOT = os.environ.get("LANTERN_STATIC_ROOT") or None  # optional: `collectstatic` for a CDN-less proxy
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").exists() else []

# Sessions: 12 h absolute, 15 min idle (standards.md, ASVS level 3 for sessions).
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_IDLE_SECONDS = 15 * 60
X_FRAME_OPTIONS = "DENY"
if os.environ.get("LANTERN_ENV", "dev") == "production":  # behind TLS: cookies over HTTPS only, HSTS
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Encrypted identifier fields: LANTERN_FIELD_KEYS (comma-separated Fernet keys, newest first) and
# LANTERN_INDEX_KEY (HMAC key of the blind index); see docs/security.md.
SESSION_SERIALIZER = "django.contrib.sessions.serializers.JSONSerializer"
SESSION_SAVE_EVERY_REQUEST = False

# Uploads: the request body may not exceed 5 MiB; an import file may not exceed LANTERN_IMPORT_MAX_BYTES
# nor LANTERN_IMPORT_MAX_ROWS rows.
LANTERN_IMPORT_MAX_BYTES = int(os.environ.get("LANTERN_IMPORT_MAX_BYTES", 2 * 1024 * 1024))
LANTERN_IMPORT_MAX_ROWS = int(os.environ.get("LANTERN_IMPORT_MAX_ROWS", 5000))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
LANTERN_MAX_REQUEST_BYTES = int(os.environ.get("LANTERN_MAX_REQUEST_BYTES", 6 * 1024 * 1024))  # 413 above

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in throttling: after this many failures for one username within the window, refuse for the window.
LANTERN_LOGIN_MAX_FAILURES = 5
LANTERN_LOGIN_WINDOW_SECONDS = 15 * 60
# Roles that must sign in with a second factor (TOTP), comma-separated, or "none" (docs/security.md).
# Default: supervisor, agency_admin and auditor in production; nobody elsewhere (`make demo` needs no app).
_totp_roles = os.environ.get("LANTERN_TOTP_ROLES", "").strip() or (
    "supervisor,agency_admin,auditor" if os.environ.get("LANTERN_ENV", "dev") == "production" else "none")
LANTERN_TOTP_ROLES = [] if _totp_roles == "none" else [r.strip() for r in _totp_roles.split(",") if r.strip()]
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LANTERN_LOG_LEVEL", "WARNING")},
}

# Static files are served by WhiteNoise straight from the apps' static folders (no collectstatic step
# for `lantern demo`); nothing is loaded from a CDN.
WHITENOISE_USE_FINDERS = True
