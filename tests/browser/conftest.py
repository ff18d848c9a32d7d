"""Browser tests: Debian's chromium driven by Playwright against pytest-django's live server.

Playwright runs its own event loop in the test thread; the ORM calls made by the fixtures are still
synchronous and safe here. Nothing is downloaded: the browser is /usr/bin/chromium (installed by
`.ci/run`), and any request that leaves the live server fails the test.
"""

import os
import shutil
from urllib.parse import urlparse

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def page(live_server):
    """A tablet-sized page whose requests may only reach the live server."""
    if not shutil.which(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    host = urlparse(live_server.url).netloc
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        context = browser.new_context(viewport={"width": 1024, "height": 768})  # a tablet in landscape

        def guard(route):
            if urlparse(route.request.url).netloc != host:
                outside.append(route.request.url)
                return route.abort()
            return route.continue_()

        context.route("**/*", guard)
        pg = context.new_page()
        pg.set_default_timeout(10_000)
        yield pg
        context.close()
        browser.close()
    assert not outside, f"the pages tried to reach outside: {outside}"
