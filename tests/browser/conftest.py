"""Playwright runs its own event loop in the test thread; the ORM calls made by the fixtures are still
synchronous and safe here."""

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
