"""A caseworker signs in and completes an intake in Debian's chromium (no download, no outside request)."""

from __future__ import annotations

import datetime as dt

import pytest

from lantern.platform.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_and_complete_an_intake(page, live_server, settings):
    from django.contrib.auth import get_user_model
    from playwright.sync_api import expect

    from lantern.platform.accounts.models import Agency
    from lantern.platform.cases.models import Assessment, Subject

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    agency = Agency.objects.create(key="ngo", name="NGO", type="ngo", country="RO")
    get_user_model().objects.create_user(username="cw", password="pw-Secret-123", agency=agency,
                                         role=Role.CASEWORKER)
    today = dt.date.today().isoformat()

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("cw")
    page.get_by_label("Password").fill("pw-Secret-123")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/subjects/")
    page.get_by_role("link", name="New intake").click()

    # consent: errors in place when the box is not ticked
    page.locator("input[name=purposes][value=assessment]").check()
    page.get_by_label("Given by").select_option("subject")
    page.get_by_label("Date").fill(today)
    page.get_by_role("button", name="Continue").click()
    assert page.locator(".field.has-error").count() == 1
    page.get_by_label("The person was informed").check()
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url("**/intake/demographics/")
    page.get_by_label("Given name(s)").fill("Asha")
    page.get_by_label("Date of interview").fill(today)
    page.get_by_label("Sex").select_option(index=1)
    page.get_by_label("Age (years)").fill("27")
    page.get_by_label("Citizenship").select_option("NP")
    page.get_by_label("Country of interview").select_option("RO")
    page.get_by_role("button", name="Continue").click()

    while "/intake/ind-" in page.url or page.url.endswith("/intake/factors/"):
        current = page.url
        radios = page.locator("input[type=radio][value=no]")
        for i in range(radios.count()):
            radios.nth(i).check()
        page.locator("input[type=radio][value=yes]").first.check()
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(lambda url, current=current: url != current)

    assert page.url.endswith("/intake/journey/")
    page.get_by_label("Country").select_option("NP")
    page.get_by_role("button", name="Add leg").click()
    page.locator("#intake-journey table tbody tr").filter(has_text="Nepal").wait_for()
    page.get_by_label("Country").select_option("RO")
    page.get_by_label("Entry date").fill(today)
    page.get_by_label("Arrived by").select_option("air")
    page.get_by_role("button", name="Add leg").click()
    page.locator("#intake-journey table tbody tr").filter(has_text="Romania").wait_for()
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url("**/intake/review/")
    page.get_by_role("button", name="Save interview").click()
    page.wait_for_url("**/subjects/S-*/")
    assert "Interview recorded as" in page.locator(".msg").inner_text()

    subject = Subject.objects.get()
    assessment = Assessment.objects.get()
    assert subject.legs.count() == 2 and subject.identity.given_name == "Asha"
    assert "yes" in assessment.indicators.values() and assessment.citizenship == "NP"

    # the journey editor: add a leg with HTMX (no full page load), then remove it
    page.get_by_role("link", name="Edit journey").click()
    page.get_by_label("Country").select_option("HU")
    page.get_by_role("button", name="Add leg").click()
    page.locator("#journey tbody tr").nth(2).wait_for()
    assert subject.legs.count() == 3
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#journey tbody tr").nth(2).get_by_role("button", name="Remove").click()
    expect(page.locator("#journey tbody tr")).to_have_count(2)  # (no page-side eval: the CSP forbids it)
    assert subject.legs.count() == 2
