"""The public toolkit and an intervention plan in Debian's chromium: HTMX partial updates under the real
Content-Security-Policy, errors in place, nothing from outside."""

from __future__ import annotations

import datetime as dt

import pytest

from lantern.platform.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_toolkit_filters_in_place(page, live_server):
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/toolkit/")
    expect(page.locator("#toolkit-results section.card")).to_have_count(8)  # nothing chosen: every type
    page.get_by_label("Health and trauma").check()
    expect(page.locator("#toolkit-results section.card")).to_have_count(1)
    expect(page.locator("#type-health")).to_be_visible()
    page.wait_for_url("**/toolkit/?type=health*")  # the choice is in the address (shareable, works without JS)


def test_plan_with_htmx(page, live_server, settings):
    from django.contrib.auth import get_user_model
    from playwright.sync_api import expect

    from lantern.platform import vocab
    from lantern.platform.accounts.models import Agency
    from lantern.platform.cases import services
    from lantern.platform.interventions.models import PlanItem

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    agency = Agency.objects.create(key="ngo", name="NGO", type="ngo", country="RO")
    user = get_user_model().objects.create_user(username="cw", password="pw-Secret-123", agency=agency,
                                                role=Role.CASEWORKER)
    std = vocab.current()
    cols = std.assessment_columns()
    inds = [c.name for c in cols if c.kind == "indicator"]
    row = {c.name: 0 for c in cols if c.kind in ("indicator", "factor")}
    row.update({i: 1 for i in inds[:6]}, standard_version=std.version, sex=std.code_list("sex").active_ids()[0],
               interview_date=(dt.date.today() - dt.timedelta(days=2)).isoformat(), age=30, citizenship="NP",
               country_of_interview="RO", sector=std.code_list("sector").active_ids()[0])
    subject = services.subject_create(user=user)
    services.assessment_create(user=user, subject=subject, data=row)

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("cw")
    page.get_by_label("Password").fill("pw-Secret-123")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/subjects/")
    page.goto(f"{live_server.url}/subjects/{subject.ref}/plan/")
    url = page.url
    page.locator("#suggestions").get_by_role("button", name="Add to plan").first.click()
    expect(page.locator("#plan article.plan-item")).to_have_count(1)
    assert page.url == url  # swapped in place
    # a due date in the past: the error appears next to the field, nothing saved
    add = page.locator("#plan form").last
    add.get_by_label("Intervention").select_option("integration.language_course")
    add.get_by_label("Due date").fill("2020-01-01")
    add.get_by_role("button", name="Add to plan").click()
    expect(page.locator("#plan .error").first).to_contain_text("in the past")
    assert PlanItem.objects.count() == 1
    # change the status of the item
    item = page.locator("#plan article.plan-item").first
    item.get_by_label("Status").select_option("done")
    item.get_by_role("button", name="Save").click()
    expect(page.locator("#plan article.plan-item.status-done")).to_have_count(1)
    # remove it (htmx asks for confirmation)
    page.once("dialog", lambda d: d.accept())
    page.locator("#plan article.plan-item").first.get_by_role("button", name="Remove").click()
    expect(page.locator("#plan article.plan-item")).to_have_count(0)
    assert not PlanItem.objects.exists()
